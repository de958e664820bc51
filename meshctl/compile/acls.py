"""One ACL resource, as every Kafka compiler (domains, integrations, applications) writes it."""

from __future__ import annotations

from meshctl.attributes import KafkaAcl
from meshctl.naming import acl_name
from meshctl.resources import Resource

SCRAM_ITERATIONS = 8192


def acl(
    principal_: str,
    resource_type: str,
    resource_name: str,
    pattern_type: str,
    operations: list[str],
    source: str,
    depends_on: tuple[str, ...],
    domain: str = "",
) -> Resource:
    """`domain`: who owns the ACL; by default the domain named like the principal (`User:sales`)."""
    return Resource(
        "kafka_acl",
        acl_name(principal_, resource_type, resource_name, pattern_type),
        KafkaAcl(
            principal=principal_,
            resource_type=resource_type,
            resource_name=resource_name,
            pattern_type=pattern_type,
            host="*",
            operations=sorted(operations),
        ),
        source,
        depends_on,
        domain=domain or principal_.split(":", 1)[1],  # an ACL belongs to the domain of its principal
    )
