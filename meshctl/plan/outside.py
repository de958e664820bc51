"""What the cluster holds next to meshctl's resources without being one of them. Pure.

meshctl owns its topics, consumer groups and principals, and so the access to them. An
ALLOW ACL on a managed topic or group, or on a managed namespace (by prefix or the `*`
wildcard), that the configuration does not grant is an escalation made out of band; so is an
extra ACL of a managed principal. The plan deletes such ACLs as it deletes a grant removed
from the configuration. The principal meshctl runs as is never touched: without its ACLs
meshctl could lock itself out, and super users need no ACL at all, so deleting theirs changes
nothing. Topics and subjects nobody declared inside a managed namespace hold data: they are
listed, never deleted.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from meshctl.address import Address
from meshctl.plan.model import DELETE, DELETE_BECAUSE_NOT_GRANTED, ResourceChange

NOT_GRANTED = "not granted by the configuration"


@dataclass(frozen=True)
class Territory:
    """What meshctl owns on the cluster, each object with the domain that owns it."""

    namespaces: Mapping[str, str]  # domain -> topic prefix, `commerce.sales.`
    topics: Mapping[str, str] = field(default_factory=dict)  # managed topic -> domain
    groups: Mapping[tuple[str, bool], str] = field(default_factory=dict)  # (group name, is prefix) -> domain
    principals: Mapping[str, str] = field(default_factory=dict)  # `User:sales` -> domain
    protected: frozenset[str] = frozenset()  # principals never touched: the one meshctl runs as
    # Integration namespaces inside their domain's: topic prefix -> (domain, integration).
    integrations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Prefixes meshctl grants on topics and transactional ids outside every domain namespace (an
    # application's `<P>.`, `txn.<P>.`): (resource type, prefix) -> domain. Another principal's ACL
    # reaching into them is an escalation; topics under them are the app's own, never listed.
    prefixes: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @cached_property
    def names(self) -> dict[str, _Names]:
        """Per ACL resource type, the managed names a binding can reach; namespaces hold topics and groups."""
        spaces = {prefix: d for d, prefix in self.namespaces.items()}
        groups = {n: d for (n, is_prefix), d in self.groups.items() if not is_prefix}
        group_prefixes = {n: d for (n, is_prefix), d in self.groups.items() if is_prefix}
        owned = {rtype: {n: d for (t, n), d in self.prefixes.items() if t == rtype} for rtype in _OWNED_PREFIXES}
        return {
            "TOPIC": _Names.of(self.topics, {**owned["TOPIC"], **spaces}),
            "GROUP": _Names.of(groups, {**spaces, **group_prefixes}),
            "TRANSACTIONAL_ID": _Names.of({}, owned["TRANSACTIONAL_ID"]),
        }


@dataclass(frozen=True)
class Unmanaged:
    """A live object inside meshctl's territory that no configuration or state declares."""

    address: str
    type: str
    domain: str
    detail: str
    deleted: bool  # the plan deletes it (an ACL); otherwise it is listed and left alone
    live: Mapping[str, object]

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "type": self.type,
            "domain": self.domain,
            "detail": self.detail,
            "action": "delete" if self.deleted else "none",
            "live": dict(self.live),
        }


def territory(
    resources: Iterable[tuple[str, Mapping[str, object], str]],
    namespaces: Mapping[str, str],
    protected: Iterable[str] = (),
    integrations: Mapping[str, tuple[str, str]] | None = None,
) -> Territory:
    """From (type, attributes, domain) of desired and recorded resources; `integrations`:
    integration namespace -> (domain, integration), to say whose namespace holds an object."""
    topics: dict[str, str] = {}
    groups: dict[tuple[str, bool], str] = {}
    prefixes: dict[tuple[str, str], str] = {}
    principals: dict[str, str] = {f"User:{d}": d for d in namespaces}
    for type_, attrs, domain in resources:
        if type_ == "kafka_topic":
            topics[str(attrs["name"])] = domain
        elif type_ == "kafka_acl" and attrs.get("resource_type") == "GROUP":
            groups[(str(attrs["resource_name"]), attrs.get("pattern_type") == "PREFIXED")] = domain
        elif (
            type_ == "kafka_acl"
            and attrs.get("resource_type") in _OWNED_PREFIXES
            and attrs.get("pattern_type") == "PREFIXED"
        ):
            prefixes[(str(attrs["resource_type"]), str(attrs["resource_name"]))] = domain
        elif type_ == "kafka_scram_user":
            principals[f"User:{attrs['name']}"] = domain
    return Territory(
        dict(namespaces), topics, groups, principals, frozenset(protected), dict(integrations or {}), prefixes
    )


