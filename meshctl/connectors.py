"""Kafka Connect connector configurations: which values are secrets, and the client settings
meshctl adds so that a connector runs under its own principal. Pure.

A connector's configuration is returned by `GET /connectors/NAME/config` to anyone who may read
the worker's REST API, so it never holds a password: the password is referenced through the
worker's config provider (`${file:<dir>/<user>.properties:sasl.password}`) and the worker reads
it from a file (meshctl's credential file format: `sasl.mechanism`, `sasl.password`) that a
secrets mount (or the sandbox) puts there. Validation refuses a literal secret; a live one
found by refresh is masked before state, plans or drift could show it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Connect's clients of a connector: a sink's consumer, a source's producer, and their admin
# client (dead-letter queue, offsets); each `<client>.override.*` applies to one.
CLIENTS = ("consumer", "producer", "admin")
MASK = "(sensitive value, not a config provider reference)"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
CONFIG_PROVIDER = "file"  # the worker's `config.providers` entry: FileConfigProvider

# Key fragments that mark a secret (Kafka's own names, and the usual ones of connectors).
_SENSITIVE = ("password", "passwd", "secret", "jaas", "token", "credential", "api.key", "apikey", "private.key")
_REFERENCE = r"\$\{[A-Za-z0-9_.-]+:[^{}]*\}"
_ONLY_REFERENCES = re.compile(rf"^(?:{_REFERENCE})+$")
# A JAAS option holding a secret: password="...", secret="...".
_JAAS_SECRET = re.compile(r'([A-Za-z_.]*(?:password|secret|token)[A-Za-z_.]*)\s*=\s*"([^"]*)"', re.IGNORECASE)
_JAAS_USER = re.compile(r'username\s*=\s*"([^"]*)"')


def is_sensitive_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SENSITIVE)


def literal_secret(key: str, value: str) -> bool:
    """Whether `value` of `key` holds a secret in plain text rather than a config provider
    reference: a JAAS configuration's password option, any other secret key's whole value."""
    if not is_sensitive_key(key) or value == "":
        return False
    if "jaas" in key.lower():
        secrets = _JAAS_SECRET.findall(value)
        return any(not _ONLY_REFERENCES.match(secret) for _, secret in secrets) or (
            not secrets and not _ONLY_REFERENCES.match(value) and "required" not in value
        )
    return not _ONLY_REFERENCES.match(value)


_PASSWORD_REFERENCE = re.compile(r"\$\{[^{}]*:sasl\.password\}")


def sets_authentication(key: str, value: str) -> bool:
    """Whether a setting decides whom a client authenticates as: any `*sasl.*` setting (of a
    client, of MirrorMaker 2's clusters, ...) or a reference to a principal's password. meshctl
    sets those from the connector's `principal` alone, so a module cannot borrow another's."""
    last = key.lower()
    return "sasl." in last or bool(_PASSWORD_REFERENCE.search(value))


def masked(config: Mapping[str, str]) -> dict[str, str]:
    """The configuration with every literal secret replaced by MASK (what refresh reports)."""
    return {k: MASK if literal_secret(k, v) else v for k, v in sorted(config.items())}


def credentials_file(credentials_dir: str, user: str) -> str:
    return f"{credentials_dir.rstrip('/')}/{user}.properties"


MIRROR_PREFIX = "org.apache.kafka.connect.mirror."
# MirrorMaker 2's connectors open clients of their own to both clusters.
MIRROR_CLUSTERS = ("source.cluster", "target.cluster")


def is_mirror(config: Mapping[str, str]) -> bool:
    return str(config.get("connector.class", "")).startswith(MIRROR_PREFIX)


def client_overrides(user: str, credentials_dir: str, clusters: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings that make the connector's clients authenticate as `user`, the password
    and SCRAM mechanism read by the worker from `<credentials_dir>/<user>.properties`. With
    `clusters` (bootstrap.servers, security.protocol: a MirrorMaker 2 connector's), its
    source and target cluster clients too."""
    path = credentials_file(credentials_dir, user)
    jaas = f'{SCRAM_MODULE} required username="{user}" password="${{{CONFIG_PROVIDER}:{path}:sasl.password}}";'
    mechanism = f"${{{CONFIG_PROVIDER}:{path}:sasl.mechanism}}"
    out = {}
    for client in CLIENTS:
        out[f"{client}.override.sasl.jaas.config"] = jaas
        out[f"{client}.override.sasl.mechanism"] = mechanism
    for cluster in MIRROR_CLUSTERS if clusters is not None else ():
        out |= {f"{cluster}.{key}": value for key, value in sorted((clusters or {}).items())}
        out[f"{cluster}.sasl.jaas.config"] = jaas
        out[f"{cluster}.sasl.mechanism"] = mechanism
    return out


def managed_keys() -> frozenset[str]:
    """What meshctl sets from a connector's principal (a configuration may not set it)."""
    return frozenset(client_overrides("x", "/x", {"bootstrap.servers": "", "security.protocol": ""}))


def user_of(principal: str) -> str:
    """`User:NAME` -> NAME ("" for the worker's own principal)."""
    return principal.split(":", 1)[1] if principal.startswith("User:") else principal


def live_view(
    name: str, config: Mapping[str, str], credentials_dir: str, clusters: Mapping[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """What the worker holds, as meshctl declares it: (config, principal). The settings meshctl
    adds for a principal are taken out when they are exactly those it would write (else they
    stay, masked, and the plan shows them going); Connect's own copy of the name goes too."""
    rest = {k: v for k, v in config.items() if not (k == "name" and v == name)}
    jaas = rest.get("consumer.override.sasl.jaas.config") or rest.get("producer.override.sasl.jaas.config") or ""
    found = _JAAS_USER.search(jaas)
    principal = ""
    if found:
        expected = client_overrides(found.group(1), credentials_dir, clusters if is_mirror(rest) else None)
        if all(rest.get(k) == v for k, v in expected.items()):
            rest = {k: v for k, v in rest.items() if k not in expected}
            principal = f"User:{found.group(1)}"
    return masked(rest), principal
