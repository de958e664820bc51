"""`meshctl client-config DOMAIN[.APP]`: ready-to-use client settings for one principal, in the
form each client reads (jinja2 templates), with the password referenced, never inlined.

Three forms of the same settings:
- `librdkafka`: properties that librdkafka-based clients (confluent-kafka for Python, Go,
  .NET, Node, kcat) accept as they are: only librdkafka's keys, `sasl.username`, no password.
  librdkafka has no indirection, so the header names where the password is (an environment
  variable, the local credential file, or Secrets Manager) in comments, some of them machine
  readable (`# meshctl.password.env=KAFKA_SASL_PASSWORD`).
- `java`: properties for the Java client, Kafka Streams and Kafka Connect, the password
  resolved by a config provider (`${env:...}` or `${file:...}`).
- `json`: one document with every file of the principal in both forms, for generators.

Every file is built once as data (sections of comments and settings); the properties forms
and the JSON document are views of that data, so they cannot disagree. Pure: the CLI passes
the credential store's location string; nothing here reads a credential.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from meshctl.compile.kafka import SCRAM_MECHANISM
from meshctl.mesh.applications import app_writers, read_versions, written_versions
from meshctl.mesh.model import Application, DataProduct, Mesh
from meshctl.naming import (
    application_namespace,
    connect_group_id,
    connect_internal_topics,
    connect_sink_group_prefix,
    consumer_group_id,
    group_prefix,
    streams_application_id,
    subject_name,
    transactional_prefix,
)

LIBRDKAFKA, JAVA, JSON = "librdkafka", "java", "json"
FORMATS = (LIBRDKAFKA, JAVA, JSON)
DEFAULT_FORMAT = JAVA  # what `client-config` printed before it had formats: existing pipelines keep working
JSON_FORMAT_VERSION = "1.0"
PASSWORD_ENV = "KAFKA_SASL_PASSWORD"  # the one variable every form names
JVM_ONLY_KINDS = ("streams", "connect")  # Kafka Streams and Kafka Connect run on the JVM only

if TYPE_CHECKING:
    import jinja2


@functools.cache
def _env() -> jinja2.Environment:
    """The templates' environment, made on first use: jinja2 is imported only by a command that renders with it."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("meshctl.render", "templates"),
        autoescape=False,  # properties files, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


class ClientConfigError(ValueError):
    """The principal has nothing to configure in the asked form (the CLI says so, exit 1)."""


@dataclass(frozen=True)
class Section:
    """A block of a properties file: comments, then `key=value` lines (in order)."""

    comments: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ClientFile:
    """One client's settings, in the forms it exists in (`librdkafka` is None for JVM-only roles)."""

    name: str  # without the extension: `orders_api.sales.orders.v1.producer`
    role: str  # producer | consumer | streams | connect-worker
    header: tuple[str, ...]
    java: tuple[Section, ...]
    librdkafka: tuple[Section, ...] | None
    facts: Mapping[str, object] = field(default_factory=dict)  # topic, group_id, ... for the JSON form


@dataclass(frozen=True)
class PasswordReference:
    """Where a client finds the principal's password: `credentials` is the store's location
    (`secretsmanager:<name>` or the local credential file's path)."""

    principal: str
    mechanism: str
    credentials: str

    @property
    def secret(self) -> str | None:
        return self.credentials.split(":", 1)[1] if self.credentials.startswith("secretsmanager:") else None

    def hint(self) -> str:
        if self.secret:
            return (
                f"password: environment {PASSWORD_ENV}, from Secrets Manager: aws secretsmanager get-secret-value "
                f"--secret-id {self.secret} --query SecretString --output text | jq -r .password"
            )
        return f"password: environment {PASSWORD_ENV}, or sasl.password in {self.credentials}"

    def librdkafka_header(self) -> tuple[str, ...]:
        """librdkafka reads no reference: the header says where the password is, for people and loaders."""
        where = (
            f"meshctl.password.secretsmanager={self.secret}"
            if self.secret
            else (f"meshctl.password.file={self.credentials}")
        )
        return (self.hint(), f"meshctl.password.env={PASSWORD_ENV}", where)

    def java(self, protocol: str, prefix: str = "") -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
        """Protocol, mechanism and the JAAS line: Secrets Manager through the environment
        (EnvVarConfigProvider, clients >= 3.5), a local credential file through FileConfigProvider."""
        if self.secret:
            reference = f"${{env:{PASSWORD_ENV}}}"
        else:
            reference = f"${{file:{self.credentials}:sasl.password}}"
        return (
            (f"{prefix}security.protocol", protocol),
            (f"{prefix}sasl.mechanism", self.mechanism),
            (
                f"{prefix}sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="{self.principal}" password="{reference}";',
            ),
        )

    def java_providers(self) -> tuple[tuple[str, str], ...]:
        if self.secret:
            return (
                ("config.providers", "env"),
                ("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider"),
            )
        return (
            ("config.providers", "file"),
            ("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"),
        )

    def json(self) -> dict[str, str]:
        if self.secret:
            return {"env": PASSWORD_ENV, "secretsmanager": self.secret, "key": "password"}
        return {"env": PASSWORD_ENV, "file": self.credentials, "key": "sasl.password"}


