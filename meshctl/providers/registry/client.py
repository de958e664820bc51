"""The schema registry adapter: confluent_kafka.schema_registry behind meshctl's own types.

Reads that have no listing endpoint (a subject's latest version and compatibility level)
run in parallel; every failure becomes one sentence naming the registry's address.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from meshctl.errors import MeshError
from meshctl.redaction import register, register_basic_auth

if TYPE_CHECKING:
    from confluent_kafka.schema_registry import Schema
    from confluent_kafka.schema_registry.error import SchemaRegistryError

T = TypeVar("T")
_PARALLEL = 8
_SUBJECT_NOT_FOUND = {40401, 40404}


class RegistryError(MeshError):
    pass


# confluent_kafka.schema_registry (with httpx, authlib and cryptography) takes ~0.1 s to import:
# it is imported when a registry client is made, not by every command that loads this module.


def _error() -> type[SchemaRegistryError]:
    """The library's error class, for `except` clauses (evaluated only when something was raised)."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    return SchemaRegistryError


def _schema(text: str, schema_type: str) -> Schema:
    from confluent_kafka.schema_registry import Schema

    return Schema(text, schema_type)


@dataclass(frozen=True)
class SubjectInfo:
    subject: str
    schema_type: str
    schema: str
    version: int
    compatibility: str


def _url_password(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).password
    except ValueError:  # not a URL: the client will say so
        return None


class RegistryClient:
    def __init__(self, url: str, username: str | None = None, password: str | None = None, timeout_s: float = 30.0):
        self.url = url
        self.requests = 0
        conf: dict[str, object] = {"url": url, "timeout": timeout_s, "max.retries": 2}
        if username:
            conf["basic.auth.user.info"] = f"{username}:{password or ''}"
            register_basic_auth(username, password or "")  # the header is a copy of the password
        register(_url_password(url))  # a URL's user-info is a password too
        from confluent_kafka.schema_registry import SchemaRegistryClient

        try:
            self._client = SchemaRegistryClient(conf)
        except ValueError as exc:  # a user-info URL next to a username, say
            raise RegistryError(f"invalid schema registry settings for {url}: {exc}") from None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        self.requests += 1
        try:
            return fn()
        except _error() as exc:
            if exc.http_status_code in (401, 403):
                raise RegistryError(
                    f"the schema registry at {self.url} refused to {what} (HTTP {exc.http_status_code}): "
                    "check the registry username and password (MESHCTL_REGISTRY_USERNAME/PASSWORD)"
                ) from None
            if exc.http_status_code == 404 and not 40400 <= (exc.error_code or 0) < 40500:
                # A registry's own 404s carry an error code (40401 subject not found); a bare 404
                # means the URL does not point at the registry API.
                raise RegistryError(
                    f"the schema registry at {self.url} answered 404 Not Found to {what}: does the URL include "
                    "the API path? (Apicurio serves the Confluent API under /apis/ccompat/v7)"
                ) from None
            raise
        except Exception as exc:  # httpx raises its own connection errors
            raise RegistryError(f"cannot reach the schema registry at {self.url} to {what}: {exc}") from None

    def subjects(self) -> set[str]:
        """Every subject: one listing request."""
        return set(self._call("list subjects", self._client.get_subjects))

    def describe(self, subjects: Iterable[str]) -> dict[str, SubjectInfo]:
        """Latest version and compatibility of each subject, read in parallel."""
        names = sorted(subjects)
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            found = list(pool.map(self._describe_one, names))
        return {info.subject: info for info in found if info is not None}

    def _describe_one(self, subject: str) -> SubjectInfo | None:
        try:
            latest = self._call(f"read subject {subject}", lambda: self._client.get_latest_version(subject))
            level = self._call(f"read the compatibility of {subject}", lambda: self._client.get_compatibility(subject))
        except _error() as exc:
            if exc.error_code in _SUBJECT_NOT_FOUND:
                return None
            raise RegistryError(f"the schema registry at {self.url} failed to read {subject}: {exc}") from None
        schema = latest.schema
        if latest.version is None:
            raise RegistryError(f"the schema registry at {self.url} answered for {subject} without a version number")
        return SubjectInfo(subject, schema.schema_type or "AVRO", schema.schema_str or "", latest.version, level)

    def is_compatible(self, subject: str, schema_type: str, text: str, all_versions: bool = False) -> bool:
        """The registry's own verdict on registering `text` next to the latest version, or next to every
        version (for the *_TRANSITIVE levels: a registry checks only the version it is asked about)."""
        schema = _schema(text, schema_type)
        test = self._client.test_compatibility_all_versions if all_versions else self._client.test_compatibility
        try:
            return bool(self._call(f"check the compatibility of {subject}", lambda: test(subject, schema)))
        except _error() as exc:
            if exc.error_code in _SUBJECT_NOT_FOUND:
                return True
            raise RegistryError(f"the schema registry at {self.url} could not check {subject}: {exc}") from None

    def versions(self, subject: str) -> dict[int, str]:
        """Every registered version's schema text, by version number."""

        def read(number: int) -> str:
            found = self._call(f"read {subject} version {number}", lambda: self._client.get_version(subject, number))
            return found.schema.schema_str or ""

        try:
            numbers = self._call(f"list the versions of {subject}", lambda: self._client.get_versions(subject))
            return {number: read(number) for number in numbers}
        except _error() as exc:
            raise RegistryError(f"the schema registry at {self.url} failed to read {subject}: {exc}") from None

    def set_compatibility(self, subject: str, level: str) -> str | None:
        return self._guard(
            f"set the compatibility of {subject}", lambda: self._client.set_compatibility(subject, level)
        )

    def register(self, subject: str, schema_type: str, text: str) -> str | None:
        return self._guard(
            f"register a schema under {subject}",
            lambda: self._client.register_schema(subject, _schema(text, schema_type)),
        )

    def delete(self, subject: str) -> str | None:
        """Soft delete then permanent delete, so the subject's name can be used again."""
        error = self._guard(f"delete {subject}", lambda: self._client.delete_subject(subject))
        if error:
            return error
        return self._guard(f"delete {subject} permanently", lambda: self._client.delete_subject(subject, True))

    def _guard(self, what: str, fn: Callable[[], object]) -> str | None:
        """None on success, else the reason: writes report per resource instead of raising."""
        try:
            self._call(what, fn)
        except _error() as exc:
            if exc.http_status_code == 409:
                return f"the registry refused to {what}: the schema is incompatible ({exc.error_message})"
            return f"the registry refused to {what}: HTTP {exc.http_status_code} {exc.error_message}"
        except RegistryError as exc:
            return str(exc)
        return None
