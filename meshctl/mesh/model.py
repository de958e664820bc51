"""The mesh model: what the configuration means, independent of HCL and of Kafka."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path

from meshctl.address import Address, ModuleAddress, recorded
from meshctl.errors import SourceRange
from meshctl.mesh.contracts import Delivery, Sla
from meshctl.naming import (
    DEFAULT_CLUSTER,
    application_principal,
    default_topic_name,
    integration_output_topic,
    integration_principal,
)

KINDS = ("events", "fat_object")
APPLICATION_KINDS = ("producer", "consumer", "streams", "connect")
PRINCIPAL_PROVIDERS = ("scram",)  # room for "aws_iam" (a role ARN) or "oauth" (a client id) later
SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
APPROVABLE = ("access", "copy")  # what a policy's require_approval may list


@dataclass(frozen=True)
class Owners:
    accountable: str
    responsible: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    """Governance settings of one domain; `Mesh.effective_policy` folds in the ancestors'."""

    min_replication_factor: int | None = None
    min_insync_replicas: int | None = None
    max_partitions: int | None = None
    max_retention_ms: int | None = None
    allowed_kinds: tuple[str, ...] | None = None
    allowed_vendors: tuple[str, ...] | None = None
    max_copies: int | None = None  # domains that may copy one of its products; None: inherited (default 2)
    require_approval: tuple[str, ...] | None = None  # "access", "copy": those need an approval
    allow_override: bool = False  # descendants may loosen this domain's settings
    baseline: Mapping[str, object] = field(default_factory=dict)  # module settings; a child's override its parent's
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Domain:
    name: str
    parent: str | None
    description: str
    owners: Owners | None
    policy: Policy
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    cluster: str = ""  # the named Kafka cluster of its products; "": its parent's (the root's: "default")
    module: str = ""  # the module that declared it (`module.NAME`); "": the root

    @cached_property
    def address(self) -> str:
        return _in(self.module, f"domain.{self.name}")


@dataclass(frozen=True)
class TopicSpec:
    name: str | None  # None: the default name from the domain path
    partitions: int
    replication_factor: int | None  # None: the broker's default
    config: Mapping[str, str]


@dataclass(frozen=True)
class SchemaSpec:
    """A product's schemas: the value schema and, for keyed products, the key schema."""

    type: str  # AVRO, JSON, PROTOBUF
    file: str
    text: str
    compatibility: str
    key_type: str | None = None
    key_file: str | None = None
    key_text: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    """Set on a new version: which version it replaces, and that version's dates."""

    replaces: int | None = None
    deprecated: date | None = None
    sunset: date | None = None
    prevent_destroy: bool = False  # about this version itself: its topic and subjects are never deleted


@dataclass(frozen=True)
class Lineage:
    """Where a copied product's records come from: a version of another domain's product."""

    product: str  # the source, `<domain>.<product>`
    version: int
    copy: str  # the address of the `copy` block that keeps it, `copy.analytics.orders.v1`


@dataclass(frozen=True)
class DataProduct:
    name: str
    domain: str
    version: int
    kind: str
    description: str
    topic: TopicSpec
    delivery: Delivery
    sla: Sla
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    schema: SchemaSpec | None = None
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # The environments it exists in (`environments = [...]`); None: every environment.
    environments: tuple[str, ...] | None = None
    cluster: str = ""  # the named Kafka cluster it lives on; "": its domain's
    module: str = ""  # the module that declared it (`module.NAME`); "": the root
    lineage: Lineage | None = None  # a copy of another domain's product (Mesh.copy_product); None: its own

    # Made once per product (a product is frozen): compiling and planning 10,000 products
    # read them ~150,000 times.
    @cached_property
    def key(self) -> str:
        """`<domain>.<product>`, how access grants name a product."""
        return f"{self.domain}.{self.name}"

    @cached_property
    def address(self) -> str:
        return _in(self.module, f"data_product.{self.domain}.{self.name}.v{self.version}")


@dataclass(frozen=True)
class Approval:
    """`approval { by = "...", ticket = "..." }` on a grant or a copy: who consented, at the
    nearest common ancestor of the producing and the consuming domain (mesh.governance)."""

    by: str
    src: SourceRange
    ticket: str = ""


@dataclass(frozen=True)
class Access:
    name: str
    product: str  # `<domain>.<product>`
    version: int | None  # None: the latest version
    consumer: str  # a domain name
    mode: str  # "read"; anything else is rejected by validation (single writer)
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    module: str = ""  # the module that declared it (`module.NAME`); "": the root
    approval: Approval | None = None

    @cached_property
    def address(self) -> str:
        return _in(self.module, f"access.{self.name}")