def client_configs(
    mesh: Mesh,
    target: str | Application,
    settings: Mapping[str, str],
    credentials: str,
    registry_url: str,
    fmt: str = DEFAULT_FORMAT,
) -> dict[str, str]:
    """File name -> text for a domain's principal (`target` a domain name) or an application's.

    A domain: one producer file per product version it writes (those an application of the
    domain writes are the application's), one consumer file per granted product version. An
    application: producer files for its `writes`, consumer files for its `reads`; a `streams`
    app one `<app>.streams.properties`, a `connect` app one `<app>.connect-worker.properties`.
    The `json` form is one document, `<principal>.client-config.json`."""
    if fmt not in FORMATS:
        raise ClientConfigError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    password = _password(target, credentials)
    files = _files(mesh, target, password, settings, registry_url)
    principal = password.principal
    if fmt == JSON:
        document = _document(target, principal, files, password)
        return {f"{principal}.client-config.json": json.dumps(document, indent=2, default=str) + "\n"}
    out: dict[str, str] = {}
    for f in files:
        sections = f.librdkafka if fmt == LIBRDKAFKA else f.java
        if sections is None:
            assert isinstance(target, Application)
            raise ClientConfigError(
                f"{target.address} is a {target.kind} application: {_JVM_NAMES[target.kind]} runs on the JVM, "
                f"so its configuration exists in --format {JAVA} (or {JSON}) only"
            )
        header = f.header + (password.librdkafka_header() if fmt == LIBRDKAFKA else ())
        out[f"{f.name}.properties"] = (
            _env()
            .get_template("client.properties.j2")
            .render(header=header, sections=[s for s in sections if s.comments or s.settings])
        )
    return out


_JVM_NAMES = {"streams": "Kafka Streams", "connect": "Kafka Connect"}
_HAPPY_PATH = "The happy path: no duplicates from retries, nothing acknowledged before every in-sync replica has it."
_IN_FLIGHT = ("max.in.flight.requests.per.connection", "5")
_NOT_IDEMPOTENT = (
    "Off the happy path (a non_idempotent_producer exception): a retried send may write a record twice;",
    "one request in flight keeps the records of a partition in order.",
)
_ONE_IN_FLIGHT = ("max.in.flight.requests.per.connection", "1")
_ONE_PER_INSTANCE = "One per running instance: replace 0 by a stable instance index."
_FAT_OBJECT = "A fat object: the latest state of each entity, compacted by key. Always set the key to the entity id."


def _password(target: str | Application, credentials: str) -> PasswordReference:
    if isinstance(target, Application):
        return PasswordReference(target.principal_name, target.principal.mechanism, credentials)
    return PasswordReference(target, SCRAM_MECHANISM, credentials)  # as compile creates a domain's user


def _files(
    mesh: Mesh, target: str | Application, password: PasswordReference, settings: Mapping[str, str], registry_url: str
) -> list[ClientFile]:
    b = _Builder(mesh, password, settings, registry_url)
    if not isinstance(target, Application):
        written = app_writers(mesh)  # the domain handed WRITE on these over to its applications
        own = [p for p in mesh.products if p.domain == target and p.address not in written]
        files = [b.producer(p.key, p, None) for p in _ordered(own)]
        files += [b.consumer(p.key, p, consumer_group_id(target, p.key, p.version)) for p in domain_reads(mesh, target)]
        return files
    app, name = target, target.name
    if app.kind == "streams":
        return [b.streams(app)]
    if app.kind == "connect":
        return [b.connect(app)]
    txn = transactional_prefix(app.principal_name) if app.transactional else None
    files = [b.producer(f"{name}.{p.key}", p, txn, app.idempotent) for p in app_writes(mesh, app)]
    p_name = app.principal_name
    files += [
        b.consumer(f"{name}.{p.key}", p, consumer_group_id(p_name, p.key, p.version)) for p in app_reads(mesh, app)
    ]
    return files


