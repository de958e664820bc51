"""`-replace=ADDRESS` (Terraform's flag): which requests a plan may carry out. Pure.

A requested replace is for objects whose state a plan cannot see. A SCRAM user's password is
one: refresh reads the mechanism and iterations, never the secret, so replacing the user is
how its password is rotated (in place, in one step: resources.ResourceType.rotates). For the
other types:

- objects that hold data (topics, subjects, buckets, Glue, roles) are deleted and created
  empty, so a request needs the same opt-in as any delete of them: `--allow-delete TYPE`
  (`--allow-delete-topics` for topics) or `--allow-replace`;
- an ACL is refused: it holds nothing refresh does not read back (every binding is listed
  and apply restores what differs), so a delete then create could only deny the principal
  for a moment;
- a Secrets Manager secret is refused: it holds a principal's password, and Secrets Manager
  keeps a deleted secret's name for its recovery window, so the create would fail and leave
  no password. Its principal's password is rotated through the SCRAM user.

The address must name a recorded object the configuration still declares, inside the plan's
`--target`/`--domain` scope: anything else is refused before any request (the CLI makes each
a usage error), never a plan that silently replaces nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from meshctl.address import Address, AddressError
from meshctl.plan.diff import PlanOptions
from meshctl.resources import RESOURCE_TYPES, Resource
from meshctl.state_model import State

REFUSED: dict[str, str] = {
    "kafka_acl": (
        "an ACL holds nothing a plan does not read back (refresh lists every binding and apply restores what "
        "differs), so deleting and creating it again would only deny its principal in between"
    ),
    "aws_secretsmanager_secret": (
        "it holds a principal's password, and Secrets Manager keeps a deleted secret's name for its recovery "
        "window, so the create would fail and leave no password; to rotate the password, replace the "
        "principal's kafka_scram_user"
    ),
}


def check_address(text: str) -> Address:
    """A `-replace` value as an address of a type meshctl manages (AddressError otherwise)."""
    address = Address.parse(text)
    if address.type not in RESOURCE_TYPES:
        known = ", ".join(sorted(RESOURCE_TYPES))
        raise AddressError(f"{text!r} is no resource meshctl manages: its type is not one of {known}")
    return address


def replace_problems(
    desired: Iterable[Resource], prior: State, in_scope: Iterable[str], options: PlanOptions
) -> list[str]:
    """Why each requested replace cannot be planned, one sentence each (none: all can)."""
    wanted = {r.address: r for r in desired}
    scoped = set(in_scope)
    out = []
    for text in sorted(options.replace):
        problem = _problem(text, wanted, prior, scoped, options)
        if problem:
            out.append(f"-replace={text}: {problem}")
    return out


def _problem(text: str, wanted: dict[str, Resource], prior: State, scoped: set[str], options: PlanOptions) -> str:
    try:
        address = str(check_address(text))
    except AddressError as exc:
        return str(exc)
    recorded, declared = address in prior.resources, address in wanted
    if not recorded and not declared:
        close = difflib.get_close_matches(address, sorted(set(prior.resources) | set(wanted)), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        return f"neither the state nor the configuration has this resource{hint}"
    if not recorded:
        return "not created yet (the configuration declares it, the state does not record it): apply creates it"
    if not declared:
        return "no longer in the configuration: the plan deletes it, there is nothing to replace it with"
    if address not in scoped:
        return f"outside this plan's --target/--domain scope: add --target {address}"
    type_ = wanted[address].type
    if type_ in REFUSED:
        return f"{type_} is never replaced on request: {REFUSED[type_]}"
    rtype = RESOURCE_TYPES[type_]
    if rtype.holds_data and not (options.allow_replace or options.allows_delete(type_)):
        also = " (or --allow-delete-topics)" if type_ == "kafka_topic" else ""
        return (
            f"replacing it deletes {rtype.loses} and creates it empty: pass --allow-delete {type_}{also} "
            "or --allow-replace to replace it anyway"
        )
    return ""
