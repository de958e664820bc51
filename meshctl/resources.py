"""Resources: the low-level things in Kafka (and later the registry and AWS) that the
mesh compiles to, with stable addresses, and the per-type rules of how they change."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from meshctl.address import Address, recorded
from meshctl.naming import CLUSTER_MARK, DEFAULT_CLUSTER, cluster_of


@dataclass(frozen=True)
class Resource:
    """A desired resource. `attributes` is plain JSON data; `source` names the block."""

    type: str
    name: str  # as its block's label reads: `data["k"]` for a `for_each` instance
    attributes: Mapping[str, object]
    source: str
    depends_on: tuple[str, ...] = ()
    domain: str = ""  # the domain that owns it: what `--domain` scopes and reports group by
    module: str = ""  # `module.NAME` or `module.NAME["KEY"]` when a module declared it
    protected_at: str = ""  # `file.hcl:12` where `prevent_destroy = true` is set; "" = not protected
    # `lifecycle { ignore_changes = [...] }`: attributes a plan keeps as the live object has them
    # once it exists (creation still sets them from the configuration).
    ignore_changes: tuple[str, ...] = ()

    # Derived once, when made: the address as a value and as the text state and plans key by.
    addr: Address = field(init=False, repr=False, compare=False)
    address: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        addr, text = recorded(self.type, self.name, self.module)  # ValueError if no address can hold them
        object.__setattr__(self, "addr", addr)
        object.__setattr__(self, "address", text)


@dataclass(frozen=True)
class Verdict:
    """How a desired resource relates to its live counterpart."""

    actions: tuple[str, ...]  # ("no-op",), ("update",), ("delete", "create")
    reason: str = ""
    replace_paths: tuple[tuple[str, ...], ...] = ()  # the attribute paths that force a replace


@dataclass(frozen=True)
class ResourceType:
    name: str
    provider: str
    # Attributes that cannot change in place; a change means delete + create.
    force_new: Mapping[str, str] = field(default_factory=dict)  # attribute -> reason
    # What deleting it loses ("its records", "the access it grants"); set = the plan needs an
    # explicit opt-in (`--allow-delete TYPE`) to delete or replace it.
    loses: str = ""
    # The attributes that name the physical object: equal identity at two addresses is a move.
    identity: tuple[str, ...] = ("name",)
    # Attributes compared only when the desired value is set (None = "whatever it is").
    optional: frozenset[str] = frozenset()
    # Further reasons to replace that depend on the values, not just on a change:
    # (the attribute that forces it, why), or None.
    replace_when: Callable[[Mapping[str, object], Mapping[str, object]], tuple[str, str] | None] | None = None
    # The secret a requested replace (`-replace=ADDRESS`) renews in place, in one step and with
    # no delete: a SCRAM user's password (a rotation). "" = a requested replace deletes, then creates.
    rotates: str = ""
    # What state records beside the object's attributes (a password's fingerprint, where the
    # credentials are), which no refresh reports: a plan from state alone leaves them out.
    recorded_only: frozenset[str] = frozenset()

    @property
    def holds_data(self) -> bool:
        return bool(self.loses)

    def identity_of(self, attributes: Mapping[str, object]) -> tuple[object, ...] | None:
        """The physical object's identity, or None when an attribute of it is unknown."""
        values = tuple(attributes.get(a) for a in self.identity)
        return None if any(v in (None, "") for v in values) else values

    def compare(self, desired: Mapping[str, object], actual: Mapping[str, object]) -> Verdict:
        """Pure comparison of a desired resource with what refresh found."""
        effective = self.effective(desired, actual)
        if effective == dict(actual):
            return Verdict(("no-op",))
        forcing = [attr for attr in self.force_new if effective.get(attr) != actual.get(attr)]
        reasons = [self.force_new[attr] for attr in forcing]
        # Another physical object (an explicit move between two names) is never an in-place update.
        other = [a for a in self.identity if a not in self.force_new and effective.get(a) != actual.get(a)]
        if other:
            reasons.append(f"another {self.name} ({', '.join(other)} differs)")
            forcing += other
        extra = self.replace_when(effective, actual) if self.replace_when else None
        if extra:
            reasons.insert(0, extra[1])
            forcing.insert(0, extra[0])
        if reasons:
            paths = tuple((attr,) for attr in dict.fromkeys(forcing))
            return Verdict(("delete", "create"), "; ".join(reasons), paths)
        return Verdict(("update",))

    def effective(self, desired: Mapping[str, object], actual: Mapping[str, object] | None) -> dict[str, object]:
        """Desired attributes with unset optional ones taken from the live resource."""
        out = dict(desired)
        for attr in self.optional:
            if out.get(attr) is None and actual is not None:
                out[attr] = actual.get(attr)
        return out


