"""A plan is data: resource changes with actions, before and after (Terraform's model),
and everything a view of it shows, decided by the planner: why each action, which
attribute paths force a replacement, what a schema or policy change adds and removes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from meshctl.resources import RESOURCE_TYPES

NOOP = ("no-op",)
CREATE = ("create",)
UPDATE = ("update",)
DELETE = ("delete",)
REPLACE = ("delete", "create")

# Why an action, set by the planner (Terraform's `action_reason` where one fits).
REPLACE_BECAUSE_CANNOT_UPDATE = "replace_because_cannot_update"
REPLACE_BY_REQUEST = "replace_by_request"  # `-replace=ADDRESS`, as in Terraform
DELETE_BECAUSE_NO_RESOURCE_CONFIG = "delete_because_no_resource_config"
DELETE_BECAUSE_RETIRED = "delete_because_retired"  # meshctl: a product version past its sunset
DELETE_BECAUSE_NOT_GRANTED = "delete_because_not_granted"  # meshctl: an ACL no configuration grants
ACTION_REASONS = frozenset(
    {
        REPLACE_BECAUSE_CANNOT_UPDATE,
        REPLACE_BY_REQUEST,
        DELETE_BECAUSE_NO_RESOURCE_CONFIG,
        DELETE_BECAUSE_RETIRED,
        DELETE_BECAUSE_NOT_GRANTED,
    }
)

# The effect of one part of a schema or policy change, as a view marks it.
ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class SchemaChange:
    """One field-level change of a schema (schemas.diff), as data."""

    kind: str  # schemas.model.CHANGE_KINDS
    effect: str  # ADDED, REMOVED or CHANGED
    description: str


@dataclass(frozen=True)
class PolicyChange:
    """Statements a policy document loses and gains. `path` is the attribute path of the
    document: ("policy",), or ("inline_policies", NAME) for one inline policy, which may
    also be added or removed whole (`effect`)."""

    path: tuple[str, ...]
    effect: str  # CHANGED, or ADDED / REMOVED for a whole inline policy
    removed: tuple[Mapping[str, object], ...] = ()
    added: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: str
    name: str
    source: str  # the block that produced it, e.g. data_product.sales.orders.v1
    actions: tuple[str, ...]
    before: Mapping[str, object] | None
    after: Mapping[str, object] | None
    depends_on: tuple[str, ...] = ()
    reason: str = ""  # for display only; never read by apply
    blocked: str = ""  # why apply refuses this change without an explicit opt-in
    domain: str = ""
    retire: bool = False  # deleting a retired product version: state remembers its name
    module: str = ""
    previous_address: str = ""  # set on a move: the address state knew the object by
    opt_in: str = ""  # the flag that lifts `blocked`, e.g. `--allow-delete aws_s3_bucket`
    protected_at: str = ""  # `file.hcl:12` where prevent_destroy protects it (recorded in state)
    action_reason: str = ""  # one of ACTION_REASONS, or "" for none
    replace_paths: tuple[tuple[str, ...], ...] = ()  # attribute paths that force a replacement
    holds_data: bool = False  # deleting the object loses what it holds (records, objects, access)
    # A schema changed in place or on a replace: what it adds, removes and changes (empty: layout
    # only); None when the schema is not what changes.
    schema_changes: tuple[SchemaChange, ...] | None = None
    policy_changes: tuple[PolicyChange, ...] = ()  # policy documents that change, statement by statement

    @property
    def is_noop(self) -> bool:
        return self.actions == NOOP

    @property
    def is_delete(self) -> bool:
        return self.actions == DELETE

    @property
    def is_replace(self) -> bool:
        return self.actions == REPLACE

    @property
    def is_move(self) -> bool:
        return bool(self.previous_address)

    @property
    def replace_requested(self) -> bool:
        """Asked for with `-replace`: a replace, or the create of a rotating type's object that
        was gone from the cluster (made with a new secret all the same)."""
        return self.action_reason == REPLACE_BY_REQUEST and "create" in self.actions

    @property
    def replaced_in_place(self) -> bool:
        """A requested replace the provider carries out in one step, with no delete first: a
        SCRAM user's new password set over the old one (a rotation). Shown and counted as a
        replace; nothing else forces it (a changed mechanism is a real delete and create)."""
        return (
            self.is_replace
            and self.replace_requested
            and not self.replace_paths
            and bool(RESOURCE_TYPES[self.type].rotates)
        )


@dataclass
class Plan:
    changes: list[ResourceChange] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)  # in state, gone from config and cluster
    state_serial: int = 0
    state_lineage: str = ""
    migrations: list[dict[str, object]] = field(default_factory=list)  # for display: who still reads what
    # For display: live objects in managed namespaces that nothing declares (plan.outside.Unmanaged)
    unmanaged: list[dict[str, object]] = field(default_factory=list)

    @property
    def actionable(self) -> list[ResourceChange]:
        return [c for c in self.changes if not c.is_noop]

    @property
    def moves(self) -> list[ResourceChange]:
        """Changes of address only (possibly with an update): apply rewrites state, no provider call."""
        return [c for c in self.changes if c.is_move]

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable or self.moves)

    @property
    def blocked(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.blocked]

    def counts(self) -> tuple[int, int, int]:
        add = sum(1 for c in self.changes if "create" in c.actions)
        change = sum(1 for c in self.changes if c.actions == UPDATE)
        destroy = sum(1 for c in self.changes if "delete" in c.actions)
        return add, change, destroy