_OWNED_PREFIXES = ("TOPIC", "TRANSACTIONAL_ID")


@dataclass(frozen=True)
class _Names:
    """Managed names of one resource type (exact names and prefixes, with their domains), looked
    up in the length of a name rather than the size of the mesh: a cluster can hold many
    thousands of ACLs nobody declared, and each is checked."""

    exact: Mapping[str, str]
    prefixes: Mapping[str, str]
    ordered: tuple[str, ...]

    @staticmethod
    def of(exact: Mapping[str, str], prefixes: Mapping[str, str]) -> _Names:
        return _Names(dict(exact), dict(prefixes), tuple(sorted({*exact, *prefixes})))

    def reached(self, name: str, prefixed: bool) -> list[tuple[str, str]]:
        """(object, domain) a binding on `name` (a prefix when `prefixed`) reaches."""
        if name == "*" and not prefixed:
            return [(n, d) for n, d in (*self.exact.items(), *self.prefixes.items())]
        # Prefix objects the binding lies inside (`commerce.sales.x` in `commerce.sales.`).
        out = {(name[:i], self.prefixes[name[:i]]) for i in range(1, len(name) + 1) if name[:i] in self.prefixes}
        if not prefixed:
            return sorted(out | ({(name, self.exact[name])} if name in self.exact else set()))
        # Objects the binding's prefix covers: a range of the sorted names.
        for n in self.ordered[bisect_left(self.ordered, name) :]:
            if not n.startswith(name):
                break
            out |= {(n, d) for d in (self.exact.get(n), self.prefixes.get(n)) if d is not None}
        return sorted(out)


def claim(t: Territory, acl: Mapping[str, object]) -> tuple[frozenset[str], str] | None:
    """The domains whose objects an ACL reaches, and why it is theirs; None when it is not meshctl's."""
    principal = str(acl.get("principal"))
    if principal in t.protected:
        return None
    rtype, name = str(acl.get("resource_type")), str(acl.get("resource_name"))
    prefixed = acl.get("pattern_type") == "PREFIXED"
    names = t.names.get(rtype)
    reached = names.reached(name, prefixed) if names else []
    # Inside nested namespaces (`commerce.` > `commerce.sales.`) only the deepest one owns the object.
    inside = [(obj, d) for obj, d in reached if name.startswith(obj) and not obj.startswith(name) and obj != name]
    if inside:
        reached = [r for r in reached if r not in inside] + [max(inside, key=lambda r: len(r[0]))]
    ops = ", ".join(str(o) for o in _items(acl.get("operations")))
    who = f"{principal} {ops}".strip()
    if reached:
        domains = frozenset(d for _, d in reached)
        what = f"{rtype.lower()}s prefixed {name!r}" if prefixed else f"{rtype.lower()} {name!r}"
        if name == "*" and not prefixed:
            what = f"every {rtype.lower()} (*)"
        owners = ", ".join(f'"{d}"' for d in sorted(domains))
        plural = "s" if len(domains) > 1 else ""
        return domains, f"{NOT_GRANTED}: {who} on {what}, which reaches objects of domain{plural} {owners}"
    if principal in t.principals:
        d = t.principals[principal]
        return frozenset({d}), f'{NOT_GRANTED}: {who} for the principal of "{d}", which no grant explains'
    return None


def _namespace_owner(t: Territory, name: str) -> str | None:
    matches = [(len(prefix), d) for d, prefix in t.namespaces.items() if name.startswith(prefix)]
    return max(matches)[1] if matches else None