@dataclass(frozen=True)
class Copy:
    """`copy "NAME" { domain = ..., product = ..., version = N }`: domain `domain` keeps a copy
    of version `version` of another domain's product `product`, which it is granted. The copy
    is a product of the copying domain, `<domain>.<name>` v`version`, in its namespace
    (`Mesh.copy_topic`); `Mesh.copy_product` is that product, with its lineage."""

    name: str
    domain: str  # the copying domain
    product: str  # the source, `<domain>.<product>`
    version: int  # the source's version, and the copy's
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    description: str = ""
    # The environments it exists in (`environments = [...]`); None: every environment.
    environments: tuple[str, ...] | None = None
    approval: Approval | None = None
    module: str = ""  # the module that declared it (`module.NAME`); "": the root

    @property
    def key(self) -> str:
        """`<copying domain>.<name>`: how grants and reads would name the copy."""
        return f"{self.domain}.{self.name}"

    @property
    def address(self) -> str:
        return _in(self.module, f"copy.{self.domain}.{self.name}.v{self.version}")


EXCEPTION_RULES = (
    "non_idempotent_producer",
    "delivery_contract",
    "retention_above_policy",
    "grant_refused_by_policy",
)


@dataclass(frozen=True)
class PolicyException:
    """`exception "NAME" { rule = ..., target = ..., reason = ..., expires = ... }`: a justified,
    expiring choice off the happy path (mesh.exceptions)."""

    name: str
    rule: str  # one of EXCEPTION_RULES
    target: str  # the address of what it excuses: `application.sales.feed`, `data_product.sales.orders.v1`
    reason: str
    expires: date | None  # None: not given or not a date (reported)
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    approved_by: str = ""
    module: str = ""

    @property
    def address(self) -> str:
        return _in(self.module, f"exception.{self.name}")


@dataclass(frozen=True)
class IntegrationOutput:
    """A topic an integration writes: `<domain path>.<integration>.<name>`, managed by meshctl
    like a product's topic (an `events` topic), written only by the integration's principal."""

    name: str
    topic: TopicSpec  # topic.name is always None: the name comes from the integration
    src: SourceRange
    description: str = ""
    prevent_destroy: bool = False
    module: str = ""  # `module.integration_NAME` when the integration's module declared it
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Integration:
    """A vendor's connection, confined to one domain: its own principal and AWS role."""

    name: str
    domain: str
    vendor: str
    source: str
    reads: tuple[str, ...]
    inputs: Mapping[str, object]
    trusted_principal: str
    external_id: str
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    # Topics it writes; none: it may write any topic under its namespace (PREFIXED), as before outputs.
    outputs: tuple[IntegrationOutput, ...] = ()
    # The environments it exists in (`environments = [...]`); None: every environment.
    environments: tuple[str, ...] | None = None
    module: str = ""  # the module that declared it (`module.NAME`); "": the root

    @property
    def principal_name(self) -> str:
        return integration_principal(self.domain, self.name)

    @property
    def address(self) -> str:
        return _in(self.module, f"integration.{self.name}")


@dataclass(frozen=True)
class PrincipalSpec:
    """How an application authenticates. Only SCRAM today; `provider` names the kind so that
    IAM roles or OAuth clients can be added without changing the application block."""

    provider: str = "scram"
    mechanism: str = "SCRAM-SHA-512"


@dataclass(frozen=True)
class Application:
    """A piece of software of one domain with its own principal and exactly the ACLs its kind
    needs: `reads` are `<domain>.<product>[.v<n>]`, `writes` products of its own domain."""

    name: str
    domain: str
    kind: str  # one of APPLICATION_KINDS
    src: SourceRange
    description: str = ""
    transactional: bool = False
    idempotent: bool = True  # False: off the happy path, needs a non_idempotent_producer exception
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # `<product>` or `<product>.v<n>` of `domain`
    principal: PrincipalSpec = field(default_factory=PrincipalSpec)
    runs_as: tuple[str, ...] = ()  # IAM principals that may read the app's secret
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    # The environments it exists in (`environments = [...]`); None: every environment.
    environments: tuple[str, ...] | None = None

    @property
    def principal_name(self) -> str:
        return application_principal(self.domain, self.name)

    @property
    def address(self) -> str:
        return f"application.{self.domain}.{self.name}"


