"""Local servers for trying meshctl: a real Kafka broker (later a registry and moto).

Run ``python -m meshctl.sandbox up|down|status``; tests use the classes directly.
"""

from meshctl.sandbox.kafka import (
    KafkaSandbox,
    SandboxError,
    ensure_kafka_jars,
    free_port,
)

__all__ = ["KafkaSandbox", "SandboxError", "ensure_kafka_jars", "free_port"]
