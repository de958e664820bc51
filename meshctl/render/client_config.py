"""`meshctl client-config DOMAIN`: ready-to-use producer and consumer properties for a
domain's products (jinja2 templates), with credentials referenced, never inlined."""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from meshctl.mesh.model import DataProduct, Mesh
from meshctl.naming import group_prefix

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("meshctl.render", "templates"),
    autoescape=False,  # properties files, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def client_configs(
    mesh: Mesh, domain: str, settings: Mapping[str, str], credentials: str, registry_url: str
) -> dict[str, str]:
    """File name -> properties text: one producer file per owned product version, one consumer
    file per granted product version."""
    files: dict[str, str] = {}
    common: dict[str, object] = {
        "principal": domain,
        "bootstrap": settings.get("bootstrap.servers", ""),
        "security_protocol": settings.get("security.protocol", "SASL_SSL"),
        "mechanism": settings.get("sasl.mechanism", "SCRAM-SHA-512"),
        **_password_reference(domain, credentials),
        "registry_url": registry_url,
        "group_prefix": group_prefix(domain),
    }
    for p in sorted(mesh.products, key=lambda p: p.address):
        if p.domain == domain:
            files[f"{p.key}.v{p.version}.producer.properties"] = _render("producer.properties.j2", mesh, p, common)
    granted: dict[str, DataProduct] = {}
    for grant in mesh.access:
        if grant.consumer != domain:
            continue
        found = [mesh.product(grant.product, grant.version)] if grant.version else mesh.versions(grant.product)
        granted.update({p.address: p for p in found if p is not None})
    for _, p in sorted(granted.items()):
        files[f"{p.key}.v{p.version}.consumer.properties"] = _render("consumer.properties.j2", mesh, p, common)
    return files


def _password_reference(domain: str, credentials: str) -> dict[str, object]:
    """How a client finds the password without it being written here: Kafka's config providers."""
    if credentials.startswith("secretsmanager:"):
        secret = credentials.split(":", 1)[1]
        return {
            "provider": {
                "name": "env",
                "cls": "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "reference": "${env:KAFKA_SASL_PASSWORD}",
            },
            "password_hint": f"KAFKA_SASL_PASSWORD comes from Secrets Manager: aws secretsmanager get-secret-value "
            f"--secret-id {secret} --query SecretString --output text | jq -r .password",
        }
    return {
        "provider": {
            "name": "file",
            "cls": "org.apache.kafka.common.config.provider.FileConfigProvider",
            "reference": f"${{file:{credentials}:sasl.password}}",
        },
        "password_hint": "",
    }


def _render(template: str, mesh: Mesh, product: DataProduct, common: Mapping[str, object]) -> str:
    return _ENV.get_template(template).render(
        **common,
        product=product,
        topic=mesh.topic_name(product),
        delivery=dict(product.delivery),
        schema=product.schema,
    )
