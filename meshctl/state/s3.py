"""Remote state in S3, locked by a DynamoDB item or by an S3 conditional write.

The state object is `s3://bucket/key`; with bucket versioning on, S3 keeps every earlier
state. The lock records who holds it, for what operation and since when.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import botocore.exceptions

from meshctl.aws_session import aws_error, client, error_code
from meshctl.documents import JsonValue, decode_text, parse_json
from meshctl.errors import MeshError
from meshctl.state.backend import LockInfo, damaged_lock
from meshctl.state_model import State

if TYPE_CHECKING:  # the stubs are a development dependency (the test extra)
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_CONFLICT = {"PreconditionFailed", "412", "ConditionalCheckFailedException", "ConditionalRequestConflict"}


@dataclass
class S3Settings:
    bucket: str
    key: str
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    dynamodb_table: str | None = None


class S3Backend:
    def __init__(self, settings: S3Settings):
        self.settings = settings
        self._s3: S3Client | None = None
        self._dynamodb: DynamoDBClient | None = None
        self._lock: LockInfo | None = None
        self.versioning_warning = ""

    # -- clients --------------------------------------------------------------

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            s = self.settings
            self._s3 = client("s3", s.region, s.profile, s.endpoint_url)
        return self._s3

    @property
    def dynamodb(self) -> DynamoDBClient:
        if self._dynamodb is None:
            s = self.settings
            self._dynamodb = client("dynamodb", s.region, s.profile, s.endpoint_url)
        return self._dynamodb

    def describe(self) -> str:
        return f"s3://{self.settings.bucket}/{self.settings.key}"

    @property
    def lock_key(self) -> str:
        return f"{self.settings.key}.lock"

    # -- state ----------------------------------------------------------------

    def read(self) -> State:
        try:
            body = self.s3.get_object(Bucket=self.settings.bucket, Key=self.settings.key)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                return State()
            if error_code(exc) == "NoSuchBucket":
                raise MeshError(f"the state bucket {self.settings.bucket!r} does not exist: create it first") from None
            raise aws_error(exc, f"read the state {self.describe()}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise aws_error(exc, f"read the state {self.describe()}") from None
        return State.from_json(parse_json(decode_text(body, self.describe()), self.describe()), self.describe())

    def write(self, state: State) -> None:
        state.serial += 1
        body = state.to_text().encode()
        try:
            self.s3.put_object(
                Bucket=self.settings.bucket,
                Key=self.settings.key,
                Body=body,
                ContentType="application/json",
                ServerSideEncryption="AES256",
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            state.serial -= 1
            raise aws_error(exc, f"write the state {self.describe()}") from None

    def check_versioning(self) -> str:
        """A warning when the bucket does not keep earlier states."""
        try:
            status = self.s3.get_bucket_versioning(Bucket=self.settings.bucket).get("Status")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return ""
        if status != "Enabled":
            return (
                f"versioning is off on the state bucket {self.settings.bucket!r}: earlier states are not kept "
                "(enable it with `aws s3api put-bucket-versioning`)"
            )
        return ""

    # -- locking ----------------------------------------------------------------

    def lock(self, operation: str, timeout_s: float = 0.0) -> LockInfo:
        info = LockInfo.new(operation, os.getpid())
        deadline = time.monotonic() + timeout_s
        while True:
            if self._try_lock(info):
                self._lock = info
                return info
            if time.monotonic() >= deadline:
                holder = self.holder()
                who = holder.describe() if holder else "another run (it released the lock just now)"
                raise MeshError(
                    f"the state {self.describe()} is locked by {who}; wait for that run to finish, pass "
                    "--lock-timeout, or `meshctl force-unlock ID` if it died"
                )
            time.sleep(1.0)

    def _try_lock(self, info: LockInfo) -> bool:
        body = json.dumps(info.to_json())
        try:
            if self.settings.dynamodb_table:
                self.dynamodb.put_item(
                    TableName=self.settings.dynamodb_table,
                    Item={"LockID": {"S": self.describe()}, "Info": {"S": body}},
                    ConditionExpression="attribute_not_exists(LockID)",
                )
            else:
                self.s3.put_object(Bucket=self.settings.bucket, Key=self.lock_key, Body=body.encode(), IfNoneMatch="*")
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _CONFLICT:
                return False
            raise aws_error(exc, f"lock the state {self.describe()}") from None
        except botocore.exceptions.BotoCoreError as exc:
            raise aws_error(exc, f"lock the state {self.describe()}") from None
        return True

    def holder(self) -> LockInfo | None:
        raw: str | bytes | None
        try:
            if self.settings.dynamodb_table:
                item = self.dynamodb.get_item(
                    TableName=self.settings.dynamodb_table, Key={"LockID": {"S": self.describe()}}, ConsistentRead=True
                ).get("Item")
                raw = item["Info"]["S"] if item else None
            else:
                raw = self.s3.get_object(Bucket=self.settings.bucket, Key=self.lock_key)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                return None
            raise aws_error(exc, f"read the lock of {self.describe()}") from None
        if raw is None:
            return None
        try:
            return LockInfo.from_json(JsonValue(json.loads(raw), f"s3://{self.settings.bucket}/{self.lock_key}"))
        except (ValueError, RecursionError, MeshError):  # empty or not a lock: clearable with force-unlock
            return damaged_lock(f"s3://{self.settings.bucket}/{self.lock_key}")

    def _remove_lock(self) -> None:
        if self.settings.dynamodb_table:
            self.dynamodb.delete_item(TableName=self.settings.dynamodb_table, Key={"LockID": {"S": self.describe()}})
        else:
            self.s3.delete_object(Bucket=self.settings.bucket, Key=self.lock_key)

    def unlock(self) -> None:
        if self._lock is None:
            return
        holder = self.holder()
        if holder is not None and holder.id == self._lock.id:
            self._remove_lock()
        self._lock = None

    def force_unlock(self, lock_id: str) -> LockInfo:
        holder = self.holder()
        if holder is None:
            raise MeshError(f"the state {self.describe()} is not locked")
        if holder.id != lock_id:
            raise MeshError(f"lock ID {lock_id} does not match the lock held by {holder.describe()}")
        self._remove_lock()
        return holder
