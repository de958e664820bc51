"""The AWS provider: S3 buckets, IAM roles, Glue databases and tables, Secrets Manager
secrets. Reads run in parallel and use list calls where AWS has them; botocore's adaptive
retry mode handles throttling. Policies are stored and compared in canonical form."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from meshctl.attributes import (
    AwsGlueDatabase,
    AwsGlueTable,
    AwsIamRole,
    AwsS3Bucket,
    AwsSecretsmanagerSecret,
    BadAttributesError,
    attributes_of,
)
from meshctl.aws_session import Service, aws_error, client, error_code
from meshctl.iam.identity import Identity, principal_arn, role_name_of_session
from meshctl.iam.policy import canonical
from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult, Managed

_PARALLEL = 8
_MISSING = {
    "NoSuchBucket",
    "NoSuchEntity",
    "EntityNotFoundException",
    "ResourceNotFoundException",
    "404",
    "NotFound",
}


@dataclass(frozen=True)
class AwsSettings:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


class AwsProvider:
    name = "aws"

    def __init__(self, settings: AwsSettings):
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self.requests = 0

    def _client(self, service: Service) -> Any:
        if service not in self._clients:
            s = self.settings
            self._clients[service] = client(service, s.region, s.profile, s.endpoint_url)
        return self._clients[service]

    def _call(self, service: Service, method: str, **kwargs: Any) -> Any:
        self.requests += 1
        return getattr(self._client(service), method)(**kwargs)

    # -- identity ---------------------------------------------------------------

    def identity(self) -> Identity:
        """Who the credentials in use are, as resource policies see them."""
        try:
            caller = self._call("sts", "get_caller_identity")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise aws_error(exc, "identify the deploying principal (sts:GetCallerIdentity)") from None
        account, arn = str(caller["Account"]), str(caller["Arn"])
        role = role_name_of_session(arn)
        if role is None:
            return Identity(account, arn)
        try:  # the role's own ARN carries its path, which the session ARN leaves out
            return Identity(account, str(self._call("iam", "get_role", RoleName=role)["Role"]["Arn"]))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return Identity(account, principal_arn(arn))  # no iam:GetRole: right unless the role has a path

    # -- refresh ----------------------------------------------------------------

    def refresh(self, managed: list[Managed]) -> dict[str, dict[str, object]]:
        if not managed:
            return {}
        readers: dict[str, Callable[[Managed], Mapping[str, object] | None]] = {
            "aws_s3_bucket": self._read_bucket,
            "aws_iam_role": self._read_role,
            "aws_glue_database": self._read_database,
            "aws_glue_table": self._read_table,
            "aws_secretsmanager_secret": self._read_secret,
        }
        try:
            existing_buckets = (
                {b["Name"] for b in self._call("s3", "list_buckets").get("Buckets", [])}
                if any(m.type == "aws_s3_bucket" for m in managed)
                else set()
            )
            secrets = self._list_secrets() if any(m.type == "aws_secretsmanager_secret" for m in managed) else {}
            self._existing_buckets, self._secrets = existing_buckets, secrets
            self._list_glue(managed)
            with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
                results = list(pool.map(lambda m: (m.address, readers[m.type](m)), managed))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise aws_error(exc, "read AWS resources") from None
        return {address: dict(attrs) for address, attrs in results if attrs is not None}

    def _optional(self, service: Service, method: str, **kwargs: Any) -> Any:
        """A read whose 'not found' answer means 'not set'."""
        try:
            return self._call(service, method, **kwargs)
        except botocore.exceptions.ClientError as exc:
            code = error_code(exc)
            if code in _MISSING or code.startswith("NoSuch") or "NotFound" in code:
                return None
            raise

    def _read_bucket(self, m: Managed) -> AwsS3Bucket | None:
        name = str(m.attributes["bucket"])
        if name not in self._existing_buckets:
            return None
        policy = self._optional("s3", "get_bucket_policy", Bucket=name)
        tags = self._optional("s3", "get_bucket_tagging", Bucket=name)
        encryption = self._optional("s3", "get_bucket_encryption", Bucket=name)
        block = self._optional("s3", "get_public_access_block", Bucket=name)
        versioning = self._call("s3", "get_bucket_versioning", Bucket=name)
        rules = (encryption or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        algorithm = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] if rules else ""
        flags = (block or {}).get("PublicAccessBlockConfiguration", {})
        return {
            "bucket": name,
            "policy": canonical(policy["Policy"]) if policy else "",
            "encryption": algorithm,
            "block_public_access": bool(flags) and all(flags.values()),
            "versioning": versioning.get("Status") == "Enabled",
            "tags": {t["Key"]: t["Value"] for t in (tags or {}).get("TagSet", [])},
        }

    def _read_role(self, m: Managed) -> AwsIamRole | None:
        name = str(m.attributes["name"])
        role = self._optional("iam", "get_role", RoleName=name)
        if role is None:
            return None
        role = role["Role"]
        names = self._call("iam", "list_role_policies", RoleName=name).get("PolicyNames", [])
        inline = {}
        for policy_name in names:
            doc = self._call("iam", "get_role_policy", RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            inline[policy_name] = canonical(doc)
        trust = role["AssumeRolePolicyDocument"]
        live: AwsIamRole = {
            "name": name,
            "description": role.get("Description", ""),
            "assume_role_policy": canonical(trust),
            "inline_policies": dict(sorted(inline.items())),
            "tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])},
        }
        attached = self._attached_policies(name)
        if attached:  # meshctl attaches no managed policy: one attached out of band is drift, detached on apply
            live["attached_policies"] = attached
        return live

    def _attached_policies(self, role: str) -> list[str]:
        """ARNs of the managed policies attached to the role (AdministratorAccess, ...)."""
        arns: list[str] = []
        for page in self._client("iam").get_paginator("list_attached_role_policies").paginate(RoleName=role):
            self.requests += 1
            arns.extend(p["PolicyArn"] for p in page.get("AttachedPolicies", []))
        return sorted(arns)

    def _list_glue(self, managed: list[Managed]) -> None:
        """All databases in one listing, and each managed database's tables in one listing."""
        self._databases: dict[str, dict] = {}
        self._tables: dict[tuple[str, str], dict] = {}
        if not any(m.type in ("aws_glue_database", "aws_glue_table") for m in managed):
            return
        for page in self._client("glue").get_paginator("get_databases").paginate():
            self.requests += 1
            self._databases.update({d["Name"]: d for d in page.get("DatabaseList", [])})
        wanted = {str(m.attributes["database"]) for m in managed if m.type == "aws_glue_table"}

        def tables(db: str) -> list[dict]:
            found = []
            for page in self._client("glue").get_paginator("get_tables").paginate(DatabaseName=db):
                self.requests += 1
                found.extend(page.get("TableList", []))
            return found

        present = sorted(wanted & set(self._databases))
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            for db, listed in zip(present, pool.map(tables, present), strict=True):
                self._tables.update({(db, t["Name"]): t for t in listed})

    def _read_database(self, m: Managed) -> AwsGlueDatabase | None:
        db = self._databases.get(str(m.attributes["name"]))
        if db is None:
            return None
        return {"name": db["Name"], "description": db.get("Description", ""), "parameters": db.get("Parameters", {})}

    def _read_table(self, m: Managed) -> AwsGlueTable | None:
        t = self._tables.get((str(m.attributes["database"]), str(m.attributes["name"])))
        if t is None:
            return None
        return {
            "database": t["DatabaseName"],
            "name": t["Name"],
            "description": t.get("Description", ""),
            "parameters": t.get("Parameters", {}),
        }

    def _list_secrets(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        paginator = self._client("secretsmanager").get_paginator("list_secrets")
        for page in paginator.paginate():
            self.requests += 1
            for s in page.get("SecretList", []):
                out[s["Name"]] = s
        return out

    def _read_secret(self, m: Managed) -> AwsSecretsmanagerSecret | None:
        s = self._secrets.get(str(m.attributes["name"]))
        if s is None:
            return None
        policy = self._optional("secretsmanager", "get_resource_policy", SecretId=s["Name"]) or {}
        return {
            "name": s["Name"],
            "description": s.get("Description", ""),
            "policy": canonical(policy["ResourcePolicy"]) if policy.get("ResourcePolicy") else "",
            "tags": {t["Key"]: t["Value"] for t in s.get("Tags", [])},
        }

    def inventory(self, with_configs_under: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
        return {}

    # -- apply --------------------------------------------------------------------

    def apply(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._each(changes, self._upsert)

    def delete(self, changes: list[ResourceChange]) -> list[ChangeResult]:
        return self._each(changes, self._remove)

    def _each(self, changes: list[ResourceChange], step: Callable[[ResourceChange], None]) -> list[ChangeResult]:
        """One change per thread: AWS has no batch writes for these resources."""

        def run(c: ResourceChange) -> ChangeResult:
            try:
                step(c)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                return ChangeResult(c.address, str(aws_error(exc, f"change {c.address}")))
            except BadAttributesError as exc:  # a plan's attributes not of their type's shape: nothing was sent
                return ChangeResult(c.address, str(exc))
            return ChangeResult(c.address, "", None if step == self._remove else dict(c.after or {}))

        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            return list(pool.map(run, changes))

    def _upsert(self, c: ResourceChange) -> None:
        before, after = c.before or {}, c.after or {}
        if c.type == "aws_s3_bucket":
            self._put_bucket(before, attributes_of(AwsS3Bucket, after, c.address))
        elif c.type == "aws_iam_role":
            self._put_role(before, attributes_of(AwsIamRole, after, c.address))
        elif c.type == "aws_glue_database":
            self._put_database(before, attributes_of(AwsGlueDatabase, after, c.address))
        elif c.type == "aws_glue_table":
            self._put_table(before, attributes_of(AwsGlueTable, after, c.address))
        elif c.type == "aws_secretsmanager_secret":
            self._put_secret(before, attributes_of(AwsSecretsmanagerSecret, after, c.address))
        else:
            raise KeyError(c.type)

    def _put_bucket(self, before: Mapping[str, object], after: AwsS3Bucket) -> None:
        name = after["bucket"]
        if not before:
            kwargs: dict[str, Any] = {"Bucket": name}
            region = self._client("s3").meta.region_name
            if region and region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
            self._call("s3", "create_bucket", **kwargs)
        if after.get("block_public_access") != before.get("block_public_access"):
            if after.get("block_public_access"):
                flags = dict.fromkeys(
                    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
                )
                self._call("s3", "put_public_access_block", Bucket=name, PublicAccessBlockConfiguration=flags)
            else:
                self._call("s3", "delete_public_access_block", Bucket=name)
        if after.get("encryption") != before.get("encryption") and after.get("encryption"):
            rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": after["encryption"]}}
            self._call("s3", "put_bucket_encryption", Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
        if after.get("versioning") != before.get("versioning"):
            status = "Enabled" if after.get("versioning") else "Suspended"
            self._call("s3", "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": status})
        if after.get("tags") != before.get("tags"):
            tags = [{"Key": k, "Value": v} for k, v in sorted(after["tags"].items())]
            if tags:
                self._call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": tags})
            else:
                self._call("s3", "delete_bucket_tagging", Bucket=name)
        if after.get("policy") != before.get("policy"):
            if after.get("policy"):
                self._call("s3", "put_bucket_policy", Bucket=name, Policy=after["policy"])
            else:
                self._call("s3", "delete_bucket_policy", Bucket=name)

    def _put_role(self, before: Mapping[str, object], after: AwsIamRole) -> None:
        name = after["name"]
        tags = [{"Key": k, "Value": v} for k, v in sorted(after["tags"].items())]
        if not before:
            self._call(
                "iam",
                "create_role",
                RoleName=name,
                AssumeRolePolicyDocument=after["assume_role_policy"],
                Description=after.get("description", ""),
                Tags=tags,
            )
        else:
            if before.get("assume_role_policy") != after["assume_role_policy"]:
                self._call(
                    "iam", "update_assume_role_policy", RoleName=name, PolicyDocument=after["assume_role_policy"]
                )
            if before.get("description") != after.get("description"):
                self._call("iam", "update_role", RoleName=name, Description=after.get("description", ""))
            if before.get("tags") != after.get("tags"):
                old = set(_object(before.get("tags"))) - set(after["tags"])
                if old:
                    self._call("iam", "untag_role", RoleName=name, TagKeys=sorted(old))
                if tags:
                    self._call("iam", "tag_role", RoleName=name, Tags=tags)
        old_inline = _object(before.get("inline_policies"))
        new_inline = after["inline_policies"]
        for policy_name, document in new_inline.items():
            if old_inline.get(policy_name) != document:
                self._call("iam", "put_role_policy", RoleName=name, PolicyName=policy_name, PolicyDocument=document)
        for policy_name in set(old_inline) - set(new_inline):
            self._call("iam", "delete_role_policy", RoleName=name, PolicyName=policy_name)
        for arn in sorted(set(_strings(before.get("attached_policies"))) - set(after.get("attached_policies") or [])):
            self._call("iam", "detach_role_policy", RoleName=name, PolicyArn=arn)

    def _put_database(self, before: Mapping[str, object], after: AwsGlueDatabase) -> None:
        db = {
            "Name": after["name"],
            "Description": after.get("description", ""),
            "Parameters": after.get("parameters", {}),
        }
        if before:
            self._call("glue", "update_database", Name=after["name"], DatabaseInput=db)
        else:
            self._call("glue", "create_database", DatabaseInput=db)

    def _put_table(self, before: Mapping[str, object], after: AwsGlueTable) -> None:
        table = {
            "Name": after["name"],
            "Description": after.get("description", ""),
            "Parameters": after.get("parameters", {}),
        }
        if before:
            self._call("glue", "update_table", DatabaseName=after["database"], TableInput=table)
        else:
            self._call("glue", "create_table", DatabaseName=after["database"], TableInput=table)

    def _put_secret(self, before: Mapping[str, object], after: AwsSecretsmanagerSecret) -> None:
        tags = [{"Key": k, "Value": v} for k, v in sorted(after["tags"].items())]
        if not before:
            try:
                self._call(
                    "secretsmanager",
                    "create_secret",
                    Name=after["name"],
                    Description=after.get("description", ""),
                    Tags=tags,
                )
                before = {"description": after.get("description", ""), "tags": after.get("tags", {}), "policy": ""}
            except botocore.exceptions.ClientError as exc:
                # The credential store may have created it first, holding a principal's password.
                if error_code(exc) != "ResourceExistsException":
                    raise
                before = {"description": None, "tags": {}, "policy": None}
        if before.get("policy") != after.get("policy"):
            if after.get("policy"):
                self._call(
                    "secretsmanager", "put_resource_policy", SecretId=after["name"], ResourcePolicy=after["policy"]
                )
            else:
                self._call("secretsmanager", "delete_resource_policy", SecretId=after["name"])
        if before.get("description") != after.get("description"):
            self._call(
                "secretsmanager", "update_secret", SecretId=after["name"], Description=after.get("description", "")
            )
        if before.get("tags") != after.get("tags"):
            old = set(_object(before.get("tags"))) - set(after["tags"])
            if old:
                self._call("secretsmanager", "untag_resource", SecretId=after["name"], TagKeys=sorted(old))
            if tags:
                self._call("secretsmanager", "tag_resource", SecretId=after["name"], Tags=tags)

    def _remove(self, c: ResourceChange) -> None:
        b = c.before or {}
        if c.type == "aws_s3_bucket":
            self._call("s3", "delete_bucket", Bucket=b["bucket"])  # refused by S3 while it holds objects
        elif c.type == "aws_iam_role":
            for policy_name in _object(b.get("inline_policies")):
                self._call("iam", "delete_role_policy", RoleName=b["name"], PolicyName=policy_name)
            for arn in _strings(b.get("attached_policies")):  # IAM refuses to delete a role with policies attached
                self._call("iam", "detach_role_policy", RoleName=b["name"], PolicyArn=arn)
            self._call("iam", "delete_role", RoleName=b["name"])
        elif c.type == "aws_glue_database":
            self._call("glue", "delete_database", Name=b["name"])
        elif c.type == "aws_glue_table":
            self._call("glue", "delete_table", DatabaseName=b["database"], Name=b["name"])
        elif c.type == "aws_secretsmanager_secret":
            try:
                self._call("secretsmanager", "delete_secret", SecretId=b["name"], RecoveryWindowInDays=7)
            except botocore.exceptions.ClientError as exc:
                # Deleting a principal deletes its password first (the credential store, in the
                # same apply): the secret is then already gone or scheduled for deletion.
                if not _already_deleted(exc):
                    raise


def _already_deleted(exc: botocore.exceptions.ClientError) -> bool:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return code == "ResourceNotFoundException" or (
        code == "InvalidRequestException" and "marked" in message and "delet" in message
    )


def _object(value: object) -> Mapping[str, object]:
    """A recorded object member (tags, inline policies); {} when absent."""
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> list[str]:
    """A recorded list member (attached policies); [] when absent."""
    return [str(v) for v in value] if isinstance(value, list) else []