def _fewer_partitions(desired: Mapping[str, object], actual: Mapping[str, object]) -> tuple[str, str] | None:
    wanted, live = desired["partitions"], actual["partitions"]
    if isinstance(wanted, int) and isinstance(live, int) and wanted < live:
        return (
            "partitions",
            f"Kafka cannot reduce a topic's partitions ({actual['partitions']} -> {desired['partitions']})",
        )
    return None


RESOURCE_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "kafka_scram_user",
            "kafka",
            force_new={"mechanism": "the SCRAM mechanism changed"},
            rotates="password",
            recorded_only=frozenset({"password", "credentials"}),
        ),
        ResourceType(
            "kafka_topic",
            "kafka",
            force_new={"replication_factor": "Kafka cannot change a topic's replication factor in place"},
            loses="its records",
            optional=frozenset({"replication_factor"}),
            replace_when=_fewer_partitions,
        ),
        ResourceType(
            "kafka_acl",
            "kafka",
            force_new={"principal": "the principal changed"},
            identity=("principal", "resource_type", "resource_name", "pattern_type", "host"),
        ),
        ResourceType(
            "schema_subject",
            "registry",
            force_new={"schema_type": "a subject cannot change its type"},
            loses="its schema versions",
            identity=("subject",),
        ),
        ResourceType(
            "aws_s3_bucket",
            "aws",
            force_new={"bucket": "a bucket cannot be renamed"},
            loses="its objects",
            identity=("bucket",),
        ),
        ResourceType(
            "aws_iam_role", "aws", force_new={"name": "a role cannot be renamed"}, loses="the access it grants"
        ),
        ResourceType(
            "aws_glue_database",
            "aws",
            force_new={"name": "a Glue database cannot be renamed"},
            loses="its tables",
        ),
        ResourceType(
            "aws_glue_table",
            "aws",
            force_new={"database": "a Glue table cannot move to another database", "name": "renamed"},
            loses="its table definition",
            identity=("database", "name"),
        ),
        ResourceType(
            "aws_secretsmanager_secret",
            "aws",
            force_new={"name": "a secret cannot be renamed"},
            loses="its secret value",
        ),
        # A connector holds no records: a sink's are in its topics, a source's in the topic it
        # writes (its offsets stay in the worker's offsets topic). Deleting one needs no opt-in.
        ResourceType(
            "kafka_connector",
            "connect",
            force_new={"name": "a connector cannot be renamed (its offsets and group go by its name)"},
        ),
    )
}

# Types whose delete (or replace) needs `--allow-delete TYPE`: `all` opts in to every one.
GUARDED_TYPES: tuple[str, ...] = tuple(sorted(t.name for t in RESOURCE_TYPES.values() if t.holds_data))


def provider_of(type_: str, address: str) -> str:
    """The provider that owns the resource at `address`: `kafka`, `registry`, `aws`, or for a
    resource on a named cluster `kafka.eu` / `registry.eu` (its name reads `@eu/...`,
    meshctl.naming.on_cluster). Kafka and registry resources are never inside a module."""
    provider = RESOURCE_TYPES[type_].provider
    if provider == "aws" or not address.startswith(f"{type_}.{CLUSTER_MARK}"):
        return provider
    cluster, _ = cluster_of(address[len(type_) + 1 :])
    return provider if cluster == DEFAULT_CLUSTER else f"{provider}.{cluster}"
