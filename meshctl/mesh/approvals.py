"""Consent at the nearest common ancestor: a policy's `require_approval = ["access", "copy"]`
makes each grant (or copy) of the domain's products to another domain need an
`approval { by = ... }` naming a person accountable or responsible at the nearest common
ancestor (NCA) of the producing and the consuming domain. That domain's owners answer for
both sides: for two sibling domains their parent, for a domain below the producer the
producer itself.

Whose policy: the producing domain's effective policy (its own and its ancestors', tightened
down the tree), since the data is the producer's to share. An approval given where none is
required is checked all the same: a wrong name never reads as consent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date

from meshctl.errors import Diagnostics, SourceRange
from meshctl.mesh.exceptions import Exceptions
from meshctl.mesh.model import Access, Approval, Copy, Domain, Mesh
from meshctl.mesh.policy import Setting, policies
from meshctl.mesh.tree import nearest_common_ancestor

ROLES = ("accountable", "responsible")  # who may approve at the NCA; consulted and informed may not


@dataclass(frozen=True)
class Need:
    """An approval a grant or a copy needs (or carries): who may give it, and where the rule is."""

    address: str  # `access.x` or `copy.analytics.orders.v1`
    kind: str  # "access" or "copy"
    name: str  # the block's label
    producer: str
    consumer: str
    product: str  # `<domain>.<product>`
    nca: str | None  # None: the two domains share no ancestor
    approvers: tuple[str, ...]  # accountable first, then responsible
    required: Setting | None  # the require_approval setting that asks for it; None: not required
    approval: Approval | None
    src: SourceRange

    def to_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "kind": self.kind,
            "product": self.product,
            "producer": self.producer,
            "consumer": self.consumer,
            "approver_domain": self.nca,
            "approvers": list(self.approvers),
            "required": self.required is not None,
            "approved_by": self.approval.by if self.approval else None,
            "ticket": (self.approval.ticket or None) if self.approval else None,
        }


def approvers(domain: Domain | None) -> tuple[str, ...]:
    """Who may approve at `domain`: its accountable owner, then the responsible ones."""
    if domain is None or domain.owners is None:
        return ()
    return tuple(dict.fromkeys((domain.owners.accountable, *domain.owners.responsible)))


def needs(mesh: Mesh, policy_of: Callable[[str], Mapping[str, Setting]] | None = None) -> list[Need]:
    """Every cross-domain grant and copy that requires an approval or carries one, in the
    order declared (grants, then copies). Those naming unknown domains or products are left
    to the other checks."""
    policy_of = policy_of or policies(mesh)
    out: list[Need] = []
    items: list[tuple[str, Access | Copy, str, str, int | None]] = [
        ("access", a, a.consumer, a.product, a.version) for a in mesh.access
    ]
    items += [("copy", c, c.domain, c.product, c.version) for c in mesh.copies]
    for kind, item, consumer, key, version in items:
        product = mesh.product(key, version)
        if product is None or consumer not in mesh.domains or product.domain not in mesh.domains:
            continue
        if product.domain == consumer:
            continue  # no other domain: nothing to consent to
        setting = policy_of(product.domain).get("require_approval")
        required = setting if setting is not None and kind in setting.names else None
        if required is None and item.approval is None:
            continue
        nca = nearest_common_ancestor(mesh, [product.domain, consumer])
        out.append(
            Need(
                address=item.address,
                kind=kind,
                name=item.name,
                producer=product.domain,
                consumer=consumer,
                product=key,
                nca=nca,
                approvers=approvers(mesh.domains.get(nca or "")),
                required=required,
                approval=item.approval,
                src=item.src,
            )
        )
    return out


def check_approvals(mesh: Mesh, diags: Diagnostics, excused: Callable[[str], bool] = lambda _: False) -> None:
    """`excused(address)`: a grant or copy an unexpired `grant_refused_by_policy` exception
    lets stand without its approval (mesh.exceptions)."""
    for need in needs(mesh):
        what = f'{need.kind} "{need.name}"'
        between = f'"{need.producer}" and "{need.consumer}"'
        if need.nca is None:
            if need.required is not None and excused(need.address):
                continue
            diags.error(
                f"{what} needs an approval at the nearest common ancestor of {between}, and they share none",
                need.approval.src if need.approval else need.src,
                detail=_required_detail(need),
                hint="place both domains under one root domain, whose owners then approve",
            )
            continue
        who = _who(need)
        if need.approval is None:
            if excused(need.address):
                continue
            diags.error(
                f"{what} needs an approval from {who}",
                need.src,
                detail=_required_detail(need),
                hint=(f'add approval {{ by = "{need.approvers[0]}" }}' if need.approvers else _no_owners(need))
                + ' (until it is given: exception "..." '
                + f'{{ rule = "grant_refused_by_policy", target = "{need.address}" }})',
            )
            continue
        by = need.approval.by
        if by in need.approvers:
            continue
        role = _role(mesh.domains[need.nca], by)
        diags.error(
            f'{what}: "{by}" is {role} at "{need.nca}", so cannot approve it'
            if role
            else f'{what}: "{by}" is not accountable or responsible at "{need.nca}"',
            need.approval.src,
            detail=f'"{need.nca}" is the nearest common ancestor of {between}',
            hint=f"approvals come from {who}" if need.approvers else _no_owners(need),
        )


def _who(need: Need) -> str:
    people = ", ".join(need.approvers) if need.approvers else "nobody (it has no owners)"
    return f'the accountable or responsible owners of "{need.nca}": {people}'


def _no_owners(need: Need) -> str:
    return f'give domain "{need.nca}" an owners block: its accountable owner approves'


def _required_detail(need: Need) -> str:
    if need.required is None:
        return "it carries an approval, which is checked like a required one"
    s = need.required
    return (
        f'require_approval = [{", ".join(s.names)}] is set by domain "{s.domain}" at {s.src}; '
        f'"{need.nca}" is the nearest common ancestor of "{need.producer}" and "{need.consumer}"'
        if need.nca
        else f'require_approval = [{", ".join(s.names)}] is set by domain "{s.domain}" at {s.src}'
    )


def _role(domain: Domain, who: str) -> str:
    """`who`'s role at `domain` when it cannot approve: "consulted", "informed" or ""."""
    owners = domain.owners
    if owners is None:
        return ""
    if who in owners.consulted:
        return "consulted"
    if who in owners.informed:
        return "informed"
    return ""


def approvals_for(mesh: Mesh, added: Collection[str], today: date) -> list[dict[str, object]]:
    """The approvals the grants and copies in `added` (their addresses: the sources of the
    resources a plan creates) need, for the Markdown plan: each with who may give it, and
    whether it is given (or, while it is not, which exception lets it stand)."""
    exceptions = Exceptions(mesh, today)
    out: list[dict[str, object]] = []
    for need in needs(mesh):
        if need.required is None or need.address not in added:
            continue
        row = need.to_json()
        excused = None if need.approval else exceptions.in_force("grant_refused_by_policy", need.address)
        row["exception"] = excused.name if excused else None
        row["exception_expires"] = excused.expires.isoformat() if excused and excused.expires else None
        out.append(row)
    return out
