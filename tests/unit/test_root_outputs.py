"""Root outputs read modules' outputs (`module.NAME.OUT`, `module.NAME["KEY"].OUT`), and an
output reading a sensitive module output must be declared sensitive."""

from __future__ import annotations

from pathlib import Path

from meshctl.address import ModuleAddress
from meshctl.config.evaluate import Namespace, Scope
from meshctl.config.functions import make_functions
from meshctl.config.hcl import parse
from meshctl.config.root_outputs import evaluate_outputs
from meshctl.errors import Diagnostics
from meshctl.mesh.model import Mesh

TEXT = """output "plain" {
  value = module.crm.url
}
output "keyed" {
  value = module.sink["eu"].topic
}
output "hidden" {
  value = module.crm.password
}
"""


def test_outputs_read_module_outputs(tmp_path: Path) -> None:
    mesh = Mesh(tmp_path)
    mesh.outputs = {
        ModuleAddress((("crm", None),)): {"url": "https://crm", "password": "pw-s3cr3t"},
        ModuleAddress((("sink", "eu"),)): {"topic": "eu.t"},
        ModuleAddress((("crm", None), ("inner", None))): {"x": 1},
    }
    mesh.sensitive_outputs = {"module.crm.password"}
    diags = Diagnostics()
    blocks = parse(TEXT, "o.hcl").blocks
    found = evaluate_outputs(blocks, mesh, Scope({"var": Namespace({})}, make_functions(tmp_path)), set(), diags)
    assert {n: o.value for n, o in found.items()} == {"plain": "https://crm", "keyed": "eu.t"}
    assert [d.format() for d in diags.items] == [
        'o.hcl:8: error: output "hidden" reads the sensitive module.crm.password\n'
        "  hint: declare the output sensitive = true: it is then shown only when asked for by name"
    ]
