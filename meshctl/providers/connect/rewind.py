"""Rewind a MirrorMaker 2 source connector, so a copy is filled again from chosen offsets.

Connect's offsets API (KIP-875, Kafka 3.6+ for MirrorSourceConnector) alters a STOPPED
connector's source offsets. MM2 records, per source partition `{cluster, topic, partition}`,
the offset of the last record it copied and starts after it; "nothing copied yet" (a negative
offset) starts at the earliest record held. So copying from offset N is recording N - 1.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from meshctl.providers.connect.client import ConnectClient, ConnectError

_SETTLE_SECONDS = 60.0


def next_copied(alias: str, topic: str, recorded: list[dict[str, Any]]) -> dict[int, int]:
    """Per partition of `topic`, the offset MirrorMaker 2 copies next (what it recorded + 1)."""
    out: dict[int, int] = {}
    for entry in recorded:
        part, offset = entry.get("partition") or {}, entry.get("offset") or {}
        if part.get("cluster") == alias and part.get("topic") == topic and isinstance(offset.get("offset"), int):
            out[int(part["partition"])] = int(offset["offset"]) + 1
    return out


def rewound(start: Mapping[int, int], copied_next: Mapping[int, int]) -> dict[int, int]:
    """Only backwards: a partition whose connector has not yet reached `start` keeps its place
    (moving it on would skip records never copied); one it has passed goes back to `start`.
    A partition it has not begun starts at the earliest record anyway."""
    return {p: o for p, o in start.items() if p in copied_next and o < copied_next[p]}


def mirror_offsets(alias: str, topic: str, start: Mapping[int, int]) -> list[dict[str, object]]:
    """The offsets body that makes MirrorSourceConnector copy partition p from `start[p]` on."""
    return [
        {
            "partition": {"cluster": alias, "topic": topic, "partition": p},
            "offset": {"offset": offset - 1 if offset > 0 else -1},
        }
        for p, offset in sorted(start.items())
    ]


def rewind(
    client: ConnectClient,
    name: str,
    alias: str,
    topic: str,
    start: Mapping[int, int],
    sleep: Callable[[float], None] = time.sleep,
) -> dict[int, int]:
    """Stop the connector, record the offsets, start it again (also when recording failed);
    returns the partitions rewound and their offsets: those the connector had passed."""
    if client.status(name) is None:
        raise ConnectError(f"the connector {name} is not on the worker: run `meshctl apply` first")
    client.stop(name)
    _wait(client, name, "STOPPED", sleep)
    try:
        # Read while STOPPED: a running task may still be committing newer offsets.
        moved = rewound(start, next_copied(alias, topic, client.offsets(name)))
        if moved:
            client.alter_offsets(name, mirror_offsets(alias, topic, moved))
    finally:
        client.resume(name)
    _wait(client, name, "RUNNING", sleep)
    return moved


def _wait(client: ConnectClient, name: str, state: str, sleep: Callable[[float], None]) -> None:
    deadline = time.monotonic() + _SETTLE_SECONDS
    seen = None
    while time.monotonic() < deadline:
        seen = ((client.status(name) or {}).get("connector") or {}).get("state")
        if seen == state:
            return
        sleep(0.25)
    raise ConnectError(f"the connector {name} did not reach {state} within {_SETTLE_SECONDS:.0f} s (it is {seen})")