def _in(module: str, address: str) -> str:
    """A block's address, under the module that declared it: `module.orders.data_product.x.v1`."""
    return f"{module}.{address}" if module else address


def product_ref(ref: str) -> tuple[str, int | None]:
    """`sales.orders.v2` -> ("sales.orders", 2); `sales.orders` -> ("sales.orders", None)."""
    key, _, version = ref.rpartition(".v")
    return (key, int(version)) if key and version.isdigit() else (ref, None)


@dataclass(frozen=True)
class KafkaConnection:
    """How meshctl reaches the cluster. `sasl_password` is a secret: never printed."""

    bootstrap_servers: str | None = None
    security_protocol: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    properties_file: str | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    request_timeout_s: float = 30.0
    # Principals whose ACLs on managed objects are someone else's business (a lag exporter, a
    # Connect cluster): never reported as escalation nor deleted. meshctl's own is always kept.
    keep_acls_of: tuple[str, ...] = ()
    src: SourceRange | None = None


@dataclass(frozen=True)
class RegistryConnection:
    """The schema registry (Confluent REST API). `password` is a secret: never printed."""

    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    request_timeout_s: float = 30.0
    src: SourceRange | None = None


@dataclass(frozen=True)
class ConnectConnection:
    """The Kafka Connect worker's REST API. `password` is a secret: never printed."""

    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    credentials_dir: str | None = None
    request_timeout_s: float = 30.0
    src: SourceRange | None = None


@dataclass(frozen=True)
class BackendConfig:
    """Where state lives: `local` (a directory) or `s3` (bucket, key, region, lock table)."""

    type: str
    settings: Mapping[str, str]
    src: SourceRange | None = None


@dataclass(frozen=True)
class ResourceBlock:
    """A `resource "TYPE" "NAME"` block: a low-level resource declared directly."""

    type: str
    name: str
    values: Mapping[str, object]
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)
    module: str = ""
    protected_at: str = ""  # `file.hcl:12` of `lifecycle { prevent_destroy = true }`, or ""
    ignore_changes: tuple[str, ...] = ()  # `lifecycle { ignore_changes = [...] }`: attribute names

    # Derived once, when made: the address as a value and as the text state and plans key by.
    addr: Address = field(init=False, repr=False, compare=False)
    address: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        addr, text = recorded(self.type, self.name, self.module)  # ValueError if no address can hold them
        object.__setattr__(self, "addr", addr)
        object.__setattr__(self, "address", text)


@dataclass(frozen=True)
class MovedBlock:
    """`moved { from = ..., to = ... }`: an object recorded at `from` is now declared at `to`."""

    from_: str
    to: str
    src: SourceRange
    srcs: Mapping[str, SourceRange] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RootOutput:
    """A root `output "NAME"` block's value, known when the configuration is loaded."""

    value: object
    sensitive: bool
    description: str
    src: SourceRange


