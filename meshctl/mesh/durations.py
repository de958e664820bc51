"""Human durations (`30d`, `1h30m`, `500ms`) to milliseconds and back."""

from __future__ import annotations

import re

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")


def parse_duration_ms(text: str | int) -> int:
    """`"7d"` -> 604800000; a bare number is milliseconds. Raises ValueError."""
    if isinstance(text, int):
        return text
    s = text.strip().lower()
    if s.startswith("-"):
        raise ValueError(f"{text!r} is negative; a duration is 0 or more, e.g. 30s, 15m or 7d")
    if s.isdigit():
        return int(s)
    pos, total = 0, 0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _UNITS_MS[m.group(2)]
        pos = m.end()
    if pos != len(s) or not s:
        raise ValueError(f"{text!r} is not a duration; write e.g. 30s, 15m, 12h, 7d or 500ms")
    return total


def format_ms(ms: int) -> str:
    """604800000 -> `7d`; 5400000 -> `1h30m`; -1 -> `infinite`."""
    if ms < 0:
        return "infinite"
    if ms == 0:
        return "0s"
    out = []
    for unit in ("d", "h", "m", "s", "ms"):
        size = _UNITS_MS[unit]
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)
