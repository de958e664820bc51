"""Promotion: where two environments' definitions differ.

`plan -e prod --from staging` plans prod as usual and also compares what the two environments'
configurations compile to (the desired resources, before any server is asked): what promoting
staging's definitions would bring to prod, what prod has that staging lacks, and the attributes
that differ (partitions, retention, ...). A reviewer sees what promotion changes besides what
prod's own plan changes. Pure: it compares two lists of resources.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from meshctl.resources import Resource


@dataclass(frozen=True)
class Difference:
    """One attribute (a dotted path into nested maps) whose value differs."""

    path: str
    source: object  # the value in the environment promoted from; None when absent there
    target: object  # the value in the environment promoted to; None when absent there


@dataclass(frozen=True)
class Promotion:
    source: str  # the environment promoted from (`--from`)
    target: str  # the environment planned (`-e`)
    only_in_source: tuple[str, ...]  # addresses the source has and the target lacks: promotion brings them
    only_in_target: tuple[str, ...]  # addresses the target has and the source lacks
    differ: tuple[tuple[str, tuple[Difference, ...]], ...]  # address -> its differing attributes
    same: int  # resources defined alike in both

    @property
    def has_differences(self) -> bool:
        return bool(self.only_in_source or self.only_in_target or self.differ)


def compare(
    source: str, target: str, source_resources: Iterable[Resource], target_resources: Iterable[Resource]
) -> Promotion:
    src = {r.address: r for r in source_resources}
    dst = {r.address: r for r in target_resources}
    differ = []
    same = 0
    for address in sorted(set(src) & set(dst)):
        found = _differences(_flatten(src[address].attributes), _flatten(dst[address].attributes))
        if found:
            differ.append((address, found))
        else:
            same += 1
    return Promotion(
        source,
        target,
        tuple(sorted(set(src) - set(dst))),
        tuple(sorted(set(dst) - set(src))),
        tuple(differ),
        same,
    )


def _flatten(attributes: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Nested maps as dotted paths (`config.retention.ms`), so a difference names the setting."""
    out: dict[str, object] = {}
    for key, value in attributes.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _differences(source: Mapping[str, object], target: Mapping[str, object]) -> tuple[Difference, ...]:
    return tuple(
        Difference(path, source.get(path), target.get(path))
        for path in sorted(set(source) | set(target))
        if source.get(path) != target.get(path)
    )


def to_json(p: Promotion) -> dict[str, object]:
    """The `promotion` member of `plan --json`."""
    return {
        "from": p.source,
        "to": p.target,
        "only_in_from": list(p.only_in_source),
        "only_in_to": list(p.only_in_target),
        "differ": [
            {"address": address, "attributes": {d.path: {"from": d.source, "to": d.target} for d in diffs}}
            for address, diffs in p.differ
        ],
        "same": p.same,
    }
