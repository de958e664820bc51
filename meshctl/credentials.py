"""Where principals' generated passwords live until a secrets manager holds them.

One librdkafka properties file per principal under `.meshctl/credentials/` (directory
0700, files 0600), so `kcat -F` or a client can use it as is. Passwords are generated
once and never printed; state keeps only a fingerprint.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from meshctl.state.local import atomic_write


class LocalCredentialStore:
    def __init__(self, directory: Path, client_settings: dict[str, str] | None = None):
        self.directory = directory
        self.client_settings = client_settings or {}

    def path(self, user: str) -> Path:
        return self.directory / f"{user}.properties"

    def get(self, user: str) -> str | None:
        try:
            for line in self.path(user).read_text().splitlines():
                if line.startswith("sasl.password="):
                    return line.split("=", 1)[1]
        except FileNotFoundError:
            return None
        return None

    def get_or_create(self, user: str, mechanism: str) -> str:
        """The user's password, generated and saved before the broker ever sees it."""
        existing = self.get(user)
        if existing:
            return existing
        password = secrets.token_urlsafe(32)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        lines = [f"# Kafka client settings for User:{user}, written by meshctl. Keep this file secret."]
        for key in ("bootstrap.servers", "security.protocol"):
            if key in self.client_settings:
                lines.append(f"{key}={self.client_settings[key]}")
        lines += [f"sasl.mechanism={mechanism}", f"sasl.username={user}", f"sasl.password={password}"]
        atomic_write(self.path(user), "\n".join(lines) + "\n", 0o600)
        return password

    def delete(self, user: str) -> None:
        self.path(user).unlink(missing_ok=True)


def fingerprint(secret: str) -> str:
    """A hash that tells whether a secret changed without revealing it."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:16]
