"""The promotion view of `plan -e TARGET --from SOURCE`, in text and Markdown, from its JSON
(plan.promotion.to_json), so the views and `--json` cannot disagree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from meshctl.render.text import Styler


def render_promotion(doc: Mapping[str, Any], color: bool, markdown: bool = False) -> str:
    s = Styler(color and not markdown)
    source, target = doc["from"], doc["to"]
    lines = [
        f"### Promotion: {source} -> {target}" if markdown else s(f"Promotion from {source} to {target}:", bold=True),
        "",
        f"Where the definitions of {source} and {target} differ (what the configuration compiles to, "
        f"before any server is asked); promoting {source}'s definitions to {target} would change:",
        "",
    ]
    body: list[str] = []
    for address in doc["only_in_from"]:
        body.append(s(f"  + {address}", "green") + f"  (in {source}, not yet in {target})")
    for address in doc["only_in_to"]:
        body.append(s(f"  - {address}", "red") + f"  (in {target}, not in {source})")
    for item in doc["differ"]:
        body.append(s(f"  ~ {item['address']}", "yellow"))
        for path, values in item["attributes"].items():
            body.append(f"      {path}: {_shown(values['to'])} ({target}) -> {_shown(values['from'])} ({source})")
    if not body:
        body.append(f"  The definitions of {source} and {target} are the same.")
    if markdown:
        body = ["```diff", *body, "```"]
    lines += body
    lines += [
        "",
        f"{len(doc['only_in_from'])} only in {source}, {len(doc['only_in_to'])} only in {target}, "
        f"{len(doc['differ'])} differ, {doc['same']} the same.",
    ]
    return "\n".join(lines) + "\n"


def _shown(value: object) -> str:
    return "(absent)" if value is None else json.dumps(value)
