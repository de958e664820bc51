"""meshctl: declarative provisioning for a data mesh on Kafka and AWS."""

__version__ = "0.1.0"
