"""Where principals' generated passwords live. Generated once, never printed; state keeps
only a fingerprint.

Without AWS: one librdkafka properties file per principal under `.meshctl/credentials/`
(directory 0700, files 0600), so `kcat -F` or a client can use it as is. With AWS: one
Secrets Manager secret per principal, readable only by its domain's role (the baseline
module's resource policy), and existing local files move there.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from meshctl.documents import BadDocumentError, atomic_write, read_text
from meshctl.errors import MeshError
from meshctl.naming import DEFAULT_CLUSTER, secret_name
from meshctl.redaction import register

if TYPE_CHECKING:  # the stubs are a development dependency (the test extra)
    from mypy_boto3_secretsmanager import SecretsManagerClient


class CredentialStore(Protocol):
    def location(self, user: str) -> str: ...

    def get(self, user: str) -> str | None: ...

    def get_or_create(self, user: str, mechanism: str) -> str: ...

    def rotate(self, user: str, mechanism: str) -> str:
        """A new password for the user, stored in place of the old one in one atomic step (the
        store holds the old password or the new one, never neither), before the broker sees it."""
        ...

    def delete(self, user: str) -> None: ...


class LocalCredentialStore:
    def __init__(self, directory: Path, client_settings: dict[str, str] | None = None):
        self.directory = directory
        self.client_settings = client_settings or {}

    def path(self, user: str) -> Path:
        return self.directory / f"{user}.properties"

    def location(self, user: str) -> str:
        return str(self.path(user))

    def users(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.properties")) if self.directory.is_dir() else []

    def get(self, user: str) -> str | None:
        try:
            for line in self._lines(user):
                if line.startswith("sasl.password="):
                    password = line.split("=", 1)[1]
                    register(password)  # read: from now on no output may show it
                    return password
        except FileNotFoundError:
            return None
        return None

    def get_or_create(self, user: str, mechanism: str) -> str:
        """The user's password, generated and saved before the broker ever sees it."""
        existing = self.get(user)
        if existing:
            return existing
        password = new_password()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        atomic_write(self.path(user), self._content(user, mechanism, password), 0o600)
        return password

    def rotate(self, user: str, mechanism: str) -> str:
        """A new password over the old one: written to `<user>.properties.new` (0600), synced,
        then renamed over the file, and the directory synced. A crash leaves the old file or
        the new one whole; a stray `.new` file is no credential (users() lists none)."""
        password = new_password()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        path = self.path(user)
        staged = path.with_name(path.name + ".new")
        try:
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)  # a stray .new of another mode is reused: the mode is set, not inherited
                os.write(fd, self._content(user, mechanism, password).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(staged, path)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # the rename itself survives a crash
            finally:
                os.close(dir_fd)
        except OSError as exc:
            staged.unlink(missing_ok=True)
            raise MeshError(f"cannot write the new password of User:{user} to {path}: {exc.strerror}") from None
        return password

    def _content(self, user: str, mechanism: str, password: str) -> str:
        lines = [f"# Kafka client settings for User:{user}, written by meshctl. Keep this file secret."]
        for key in ("bootstrap.servers", "security.protocol"):
            if key in self.client_settings:
                lines.append(f"{key}={self.client_settings[key]}")
        lines += [f"sasl.mechanism={mechanism}", f"sasl.username={user}", f"sasl.password={password}"]
        return "\n".join(lines) + "\n"

    def delete(self, user: str) -> None:
        self.path(user).unlink(missing_ok=True)

    def _lines(self, user: str) -> list[str]:
        path = self.path(user)
        try:
            return read_text(path).splitlines()
        except BadDocumentError as exc:  # the message must not quote a byte of a password file
            raise MeshError(f"the credentials file {path} is damaged (line {exc.line} is not text)") from None

    def mechanism(self, user: str) -> str:
        for line in self._lines(user):
            if line.startswith("sasl.mechanism="):
                return line.split("=", 1)[1]
        return "SCRAM-SHA-512"


def new_password() -> str:
    """A generated password, registered so that no output shows it from now on (before any
    call carries it: a request is logged under --debug)."""
    password = secrets.token_urlsafe(32)
    register(password)
    return password


def fingerprint(secret: str) -> str:
    """A hash that tells whether a secret changed without revealing it."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]


class SecretsManagerCredentialStore:
    """Principals' passwords as Secrets Manager secrets `meshctl/kafka/<principal>`; the value
    is JSON with the username, mechanism and password."""

    def __init__(
        self,
        secrets_client: SecretsManagerClient,
        client_settings: dict[str, str] | None = None,
        cluster: str = DEFAULT_CLUSTER,
    ):
        self.client = secrets_client
        self.client_settings = client_settings or {}
        self.cluster = cluster  # a named cluster's principals: `meshctl/kafka/@eu/<principal>`

    def location(self, user: str) -> str:
        return f"secretsmanager:{secret_name(user, self.cluster)}"

    def get(self, user: str) -> str | None:
        try:
            value = self.client.get_secret_value(SecretId=secret_name(user, self.cluster))
        except self.client.exceptions.ResourceNotFoundException:
            return None  # no secret, or a secret without a value yet
        password = json.loads(value["SecretString"]).get("password")
        register(password)
        return password

    def get_or_create(self, user: str, mechanism: str, password: str | None = None) -> str:
        existing = self.get(user)
        if existing:
            return existing
        if password:
            register(password)
        else:
            password = new_password()
        value = self._value(user, mechanism, password)
        try:
            self._create(user, value)
        except self.client.exceptions.ResourceExistsException:
            self.client.put_secret_value(
                SecretId=secret_name(user, self.cluster), SecretString=value
            )  # declared, no value yet
        return password

    def rotate(self, user: str, mechanism: str) -> str:
        """A new version of the secret: `put_secret_value` makes it AWSCURRENT and moves the old
        value to AWSPREVIOUS, in one call; a user without a secret yet gets one."""
        password = new_password()
        value = self._value(user, mechanism, password)
        try:
            self.client.put_secret_value(SecretId=secret_name(user, self.cluster), SecretString=value)
        except self.client.exceptions.ResourceNotFoundException:
            self._create(user, value)
        return password

    def _value(self, user: str, mechanism: str, password: str) -> str:
        return json.dumps(
            {
                "username": user,
                "mechanism": mechanism,
                "password": password,
                **{k: v for k, v in self.client_settings.items() if k == "bootstrap.servers"},
            }
        )

    def _create(self, user: str, value: str) -> None:
        self.client.create_secret(
            Name=secret_name(user, self.cluster),
            SecretString=value,
            Description=f"Kafka credentials of User:{user}, managed by meshctl",
        )  # tags and the resource policy belong to the secret's resource block, if one declares it

    def delete(self, user: str) -> None:
        try:
            self.client.delete_secret(SecretId=secret_name(user, self.cluster), RecoveryWindowInDays=7)
        except self.client.exceptions.ResourceNotFoundException:
            pass

    def migrate_from(self, local: LocalCredentialStore) -> list[str]:
        """Move passwords from local files into Secrets Manager, then remove the files."""
        moved = []
        for user in local.users():
            password = local.get(user)
            if password and not self.get(user):
                self.get_or_create(user, local.mechanism(user), password)
                moved.append(user)
            if password and self.get(user) == password:
                local.delete(user)
        return moved
