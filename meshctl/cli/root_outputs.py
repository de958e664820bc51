"""The root `output` blocks as `meshctl output` and apply show them, as Terraform's "Outputs:"."""

from __future__ import annotations

import json
from collections.abc import Mapping

from meshctl.mesh.model import RootOutput
from meshctl.redaction import MASK


def shown_value(value: object) -> str:
    """One value on one line: a string quoted, anything else as JSON (as `terraform output` does)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def format_outputs(outputs: Mapping[str, RootOutput]) -> str:
    """`NAME = VALUE` lines in name order; a sensitive output as (sensitive)."""
    return "".join(f"{name} = {MASK if o.sensitive else shown_value(o.value)}\n" for name, o in sorted(outputs.items()))
