"""Who is deploying, as resource policies see it. Pure.

A resource policy's `aws:PrincipalArn` is the ARN of the IAM user or role, never the
session: a caller that assumed a role (`arn:aws:sts::123:assumed-role/Role/session`) is
matched as `arn:aws:iam::123:role/Role`. The session ARN does not carry the role's path
(`/service-role/`, `/aws-reserved/sso.amazonaws.com/`), so the provider looks the role
up when it can; otherwise `aws { deployer_arns = [...] }` names it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """Whose credentials meshctl runs with: the account, and the ARN `aws:PrincipalArn` holds."""

    account: str
    principal_arn: str


_ASSUMED = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/[^/]+$")
# What aws:PrincipalArn can be: the account root, an IAM user or role (with a path), a federated user.
_PRINCIPAL = re.compile(
    r"^arn:aws[a-z-]*:(iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)"
    r"|sts::\d{12}:federated-user/[\w+=,.@-]+)$"
)


def role_name_of_session(caller_arn: str) -> str | None:
    """The role name of an assumed-role session ARN, None for any other caller."""
    match = _ASSUMED.match(caller_arn)
    return match["role"] if match else None


def principal_arn(caller_arn: str) -> str:
    """The ARN `aws:PrincipalArn` holds for a caller of sts:GetCallerIdentity (role path not known)."""
    match = _ASSUMED.match(caller_arn)
    if match is None:
        return caller_arn  # a user, the root, a federated user: the same ARN
    return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"


def deployer_problem(arn: str) -> str | None:
    """Why `arn` cannot be a deployer in `aws.deployer_arns`, or None."""
    if role_name_of_session(arn):
        return f"{arn!r} is a role session; policies see the role: write {principal_arn(arn)!r}"
    if "*" in arn or "?" in arn:
        return f"{arn!r} has a wildcard; a deployer is one exact principal, or it would admit others"
    if not _PRINCIPAL.match(arn):
        return f"{arn!r} is not an IAM user, role or root ARN (e.g. arn:aws:iam::123456789012:role/deployer)"
    return None