def _ordered(products: Sequence[DataProduct]) -> list[DataProduct]:
    return sorted(products, key=lambda p: (p.key, p.version))


def app_writes(mesh: Mesh, app: Application) -> list[DataProduct]:
    """The product versions an application writes, resolved as compile resolves them for its ACLs."""
    return _ordered(written_versions(mesh, app))


def app_reads(mesh: Mesh, app: Application) -> list[DataProduct]:
    """The product versions an application reads, resolved as compile resolves them for its ACLs."""
    return _ordered(read_versions(mesh, app))


def domain_reads(mesh: Mesh, domain: str) -> list[DataProduct]:
    """The product versions granted to a domain (a grant without a version: every version, as
    compile grants them)."""
    found: dict[str, DataProduct] = {}
    for grant in mesh.access:
        if grant.consumer == domain:
            versions = [mesh.product(grant.product, grant.version)] if grant.version else mesh.versions(grant.product)
            found.update((p.address, p) for p in versions if p is not None)
    return _ordered(list(found.values()))


@dataclass(frozen=True)
class _Builder:
    mesh: Mesh
    password: PasswordReference
    settings: Mapping[str, str]
    registry_url: str

    @property
    def principal(self) -> str:
        return self.password.principal

    def _java_connection(self) -> tuple[Section, ...]:
        """Reach the cluster as the principal, the password through a config provider."""
        bootstrap = ("bootstrap.servers", self.settings.get("bootstrap.servers", ""))
        protocol, mechanism, jaas = self.password.java(self.settings.get("security.protocol", "SASL_SSL"))
        hint = (self.password.hint(),) if self.password.secret else ()
        return Section(settings=(bootstrap, protocol, mechanism)), Section(
            hint, (*self.password.java_providers(), jaas)
        )

    def _librdkafka_connection(self) -> tuple[Section, ...]:
        """Reach the cluster as the principal; the password is added by the client (see the header)."""
        return (
            Section(
                settings=(
                    ("bootstrap.servers", self.settings.get("bootstrap.servers", "")),
                    ("security.protocol", self.settings.get("security.protocol", "SASL_SSL")),
                    ("sasl.mechanism", self.password.mechanism),
                    ("sasl.username", self.principal),
                )
            ),
        )

    def _title(self, role: str, p: DataProduct) -> str:
        verb = "writes" if role == "Producer" else "reads"
        return f"{role} settings for User:{self.principal}: {verb} {p.key} v{p.version} ({self.mesh.topic_name(p)})."

    def _facts(self, role: str, p: DataProduct, **extra: object) -> dict[str, object]:
        topic = self.mesh.topic_name(p)
        schema = None
        if p.schema:
            schema = {
                "type": p.schema.type,
                "compatibility": p.schema.compatibility,
                "subject": subject_name(topic),
                "key_subject": subject_name(topic, "key") if p.schema.key_file else None,
            }
        return {
            "role": role,
            "product": p.key,
            "version": p.version,
            "topic": topic,
            **extra,
            "delivery": p.delivery.written(),
            "schema": schema,
            "schema_registry_url": self.registry_url if p.schema else None,
        }

    def producer(self, stem: str, p: DataProduct, txn_prefix: str | None, idempotent: bool = True) -> ClientFile:
        java, librdkafka = self._java_connection(), self._librdkafka_connection()
        body = [Section((_HAPPY_PATH,), (("enable.idempotence", "true"), ("acks", "all"), _IN_FLIGHT))]
        facts = self._facts("producer", p)
        if not idempotent:  # `idempotent = false`, which validation admits only with a justified exception
            body = [Section(_NOT_IDEMPOTENT, (("enable.idempotence", "false"), ("acks", "all"), _ONE_IN_FLIGHT))]
            facts["idempotent"] = False
        if txn_prefix:
            txn = f"{txn_prefix}0"
            facts |= {"transactional_id": txn, "transactional_id_prefix": txn_prefix}
            allowed = (
                f'Transactional ids of User:{self.principal} must start with "{txn_prefix}": its ACLs allow no other.'
            )
            body.append(Section((allowed, _ONE_PER_INSTANCE), (("transactional.id", txn),)))
        if p.kind == "fat_object":
            body.append(Section((_FAT_OBJECT,)))
        body += _delivery(p, consumer=False)
        java_schema, librdkafka_schema = self._schema(p, producer=True)
        return ClientFile(
            f"{stem}.v{p.version}.producer",
            "producer",
            _header(self._title("Producer", p)),
            java + tuple(body) + java_schema,
            librdkafka + tuple(body) + librdkafka_schema,
            facts,
        )

    def consumer(self, stem: str, p: DataProduct, group: str) -> ClientFile:
        java, librdkafka = self._java_connection(), self._librdkafka_connection()
        prefix = group_prefix(self.principal)
        body = [
            Section(
                (f'Consumer groups of User:{self.principal} must start with "{prefix}": its ACLs allow no other.',),
                (("group.id", group),),
            ),
            Section(
                (
                    "Read only what transactional producers committed; start from the beginning on a new group;",
                    "commit offsets yourself, after processing.",
                ),
                (
                    ("isolation.level", "read_committed"),
                    ("auto.offset.reset", "earliest"),
                    ("enable.auto.commit", "false"),
                ),
            ),
        ]
        body += _delivery(p, consumer=True)
        java_schema, librdkafka_schema = self._schema(p, producer=False)
        return ClientFile(
            f"{stem}.v{p.version}.consumer",
            "consumer",
            _header(self._title("Consumer", p)),
            java + tuple(body) + java_schema,
            librdkafka + tuple(body) + librdkafka_schema,
            self._facts("consumer", p, group_id=group),
        )

    def _schema(self, p: DataProduct, producer: bool) -> tuple[tuple[Section, ...], tuple[Section, ...]]:
        """The registry: Java serializers read it from the properties; librdkafka refuses the
        keys, so there the URL is a machine-readable comment (and a field of the JSON form)."""
        if not p.schema:
            return (), ()
        topic = self.mesh.topic_name(p)
        about = f"Value schema: subject {subject_name(topic)} ({p.schema.type}, {p.schema.compatibility})"
        if p.schema.key_file:
            about += f"; key schema: subject {subject_name(topic, 'key')}"
        serializer = (("auto.register.schemas", "false"), ("use.latest.version", "true")) if producer else ()
        java = (Section((about,), (("schema.registry.url", self.registry_url), *serializer)),)
        rd = [about, f"meshctl.schema.registry.url={self.registry_url}"]
        if producer:
            rd.append("serializer settings (not librdkafka's): auto.register.schemas=false, use.latest.version=true")
        return java, (Section(tuple(rd)),)

    def _topics_comment(self, reads: list[DataProduct], writes: list[DataProduct]) -> Section:
        lines = []
        for title, found in (("Reads", reads), ("Writes", writes)):
            for p in found:
                contract = " ".join(f"{k}={v}" for k, v in p.delivery.written().items())
                lines.append(
                    f"{title} {self.mesh.topic_name(p)} ({p.key} v{p.version})" + (f": {contract}" if contract else "")
                )
        return Section(tuple(lines))

    def _registry(self, products: list[DataProduct]) -> tuple[Section, ...]:
        if not any(p.schema for p in products):
            return ()
        return (
            Section(
                ("Schemas of the topics above are in the registry.",), (("schema.registry.url", self.registry_url),)
            ),
        )

    def streams(self, app: Application) -> ClientFile:
        java = self._java_connection()
        reads, writes = app_reads(self.mesh, app), app_writes(self.mesh, app)
        app_id = streams_application_id(app.principal_name)
        guarantee = "exactly_once_v2" if app.transactional else "at_least_once"
        namespace = application_namespace(app.principal_name)
        body = [
            Section(
                (
                    f"application.id is the group of User:{self.principal}; its internal topics",
                    f'({app_id}-...-changelog, -repartition) and its transactional ids live under "{namespace}".',
                ),
                (("application.id", app_id), ("processing.guarantee", guarantee)),
            )
        ]
        if not app.transactional:  # exactly_once_v2 reads committed records by itself
            body.append(
                Section(
                    ("Read only what transactional producers committed.",),
                    (("consumer.isolation.level", "read_committed"),),
                )
            )
        body += [self._topics_comment(reads, writes), *self._registry(reads + writes)]
        facts = {
            "role": "streams",
            "application_id": app_id,
            "processing_guarantee": guarantee,
            "reads": [self.mesh.topic_name(p) for p in reads],
            "writes": [self.mesh.topic_name(p) for p in writes],
            "internal_topic_prefix": f"{app_id}-",
            "schema_registry_url": self.registry_url if any(p.schema for p in reads + writes) else None,
        }
        header = _header(f"Kafka Streams settings for User:{self.principal}: application {app.domain}.{app.name}.")
        return ClientFile(f"{app.name}.streams", "streams", header, java + tuple(body), None, facts)

    def connect(self, app: Application) -> ClientFile:
        java = self._java_connection()
        reads, writes = app_reads(self.mesh, app), app_writes(self.mesh, app)
        p_name = app.principal_name
        internal = connect_internal_topics(p_name)
        protocol = self.settings.get("security.protocol", "SASL_SSL")
        clients: list[tuple[str, str]] = []
        for prefix in ("producer.", "consumer.", "admin."):
            clients += self.password.java(protocol, prefix)
        body = (
            Section(
                (
                    f"The worker cluster of User:{self.principal}: its group and three internal topics, which meshctl",
                    "creates (the worker has no CREATE ACL); -1 takes the broker's default replication factor.",
                ),
                (
                    ("group.id", connect_group_id(p_name)),
                    ("config.storage.topic", internal["configs"]),
                    ("offset.storage.topic", internal["offsets"]),
                    ("status.storage.topic", internal["status"]),
                    ("config.storage.replication.factor", "-1"),
                    ("offset.storage.replication.factor", "-1"),
                    ("status.storage.replication.factor", "-1"),
                ),
            ),
            Section(
                ("Connectors create no topic: every topic they use is declared in the mesh.",),
                (("topic.creation.enable", "false"),),
            ),
            Section(("The connectors' own clients authenticate as the worker's principal.",), tuple(clients)),
            Section(
                (
                    "Sink connectors read only committed records, from the beginning; source connectors produce",
                    "idempotently, acknowledged by every in-sync replica.",
                ),
                (
                    ("consumer.isolation.level", "read_committed"),
                    ("consumer.auto.offset.reset", "earliest"),
                    ("producer.enable.idempotence", "true"),
                    ("producer.acks", "all"),
                ),
            ),
            Section(
                (
                    f'Name every connector "{p_name}.<name>": a sink connector\'s group is connect-<connector name>,',
                    f'and User:{self.principal} may join only groups starting "{connect_sink_group_prefix(p_name)}".',
                ),
            ),
            Section(
                ("Records pass through as bytes: set the converters your connectors need.",),
                (
                    ("key.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"),
                    ("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter"),
                ),
            ),
            self._topics_comment(reads, writes),
            *self._registry(reads + writes),
        )
        facts = {
            "role": "connect-worker",
            "group_id": connect_group_id(p_name),
            "internal_topics": dict(internal),
            "sink_group_prefix": connect_sink_group_prefix(p_name),
            "reads": [self.mesh.topic_name(p) for p in reads],
            "writes": [self.mesh.topic_name(p) for p in writes],
            "schema_registry_url": self.registry_url if any(p.schema for p in reads + writes) else None,
        }
        header = _header(
            f"Kafka Connect worker settings for User:{self.principal}: application {app.domain}.{app.name}."
        )
        return ClientFile(f"{app.name}.connect-worker", "connect-worker", header, java + body, None, facts)


