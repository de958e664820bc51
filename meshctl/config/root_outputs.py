"""Root `output "NAME" { value = ..., sensitive = ..., description = ... }` blocks.

Their values are known when the configuration is loaded (meshctl's expressions read variables,
locals, the environment and modules' outputs, never a value known only after apply), so
`meshctl output` shows them without contacting anything, and apply prints them at its end as
Terraform's "Outputs:". As in Terraform, an output whose value reads a sensitive variable or a
sensitive module output must be declared `sensitive = true`; a sensitive output is masked
everywhere unless asked for by name.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from meshctl.config import ast
from meshctl.config.evaluate import Namespace, Scope
from meshctl.config.language import ROOT_OUTPUT
from meshctl.config.schema import decode
from meshctl.errors import Diagnostics
from meshctl.mesh.model import Mesh, RootOutput


def module_namespace(mesh: Mesh) -> Namespace:
    """`module.NAME.OUTPUT` (and `module.NAME["KEY"].OUTPUT` for a module with for_each) as root
    outputs read them: the outputs of the modules the root configuration calls."""
    values: dict[str, object] = {}
    for address, outputs in mesh.outputs.items():
        if len(address.steps) != 1:
            continue  # a nested module's outputs reach the root through its parent's
        name, key = address.steps[0]
        if key is None:
            values[name] = dict(outputs)
        else:
            keyed = values.setdefault(name, {})
            if isinstance(keyed, dict):
                keyed[key] = dict(outputs)
    ns = Namespace(values)
    ns.kind = "module"
    return ns


def evaluate_outputs(
    blocks: Sequence[ast.Block], mesh: Mesh, scope: Scope, sensitive_vars: Collection[str], diags: Diagnostics
) -> dict[str, RootOutput]:
    """Each root output's value, evaluated in the configuration's scope plus `module.*`."""
    inner = Scope({**scope.roots, "module": module_namespace(mesh)}, scope.functions)
    found: dict[str, RootOutput] = {}
    for block in blocks:
        d = decode(block, ROOT_OUTPUT, inner, diags)
        if d is None or "value" not in d.values and "value" not in block.body.attributes:
            continue
        name = d.labels[0]
        if name in found:
            diags.error(f'duplicate output "{name}"', block.src, detail=f"first declared at {found[name].src}")
            continue
        if "value" not in d.values:
            continue  # its expression failed: already reported
        sensitive = bool(d.get("sensitive", False))
        if not sensitive:
            reads = _sensitive_reads(d.exprs["value"], sensitive_vars, mesh.sensitive_outputs)
            if reads:
                diags.error(
                    f'output "{name}" reads the sensitive {reads[0]}',
                    d.srcs["value"],
                    hint="declare the output sensitive = true: it is then shown only when asked for by name",
                )
                continue
        found[name] = RootOutput(d.get("value"), sensitive, d.text("description") or "", block.src)
    return found


def _sensitive_reads(expr: ast.Expr, sensitive_vars: Collection[str], sensitive_outputs: Collection[str]) -> list[str]:
    """The sensitive values an expression reads by name: `var.X`, `module.M.OUT`."""
    out: list[str] = []
    for ref in ast.references(expr):
        if ref[0] == "var" and len(ref) > 1 and ref[1] in sensitive_vars:
            out.append(f"var.{ref[1]}")
        elif ref[0] == "module" and len(ref) > 2 and f"module.{ref[1]}.{ref[2]}" in sensitive_outputs:
            out.append(f"module.{ref[1]}.{ref[2]}")
        elif ref[0] == "module" and len(ref) == 2 and any(o.startswith(f"module.{ref[1]}.") for o in sensitive_outputs):
            out.append(f"module.{ref[1]} (it has sensitive outputs)")
    return out
