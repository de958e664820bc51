"""Backstage entity names from the mesh's names. Pure.

Backstage accepts as `metadata.name` 1 to 63 characters: runs of [A-Za-z0-9] joined by single
`-`, `_` or `.`. Domain, product and application names already are; owner teams and
accountable people (`head-of-data@acme.example`, "Team Sales") may not be, so they are made
into one: each run of other characters becomes `-`. Two names that would meet, or a name cut
to 63 characters, get a short hash of the original, so every entity keeps its own name.
"""

from __future__ import annotations

import hashlib
import re

VALID_NAME = re.compile(r"[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*\Z")
MAX_NAME = 63
_OTHER = re.compile(r"[^A-Za-z0-9]+")


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


def _slug(raw: str) -> str:
    def sep(m: re.Match[str]) -> str:
        return m.group(0) if m.group(0) in ("-", "_", ".") else "-"

    return _OTHER.sub(sep, raw).strip("-_.")


def _with_hash(base: str, raw: str) -> str:
    base = base[: MAX_NAME - 9].rstrip("-_.")
    return f"{base}-{_hash(raw)}" if base else f"x-{_hash(raw)}"


class Names:
    """One valid, distinct name per (kind, original), the same each time it is asked."""

    def __init__(self) -> None:
        self._given: dict[tuple[str, str], str] = {}
        self._taken: dict[tuple[str, str], str] = {}  # (kind, name) -> the original it names

    def name(self, kind: str, raw: str) -> str:
        found = self._given.get((kind, raw))
        if found is not None:
            return found
        name = _slug(raw)
        if not VALID_NAME.match(name) or len(name) > MAX_NAME or self._taken.get((kind, name), raw) != raw:
            name = _with_hash(name, raw)
        self._given[(kind, raw)] = name
        self._taken[(kind, name)] = raw
        return name