def _whose(t: Territory, owner: str, name: str) -> str:
    """Why an unmanaged topic or subject is in meshctl's territory: the namespace it is in."""
    inside = [(prefix, i) for prefix, (d, i) in t.integrations.items() if d == owner and name.startswith(prefix)]
    if inside:
        prefix, integration = max(inside)
        return (
            f'inside the namespace of integration "{integration}" of domain "{owner}" ({prefix}*); it holds data: '
            f'left alone (declare it with an output block of integration "{integration}" to manage it)'
        )
    return f'inside the namespace of domain "{owner}" ({t.namespaces[owner]}*); it holds data: left alone'


def _top(t: Territory, domains: frozenset[str]) -> str:
    """The domain to file a change under: the one nearest the root among those it reaches."""
    return min(domains, key=lambda d: (len(t.namespaces.get(d, "")), d))


def outside(
    t: Territory,
    live: Mapping[str, Mapping[str, object]],
    known: set[str],
    scope: frozenset[str] = frozenset(),
) -> tuple[list[ResourceChange], list[Unmanaged]]:
    """Deletions of ACLs that escalate access to meshctl's objects, and every unmanaged object
    inside its territory. `known`: addresses in configuration or state (the diff's business);
    `scope`: the domains a `--domain` plan may touch (empty: all). An ACL reaching any domain
    outside the scope is left to a plan of the whole mesh."""
    deletes: list[ResourceChange] = []
    found: list[Unmanaged] = []
    for address in sorted(set(live) - known):
        attrs = live[address]
        parsed = Address.parse(address)
        type_, name = parsed.type, parsed.label
        if type_ == "kafka_acl":
            claimed = claim(t, attrs)
            if claimed is None or (scope and not claimed[0] <= scope):
                continue
            domain = _top(t, claimed[0])
            found.append(Unmanaged(address, type_, domain, claimed[1], True, attrs))
            deletes.append(
                ResourceChange(
                    address,
                    type_,
                    name,
                    f"domain.{domain}",
                    DELETE,
                    dict(attrs),
                    None,
                    reason=claimed[1],
                    domain=domain,
                    action_reason=DELETE_BECAUSE_NOT_GRANTED,
                )
            )
        elif type_ in ("kafka_topic", "schema_subject"):
            object_name = str(attrs.get("name") or attrs.get("subject"))
            owner = _namespace_owner(t, object_name)
            if owner and (not scope or owner in scope):
                found.append(Unmanaged(address, type_, owner, _whose(t, owner, object_name), False, attrs))
    return deletes, found


def escalations(live: Mapping[str, object]) -> list[str]:
    """What was added next to a managed resource out of band, from the keys refresh sets only then."""
    why = []
    if live.get("password_applied") is False:  # then it is why the stored password does not log in, if it does not
        why.append(
            "the stored password is not the one apply last set (a rotation stopped after storing it, or the "
            "store was changed): apply sets it"
        )
    elif live.get("authenticates") is False:
        why.append("the stored password no longer logs in (changed out of band): apply sets it again")
    if live.get("other_mechanisms"):
        added = ", ".join(str(m) for m in _items(live["other_mechanisms"]))
        why.append(f"a {added} credential was added next to the managed one: apply removes it")
    if live.get("failed_tasks"):
        failed = _items(live["failed_tasks"])
        why.append(f"{len(failed)} failed connector task(s) (failed_tasks): apply restarts them")
    if live.get("attached_policies"):
        arns = ", ".join(str(a) for a in _items(live["attached_policies"]))
        why.append(f"managed policies attached out of band ({arns}): apply detaches them")
    return why


def _items(value: object) -> list[object]:
    """A list attribute's elements (none when it is not a list)."""
    return list(value) if isinstance(value, list) else []


def explain(change: ResourceChange) -> ResourceChange:
    """Say why an update reverts an escalation made next to a managed resource (display only)."""
    why = escalations(change.before or {})
    if not why or change.actions != ("update",):
        return change
    return replace(change, reason="; ".join([*filter(None, [change.reason]), *why]))
