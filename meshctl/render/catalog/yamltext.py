"""YAML out of plain data, by PyYAML's safe dumper: every string is written as data (quoted
when it must be), never spliced into a template. Multi-line strings (a schema, an AsyncAPI
document) are literal blocks where YAML allows one; the emitter falls back to a quoted
string where it does not (trailing spaces, control characters), so the text re-reads equal."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


# Line breaks to YAML besides \n: PyYAML may write them raw in a plain or block scalar (with
# allow_unicode), and a reader then folds them into a space or \n. Double quotes escape them.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _OTHER_BREAKS.search(value):
        style: str | None = '"'
    else:
        style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def dump_all(docs: list[Any]) -> str:
    return yaml.dump_all(
        docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, explicit_start=True
    )
