"""Justified exceptions: a choice off the happy path (DESIGN.md practice 5) stands only with
an `exception` block naming the rule, the address it excuses, a reason and an expiry date.

    exception "legacy_pos_feed" {
      rule    = "non_idempotent_producer"
      target  = "application.sales.pos_feed"
      reason  = "the point-of-sale vendor's client cannot enable idempotence before its 5.0"
      expires = "2027-03-31"
    }

The rules and what they excuse (the target's address as `meshctl plan` shows it):
- non_idempotent_producer  `application.<domain>.<name>` declaring `idempotent = false`;
- delivery_contract        `data_product.<domain>.<name>.v<n>` whose delivery says
                           duplicates = "not_tolerated" (the default promise is "tolerated");
- retention_above_policy   a product (or `integration.<name>.output "<output>"`) whose
                           retention.ms is over its domain's max_retention;
- grant_refused_by_policy  `access.<name>` or `copy.<domain>.<name>.v<n>` lacking the approval
                           its producer's require_approval asks for (mesh.approvals).

`expires` is the last day the exception is in force: on that day it still excuses, the day
after it is an error (and no longer excuses). An exception that excuses nothing (its target is
not declared, or is on the happy path) is a warning: it would silently cover a future choice.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

from meshctl.errors import Diagnostics
from meshctl.mesh.model import Mesh, PolicyException

# What each rule's target is, for messages.
TARGETS = {
    "non_idempotent_producer": "an application (application.<domain>.<name>)",
    "delivery_contract": "a data product version (data_product.<domain>.<name>.v<n>)",
    "retention_above_policy": "a data product version or an integration output",
    "grant_refused_by_policy": "an access grant (access.<name>) or a copy (copy.<domain>.<name>.v<n>)",
}


@dataclass
class Exceptions:
    """The mesh's exceptions as of `today`, and which of them the checks have used."""

    mesh: Mesh
    today: date
    used: set[str] = field(default_factory=set)  # names of exceptions that excused something

    def in_force(self, rule: str, address: str) -> PolicyException | None:
        """The unexpired exception excusing `rule` for `address`; marks it used."""
        for e in self.mesh.exceptions:
            if e.rule == rule and e.target == address and not expired(e, self.today):
                self.used.add(e.name)
                return e
        return None

    def excuses(self, rule: str, address: str) -> bool:
        return self.in_force(rule, address) is not None

    def report(self, diags: Diagnostics) -> None:
        """Expired exceptions (errors), duplicate names (errors), and those excusing nothing."""
        seen: dict[str, PolicyException] = {}
        for e in self.mesh.exceptions:
            if e.name in seen:
                diags.error(
                    f'duplicate exception "{e.name}"',
                    e.src,
                    detail=f"first declared at {seen[e.name].src}",
                    hint="exception names are unique across the mesh: rename one of them",
                )
                continue
            seen[e.name] = e
            if expired(e, self.today):
                diags.error(
                    f'exception "{e.name}" expired on {e.expires}',
                    e.srcs.get("expires", e.src),
                    # One line: a reason written as a heredoc must not forge lines of output.
                    detail=" ".join(f"{e.rule} for {e.target}: {e.reason}".split()),
                    hint="return to the happy path, or renew it with a new expires date and a reason that still holds",
                )
            elif e.name not in self.used:
                diags.warning(
                    f'exception "{e.name}" excuses nothing: {e.target} {_why_nothing(self.mesh, e)}',
                    e.srcs.get("target", e.src),
                    detail=f"rule {e.rule} excuses {TARGETS[e.rule]}",
                    hint=_target_hint(self.mesh, e),
                )


def expired(e: PolicyException, today: date) -> bool:
    """`expires` is the last day in force."""
    return e.expires is not None and e.expires < today


def in_force(mesh: Mesh, today: date) -> list[dict[str, object]]:
    """The exceptions in force on `today` (not expired), as data for `validate --json` and
    `report --json`: name, rule, target, reason, expires, days_left, approved_by, file, line."""
    return [
        {
            "name": e.name,
            "rule": e.rule,
            "target": e.target,
            "reason": e.reason,
            "expires": e.expires.isoformat() if e.expires else None,
            "days_left": (e.expires - today).days if e.expires else None,
            "approved_by": e.approved_by or None,
            "file": e.src.file,
            "line": e.src.line,
        }
        for e in sorted(mesh.exceptions, key=lambda e: e.name)
        if not expired(e, today)
    ]


def _addresses(mesh: Mesh) -> list[str]:
    out = [p.address for p in mesh.products] + [a.address for a in mesh.applications]
    out += [a.address for a in mesh.access] + [c.address for c in mesh.copies]
    out += [f'{i.address}.output "{o.name}"' for i in mesh.integrations for o in i.outputs]
    return out


def _why_nothing(mesh: Mesh, e: PolicyException) -> str:
    return "is on the happy path" if e.target in _addresses(mesh) else "is not declared"


def _target_hint(mesh: Mesh, e: PolicyException) -> str:
    known = _addresses(mesh)
    if e.target in known:
        return "remove the exception: nothing needs it"
    close = difflib.get_close_matches(e.target, known, n=1)
    return f"did you mean {close[0]!r}?" if close else "name an address as meshctl plan shows it"
