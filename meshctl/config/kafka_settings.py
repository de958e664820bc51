"""librdkafka settings from the kafka block, a properties file and the environment.

Precedence, lowest first: properties file, the kafka block, MESHCTL_KAFKA_* variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from meshctl.documents import read_text
from meshctl.errors import MeshError
from meshctl.mesh.model import KafkaConnection
from meshctl.naming import DEFAULT_CLUSTER, cluster_env_prefix
from meshctl.redaction import register

ENV = {
    "MESHCTL_KAFKA_BOOTSTRAP_SERVERS": "bootstrap.servers",
    "MESHCTL_KAFKA_SECURITY_PROTOCOL": "security.protocol",
    "MESHCTL_KAFKA_SASL_MECHANISM": "sasl.mechanism",
    "MESHCTL_KAFKA_SASL_USERNAME": "sasl.username",
    "MESHCTL_KAFKA_SASL_PASSWORD": "sasl.password",
}
ENV_PROPERTIES_FILE = "MESHCTL_KAFKA_PROPERTIES_FILE"
SECRET_KEYS = {"sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret"}
# Any other setting that holds a secret (a JAAS line, a PEM private key): masked in every output.
_SECRET_LIKE = re.compile(r"password|secret|jaas|key\.pem|private")


def read_properties(path: Path) -> dict[str, str]:
    """A Java/librdkafka properties file: `key=value` lines, `#` comments."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise MeshError(f"cannot read the Kafka properties file {path}: {exc.strerror}") from None
    props: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep:
            raise MeshError(f"{path}:{number}: error: expected key=value in the Kafka properties file")
        props[key.strip()] = value.strip()
    return props


def env_names(cluster: str = DEFAULT_CLUSTER) -> dict[str, str]:
    """The MESHCTL_KAFKA_* variables of a cluster -> the settings they override: a named
    cluster's carry its name, `MESHCTL_KAFKA_EU_BOOTSTRAP_SERVERS` (`-` read as `_`)."""
    infix = cluster_env_prefix(cluster)
    return {var.replace("MESHCTL_KAFKA_", "MESHCTL_KAFKA_" + infix, 1): key for var, key in ENV.items()}


def client_config(
    conn: KafkaConnection, env: Mapping[str, str], base_dir: Path, cluster: str = DEFAULT_CLUSTER
) -> dict[str, str]:
    config: dict[str, str] = {}
    overrides = env_names(cluster)
    properties_var = ENV_PROPERTIES_FILE.replace("MESHCTL_KAFKA_", "MESHCTL_KAFKA_" + cluster_env_prefix(cluster), 1)
    properties_file = env.get(properties_var) or conn.properties_file
    if properties_file:
        path = Path(properties_file)
        config.update(read_properties(path if path.is_absolute() else base_dir / path))
    config.update({k: str(v) for k, v in conn.config.items()})
    for attr, key in (
        ("bootstrap_servers", "bootstrap.servers"),
        ("security_protocol", "security.protocol"),
        ("sasl_mechanism", "sasl.mechanism"),
        ("sasl_username", "sasl.username"),
        ("sasl_password", "sasl.password"),
    ):
        value = getattr(conn, attr)
        if value:
            config[key] = str(value)
    for var, key in overrides.items():
        if env.get(var):
            config[key] = env[var]
    register(*(v for k, v in config.items() if k in SECRET_KEYS or _SECRET_LIKE.search(k)))
    if "sasl.username" in config and "security.protocol" not in config:
        config["security.protocol"] = "SASL_SSL"
    if "bootstrap.servers" not in config:
        block = "the kafka block" if cluster == DEFAULT_CLUSTER else f'the kafka "{cluster}" block'
        var = next(v for v, k in overrides.items() if k == "bootstrap.servers")
        raise MeshError(
            f"no Kafka bootstrap servers configured: set bootstrap_servers in {block}, {var}, or a properties file"
        )
    return config


def redacted(config: Mapping[str, str]) -> dict[str, str]:
    return {k: ("(sensitive)" if k in SECRET_KEYS else v) for k, v in config.items()}