def _header(title: str) -> tuple[str, ...]:
    return (title, "Rendered by meshctl from the mesh; the credentials are referenced, never written here.")


def _delivery(p: DataProduct, consumer: bool) -> list[Section]:
    if p.delivery.empty:
        return []
    lines = ["Delivery contract: " + " ".join(f"{k}={v}" for k, v in p.delivery.written().items())]
    if consumer and p.delivery.duplicates == "tolerated":
        lines.append("Duplicates may arrive: make processing idempotent (key by entity id, upsert).")
    return [Section(tuple(lines))]


_COMMON_FACTS = (
    "role",
    "product",
    "version",
    "topic",
    "group_id",
    "transactional_id",
    "transactional_id_prefix",
    "delivery",
    "schema",
    "schema_registry_url",
)


def _settings(sections: Sequence[Section]) -> dict[str, str]:
    return {k: v for s in sections for k, v in s.settings}


def _document(
    target: str | Application, principal: str, files: list[ClientFile], password: PasswordReference
) -> dict[str, object]:
    """The JSON form: every file of the principal, both forms, and the facts generators need."""
    owner: dict[str, object] = {"domain": target, "application": None, "kind": None, "transactional": False}
    if isinstance(target, Application):
        owner = {
            "domain": target.domain,
            "application": target.name,
            "kind": target.kind,
            "transactional": target.transactional,
        }
    return {
        "format_version": JSON_FORMAT_VERSION,
        "principal": principal,
        "owner": owner,
        "password": password.json(),
        "clients": [
            {
                "name": f.name,
                **dict.fromkeys(_COMMON_FACTS),
                **f.facts,
                "client": _settings(f.librdkafka) if f.librdkafka is not None else None,
                "java": _settings(f.java),
            }
            for f in files
        ],
    }
