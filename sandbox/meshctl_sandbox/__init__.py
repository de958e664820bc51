"""Local servers for trying meshctl: a real Kafka broker, a schema registry and moto.

Run ``python -m meshctl_sandbox up|down|status``; tests use the classes directly.
"""

from meshctl_sandbox.kafka import KafkaSandbox, ensure_kafka_jars
from meshctl_sandbox.moto import MotoSandbox
from meshctl_sandbox.process import DetachedProcess, SandboxError, free_port
from meshctl_sandbox.registry import RegistrySandbox, ensure_registry_app

__all__ = [
    "DetachedProcess",
    "KafkaSandbox",
    "MotoSandbox",
    "RegistrySandbox",
    "SandboxError",
    "ensure_kafka_jars",
    "ensure_registry_app",
    "free_port",
]