@dataclass
class Mesh:
    base_dir: Path
    domains: dict[str, Domain] = field(default_factory=dict)
    products: list[DataProduct] = field(default_factory=list)
    access: list[Access] = field(default_factory=list)
    integrations: list[Integration] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    exceptions: list[PolicyException] = field(default_factory=list)
    kafka: KafkaConnection = field(default_factory=KafkaConnection)
    backend: BackendConfig | None = None
    registry: RegistryConnection = field(default_factory=RegistryConnection)
    # Named clusters (`kafka "eu" { ... }`) and their registries; the unlabelled blocks above
    # are the cluster "default" (meshctl.naming.DEFAULT_CLUSTER), never listed here.
    clusters: dict[str, KafkaConnection] = field(default_factory=dict)
    registries: dict[str, RegistryConnection] = field(default_factory=dict)
    connect: ConnectConnection = field(default_factory=ConnectConnection)
    resources: list[ResourceBlock] = field(default_factory=list)
    moved: list[MovedBlock] = field(default_factory=list)
    aws: Mapping[str, str] = field(default_factory=dict)  # region, profile, endpoint_url
    # Principals every Deny of a resource policy admits (aws.deployer_arns); empty: the caller, from STS.
    deployers: tuple[str, ...] = ()
    outputs: dict[ModuleAddress, dict[str, object]] = field(default_factory=dict)  # module -> name -> value
    sensitive_outputs: set[str] = field(default_factory=set)  # "module.NAME.output" shown only when asked by name
    root_outputs: dict[str, RootOutput] = field(default_factory=dict)  # the root `output` blocks, by name
    _index: dict[str, list[DataProduct]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _index_size: int = field(default=-1, init=False, repr=False, compare=False)

    def ancestors(self, name: str) -> list[Domain]:
        """The domain's ancestors, nearest first; stops on a cycle (validation reports it)."""
        out: list[Domain] = []
        seen = {name}
        parent = self.domains[name].parent if name in self.domains else None
        while parent and parent in self.domains and parent not in seen:
            seen.add(parent)
            out.append(self.domains[parent])
            parent = self.domains[parent].parent
        return out

    def path(self, name: str) -> str:
        """Dotted path from the root, e.g. `commerce.sales`: the domain's namespace."""
        chain = [name] + [d.name for d in self.ancestors(name)]
        return ".".join(reversed(chain))

    def topic_name(self, product: DataProduct) -> str:
        return product.topic.name or default_topic_name(self.path(product.domain), product.name, product.version)

    def copy_topic(self, copy: Copy) -> str:
        """`analytics.orders_local.v1`: the copy's topic, in the copying domain's namespace."""
        return default_topic_name(self.path(copy.domain), copy.name, copy.version)

    def copy_product(self, copy: Copy) -> DataProduct | None:
        """The copy as a product of the copying domain: the source's kind, partitions, configs,
        schema and contracts, its own topic in the copying domain's namespace, and its lineage.
        None when the source version is not declared (validation reports it)."""
        source = self.product(copy.product, copy.version)
        if source is None:
            return None
        topic = replace(source.topic, name=self.copy_topic(copy))
        return replace(
            source,
            name=copy.name,
            domain=copy.domain,
            description=copy.description or source.description,
            topic=topic,
            src=copy.src,
            srcs=copy.srcs,
            lifecycle=Lifecycle(),
            environments=copy.environments,
            cluster="",
            module=copy.module,
            lineage=Lineage(source.key, source.version, copy.address),
        )

    def copied_products(self) -> list[DataProduct]:
        """Every copy as a product of its copying domain (those whose source is declared)."""
        found = (self.copy_product(c) for c in self.copies)
        return [p for p in found if p is not None]

    def output_topic(self, integration: Integration, output: IntegrationOutput) -> str:
        """`analytics.lake.dlq`: an integration output's topic, under the integration's namespace."""
        return integration_output_topic(self.path(integration.domain), integration.name, output.name)

    def versions(self, key: str) -> list[DataProduct]:
        """All versions of `<domain>.<product>`, oldest first (indexed: meshes have thousands)."""
        if self._index_size != len(self.products):
            self._index = {}
            for p in self.products:
                self._index.setdefault(p.key, []).append(p)
            for found in self._index.values():
                found.sort(key=lambda p: p.version)
            self._index_size = len(self.products)
        return list(self._index.get(key, []))

    def product(self, key: str, version: int | None = None) -> DataProduct | None:
        versions = self.versions(key)
        if not versions:
            return None
        if version is None:
            return versions[-1]
        return next((p for p in versions if p.version == version), None)

    # -- clusters ---------------------------------------------------------------------------

    def cluster_names(self) -> list[str]:
        """Every cluster the configuration names: "default" first, then the named ones."""
        return [DEFAULT_CLUSTER, *sorted(c for c in self.clusters if c != DEFAULT_CLUSTER)]

    def domain_cluster(self, name: str) -> str:
        """The cluster a domain's products live on unless they say otherwise: its own
        `cluster`, else its nearest ancestor's, else "default"."""
        domain = self.domains.get(name)
        if domain is None:
            return DEFAULT_CLUSTER
        for d in [domain, *self.ancestors(name)]:
            if d.cluster:
                return d.cluster
        return DEFAULT_CLUSTER

    def product_cluster(self, product: DataProduct) -> str:
        return product.cluster or self.domain_cluster(product.domain)

    def registry_of(self, cluster: str) -> str:
        """The registry a cluster's subjects live in: its own `schema_registry "NAME"` block,
        else the default one (a registry shared by the clusters, as Confluent Cloud has one
        per environment)."""
        return cluster if cluster in self.registries else DEFAULT_CLUSTER

    def connection(self, cluster: str) -> KafkaConnection:
        return self.kafka if cluster == DEFAULT_CLUSTER else self.clusters[cluster]

    def registry_connection(self, registry: str) -> RegistryConnection:
        return self.registry if registry == DEFAULT_CLUSTER else self.registries[registry]

    def subtree(self, name: str) -> list[str]:
        """`name` and every domain below it."""
        return [d for d in self.domains if d == name or any(a.name == name for a in self.ancestors(d))]
