"""Each stage of loading on its own input (config.stages), and the façade that runs them
(config.loader): values and diagnostics, secrets handed back rather than registered."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from meshctl import redaction
from meshctl.address import ModuleAddress
from meshctl.config import ast, hcl, stages
from meshctl.config.evaluate import EvalError, Namespace, Scope
from meshctl.config.functions import make_functions
from meshctl.config.loader import LoadOptions, load
from meshctl.config.variables import BoundVariables, VariableInputs, VariableValue
from meshctl.errors import ConfigError, Diagnostic, MeshError, SourceRange
from meshctl.mesh.model import Mesh, ResourceBlock
from tests.helpers import MINIMAL, write_mesh

FUNCTIONS = make_functions(Path("."))


def _body(text: str, name: str = "m.hcl") -> ast.Body:
    return hcl.parse(text, name)


def _blocks(text: str) -> stages.Blocks:
    collected = stages.collect_blocks([_body(text)])
    assert collected.errors == []
    return collected.value


def _lines(staged: stages.Staged[object]) -> list[str]:
    return [d.format().splitlines()[0] for d in staged.diagnostics]


def _root_scope(**variables: object) -> Scope:
    bound = BoundVariables({n: VariableValue(v, False, "default") for n, v in variables.items()}, {})
    return Scope({"var": bound.namespace(), "local": Namespace({})}, FUNCTIONS)


def _unique_secret() -> str:
    return f"s3cret-{secrets.token_hex(8)}"


# -- read_sources --------------------------------------------------------------


def test_read_sources_reads_every_hcl_file_in_name_order(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"b.hcl": "# b\n", "a.hcl": "# a\n", "notes.txt": "not read"})
    (mesh_dir / "dir.hcl").mkdir()  # not a file: not read
    (mesh_dir / "latin1.hcl").write_bytes(b"# caf\xe9\n")
    read = stages.read_sources(mesh_dir)
    assert read.value.directory == mesh_dir
    assert dict(read.value.texts) == {"a.hcl": "# a\n", "b.hcl": "# b\n"}
    assert [d.source for d in read.errors] == [SourceRange("latin1.hcl", 1)]  # the file that cannot be read
    assert read.secrets == ()


def test_read_sources_without_anything_to_load_raises(mesh_dir: Path) -> None:
    with pytest.raises(MeshError, match=r"^no \*\.hcl files in \.$"):
        stages.read_sources(mesh_dir)
    with pytest.raises(MeshError, match="is not a directory"):
        stages.read_sources(mesh_dir / "missing")


# -- parse_sources --------------------------------------------------------------


def test_parse_sources_keeps_the_trees_and_reports_every_syntax_error() -> None:
    texts = {"a.hcl": 'domain "a" {\n}\n', "b.hcl": "domain {\n", "c.hcl": "= 1\n", "d.hcl": "locals {\n}\n"}
    parsed = stages.parse_sources(stages.Sources(Path("."), texts), hcl.parse)
    assert [b.blocks[0].type for b in parsed.value] == ["domain", "locals"]
    assert [d.source.file for d in parsed.errors if d.source] == ["b.hcl", "c.hcl"]


def test_parse_sources_parses_through_the_parser_it_is_given() -> None:
    asked: list[tuple[str, str]] = []

    def parser(text: str, name: str) -> ast.Body:
        asked.append((name, text))
        return ast.Body()

    parsed = stages.parse_sources(stages.Sources(Path("."), {"a.hcl": "x", "b.hcl": "y"}), parser)
    assert asked == [("a.hcl", "x"), ("b.hcl", "y")]
    assert len(parsed.value) == 2 and parsed.diagnostics == ()


# -- collect_blocks -------------------------------------------------------------


def test_collect_blocks_sorts_by_type_and_refuses_the_unknown() -> None:
    first = _body('domain "a" {\n}\nname = "x"\n', "a.hcl")
    second = _body('toppic "t" {\n}\ndomain "b" {\n}\nvariable "v" {\n}\n', "b.hcl")
    collected = stages.collect_blocks([first, second])
    assert [b.labels[0] for b in collected.value["domain"]] == ["a", "b"]
    assert [b.labels[0] for b in collected.value["variable"]] == ["v"]
    assert collected.value["module"] == []  # every top-level type is a key
    assert _lines(collected) == [
        "a.hcl:3: error: unexpected attribute 'name' at the top level",
        "b.hcl:1: error: unknown block type 'toppic'",
    ]


# -- read_var_files -------------------------------------------------------------


def test_read_var_files_reads_each_in_order_and_names_what_it_cannot_use(mesh_dir: Path) -> None:
    (mesh_dir / "one.vars").write_text('a = "1"\n')
    (mesh_dir / "two.vars").write_text("b = 2\nblock {\n}\n")
    (mesh_dir / "bad.vars").write_text("b = \n")
    read = stages.read_var_files([mesh_dir / "one.vars", mesh_dir / "missing.vars", mesh_dir / "two.vars"])
    assert [list(b.attributes) for b in read.value] == [["a"], ["b"]]
    assert _lines(read) == [
        "error: cannot read --var-file missing.vars: No such file or directory",
        "two.vars:2: error: a var file holds only NAME = VALUE lines",
    ]
    broken = stages.read_var_files([mesh_dir / "bad.vars"])
    assert broken.value == [] and broken.errors[0].source == SourceRange("bad.vars", 1)


# -- bind_variables -------------------------------------------------------------

VARIABLES = """
variable "size" {
  type    = number
  default = 3
}
variable "team" {
  default = "platform"
}
variable "token" {
  type      = string
  sensitive = true
}
"""


def _bind(**given: object) -> stages.Staged[BoundVariables]:
    return stages.bind_variables(_blocks(VARIABLES)["variable"], VariableInputs(**given), FUNCTIONS)  # type: ignore[arg-type]


def test_bind_variables_takes_each_value_from_the_strongest_source() -> None:
    var_file = _body('team = "from-file"\nsize = 5\n', "prod.vars")
    bound = _bind(
        env={"MESHCTL_VAR_size": "4", "MESHCTL_VAR_token": "t0k", "OTHER": "x"},
        var_files=[var_file],
        vars=["team=from-flag"],
        saved_variables={"size": 9, "token": "never"},
    )
    assert bound.diagnostics == ()
    got = {n: (v.value, v.sensitive, v.origin) for n, v in bound.value.values.items()}
    assert got == {
        "size": (5, False, "--var-file"),
        "team": ("from-flag", False, "--var team"),
        "token": ("t0k", True, "environment MESHCTL_VAR_token"),
    }
    assert bound.secrets == ("t0k",)  # handed back, for the loader to register


def test_bind_variables_reports_every_problem_without_echoing_a_secret() -> None:
    bound = _bind(vars=["size=abc", "nope=1", "novalue"], var_files=[_body("token = [1]\n", "v.vars")])
    assert _lines(bound) == [
        "error: --var size: value of 'size' is not a valid number",
        "error: --var nope: no variable 'nope' is declared",
        "error: --var 'novalue': expected NAME=VALUE",
        'm.hcl:9: error: variable "token" must be a string',
    ]
    assert bound.errors[0].detail == "got 'abc'"
    assert "[1]" not in "\n".join(d.format() for d in bound.diagnostics)
    assert bound.value.unset == {}


def test_bind_variables_reads_a_variable_without_a_value_as_its_declaration_error() -> None:
    bound = _bind(saved_sensitive=frozenset({"token"}))
    (problem,) = bound.errors
    assert problem.summary == 'variable "token" is sensitive: the saved plan does not store its value'
    assert dict(bound.value.unset) == {"token": problem}
    with pytest.raises(EvalError) as caught:
        bound.value.namespace().get("token", SourceRange("x.hcl", 1))
    assert caught.value.diagnostic == problem  # the same diagnostic: the loader reports it once


def test_bind_variables_leaves_the_blocks_as_they_were() -> None:
    blocks = _blocks(VARIABLES)["variable"]
    stages.bind_variables(blocks, VariableInputs(vars=["token=x"]), FUNCTIONS)
    assert all("type" in b.body.attributes for b in blocks if b.labels[0] != "team")


# -- evaluate_locals ------------------------------------------------------------


def test_evaluate_locals_gives_the_scope_of_variables_and_locals() -> None:
    blocks = _blocks('locals {\n  b = "${local.a}!"\n  a = "hi ${var.who}"\n}\n')["locals"]
    variables = BoundVariables({"who": VariableValue("ops", False, "default")}, {})
    scope = stages.evaluate_locals(blocks, variables, FUNCTIONS)
    assert scope.diagnostics == ()
    where = SourceRange("x.hcl", 1)
    assert scope.value.roots["local"].get("b", where) == "hi ops!"
    assert scope.value.roots["var"].get("who", where) == "ops"


def test_evaluate_locals_reports_a_cycle_and_an_unset_variable_once() -> None:
    unset = Diagnostic("error", 'variable "who" has no value', source=SourceRange("v.hcl", 1))
    blocks = _blocks("locals {\n  a = local.b\n  b = local.a\n  c = var.who\n}\n")["locals"]
    scope = stages.evaluate_locals(blocks, BoundVariables({}, {"who": unset}), FUNCTIONS)
    assert [d.summary for d in scope.errors] == ["cycle between locals: a -> b -> a", 'variable "who" has no value']
    assert scope.errors[1] == unset


# -- decode_blocks --------------------------------------------------------------


def test_decode_blocks_decodes_each_type_with_the_scope() -> None:
    text = (
        'domain "sales" {\n  description = var.what\n  owners { accountable = "a@x" }\n}\n'
        'resource "aws_s3_bucket" "b" {\n  for_each = ["x", "y"]\n  bucket = "b-${each.key}"\n}\n'
        'moved {\n  from = aws_s3_bucket.old\n  to   = aws_s3_bucket.b["x"]\n}\n'
    )
    decoded = stages.decode_blocks(_blocks(text), _root_scope(what="orders"))
    assert decoded.diagnostics == ()
    assert decoded.value.blocks["domain"][0].get("description") == "orders"
    assert [d.get("bucket") for d in decoded.value.blocks["resource"]] == ["b-x", "b-y"]
    assert [(m.from_, m.to) for m in decoded.value.moved] == [("aws_s3_bucket.old", 'aws_s3_bucket.b["x"]')]


def test_decode_blocks_reports_every_problem_of_every_block() -> None:
    text = (
        'kafka {\n  sasl_password = "plain"\n}\nkafka {\n}\n'
        'domain "a" {\n  description = var.missing\n  colour = 1\n}\nmoved {\n  from = 1\n  to = 2\n}\n'
    )
    decoded = stages.decode_blocks(_blocks(text), _root_scope())
    assert _lines(decoded) == [
        "m.hcl:7: error: reference to undeclared value 'missing'",
        "m.hcl:8: error: unknown attribute 'colour' in domain \"a\"",
        "m.hcl:6: error: missing required block 'owners' in domain \"a\"",
        "m.hcl:11: error: moved.from must be a resource or module address",
        "m.hcl:12: error: moved.to must be a resource or module address",
        "m.hcl:2: error: sasl_password is written in the file as plain text",
        "m.hcl:4: error: more than one kafka block",
    ]


# -- build_model and validate_model ----------------------------------------------


def _decoded(text: str) -> stages.DecodedConfig:
    decoded = stages.decode_blocks(_blocks(text), _root_scope())
    assert decoded.errors == []
    return decoded.value


def test_build_model_makes_the_mesh_of_the_decoded_blocks() -> None:
    decoded = _decoded(MINIMAL + 'moved {\n  from = "kafka_topic.a"\n  to = "kafka_topic.b"\n}\n')
    built = stages.build_model(decoded, Path("/meshes/one"))
    assert built.diagnostics == ()
    mesh = built.value
    assert (mesh.base_dir, sorted(mesh.domains)) == (Path("/meshes/one"), ["analytics", "commerce", "sales"])
    assert [p.key for p in mesh.products] == ["sales.orders"]
    assert [(m.from_, m.to) for m in mesh.moved] == [("kafka_topic.a", "kafka_topic.b")]


def test_build_model_reports_what_one_block_gets_wrong() -> None:
    twice = 'domain "a" {\n  owners { accountable = "x" }\n}\n' * 2
    built = stages.build_model(_decoded(twice), Path("."))
    assert [d.summary for d in built.errors] == ['duplicate domain "a"']
    assert list(built.value.domains) == ["a"]


def test_validate_model_checks_across_blocks_and_changes_nothing() -> None:
    text = MINIMAL.replace('consumer = "analytics"', 'consumer = "analytcs"')
    mesh = stages.build_model(_decoded(text), Path(".")).value
    before = repr(mesh)
    validated = stages.validate_model(mesh)
    assert validated.value is mesh and repr(mesh) == before
    assert [d.summary for d in validated.errors] == [
        'access "analytics_orders" names an unknown consumer domain "analytcs"'
    ]


# -- expand_modules and validate_expanded ----------------------------------------

MODULE = """
variable "name" {
  type = string
}
variable "key" {
  sensitive = true
}
resource "aws_s3_bucket" "b" {
  bucket = "bkt-${var.name}"
}
output "token" {
  value     = "tok-${var.name}"
  sensitive = true
}
output "plain" {
  value = var.name
}
"""


def _model(directory: Path, text: str) -> tuple[Mesh, stages.Blocks, Scope]:
    blocks = _blocks(text)
    scope = _root_scope()
    decoded = stages.decode_blocks(blocks, scope).value
    mesh = stages.build_model(decoded, directory).value
    return mesh, blocks, scope


def test_expand_modules_adds_the_modules_resources_to_a_copy(tmp_path: Path) -> None:
    write_mesh(tmp_path / "mod", {"main.hcl": MODULE})
    key = _unique_secret()
    text = MINIMAL + f'module "m" {{\n  source = "./mod"\n  name = "one"\n  key = "{key}"\n}}\n'
    mesh, blocks, scope = _model(tmp_path, text)
    expanded = stages.expand_modules(blocks["module"], mesh, scope, hcl.parse)
    assert expanded.diagnostics == ()
    assert mesh.resources == [] and expanded.value is not mesh  # the validated mesh is left alone
    assert [(r.address, r.values["bucket"]) for r in expanded.value.resources] == [
        ("module.m.aws_s3_bucket.b", "bkt-one")
    ]
    assert expanded.value.outputs == {ModuleAddress.parse("module.m"): {"token": "tok-one", "plain": "one"}}
    assert expanded.value.sensitive_outputs == {"module.m.token"}
    assert sorted(map(str, expanded.secrets)) == sorted([key, "tok-one"])
    assert redaction.MASK not in redaction.redact(key)  # handed back, not registered by the stage


def test_expand_modules_reports_what_it_cannot_instantiate(tmp_path: Path) -> None:
    write_mesh(tmp_path / "mod", {"main.hcl": MODULE})
    text = MINIMAL + 'module "m" {\n  source = "./nowhere"\n}\nmodule "n" {\n  source = "./mod"\n}\n'
    mesh, blocks, scope = _model(tmp_path, text)
    expanded = stages.expand_modules(blocks["module"], mesh, scope, hcl.parse)
    assert [d.summary for d in expanded.errors] == [
        "module \"m\": no module './nowhere'",
        'module.n: missing input "name"',
        'module.n: missing input "key"',
        *["reference to undeclared value 'name'"] * 3,  # where the module reads it
    ]


def test_validate_expanded_checks_the_modules_resources_and_all_together() -> None:
    where = SourceRange("m.hcl", 1)
    mesh = Mesh(Path("."))
    mesh.resources = [
        ResourceBlock("aws_s3_bucket", "a", {"bucket": "same"}, where),
        ResourceBlock("aws_s3_bucket", "b", {"bucket": "same"}, where, module="module.m"),
        ResourceBlock("aws_iam_role", "r", {"name": "r", "assume_role_policy": "not json"}, where, module="module.m"),
        # The configuration's own blocks were checked when the model was built: not again.
        ResourceBlock("aws_iam_role", "own", {"name": "own", "assume_role_policy": "not json"}, where),
    ]
    checked = stages.validate_expanded(mesh)
    assert checked.value is mesh
    assert [d.summary for d in checked.errors] == [
        "module.m.aws_iam_role.r.assume_role_policy: a policy document is not valid JSON: Expecting value at line 1",
        "module.m.aws_s3_bucket.b declares the same aws_s3_bucket as aws_s3_bucket.a",
    ]


# -- the pipeline and its façade ---------------------------------------------------


def test_the_pipeline_runs_up_to_any_stage(mesh_dir: Path) -> None:
    """Up to decoding, a mesh whose model does not hold together is still there to look at."""
    write_mesh(mesh_dir, {"main.hcl": MINIMAL.replace('domain  = "sales"', 'domain  = "nowhere"')})
    sources = stages.read_sources(mesh_dir).value
    blocks = stages.collect_blocks(stages.parse_sources(sources, hcl.parse).value).value
    variables = stages.bind_variables(blocks["variable"], VariableInputs(), FUNCTIONS).value
    scope = stages.evaluate_locals(blocks["locals"], variables, FUNCTIONS).value
    decoded = stages.decode_blocks(blocks, scope)
    assert decoded.diagnostics == ()
    assert [d.labels for d in decoded.value.blocks["data_product"]] == [["orders"]]
    built = stages.validate_model(stages.build_model(decoded.value, mesh_dir).value)
    assert [d.summary for d in built.errors][:1] == ['data_product "orders" names an unknown domain "nowhere"']


def test_load_registers_secrets_before_it_reports_a_later_stage_error(mesh_dir: Path) -> None:
    token = _unique_secret()
    files = {"main.hcl": 'variable "pw" {\n  sensitive = true\n}\ndomain "a" {\n  colour = var.pw\n}\n'}
    write_mesh(mesh_dir, files)
    with pytest.raises(ConfigError):
        load(mesh_dir, LoadOptions(env={}, vars=[f"pw={token}"]))
    assert redaction.redact(f"x {token} y") == f"x {redaction.MASK} y"


def test_load_registers_the_sensitive_values_of_modules(mesh_dir: Path) -> None:
    write_mesh(mesh_dir / "mod", {"main.hcl": MODULE})
    key = _unique_secret()
    text = MINIMAL + f'module "m" {{\n  source = "./mod"\n  name = "one"\n  key = "{key}"\n}}\n'
    write_mesh(mesh_dir, {"main.hcl": text})
    assert redaction.MASK not in redaction.redact(key)
    loaded = load(mesh_dir, LoadOptions(env={}))
    assert loaded.mesh.outputs[ModuleAddress.parse("module.m")]["plain"] == "one"
    assert redaction.redact(key) == redaction.MASK


def test_load_reports_a_problem_two_stages_reach_once(mesh_dir: Path) -> None:
    """The unset variable is found by binding and again by decoding, where it is read."""
    write_mesh(mesh_dir, {"main.hcl": 'variable "d" {}\ndomain "a" {\n  description = var.d\n}\n'})
    with pytest.raises(ConfigError) as caught:
        load(mesh_dir, LoadOptions(env={}))
    assert [d.format().splitlines()[0] for d in caught.value.errors] == [
        'main.hcl:1: error: variable "d" has no value',
        "main.hcl:2: error: missing required block 'owners' in domain \"a\"",
    ]


def test_load_stops_after_the_first_line_of_stages_with_an_error(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"a.hcl": "domain {\n", "b.hcl": 'toppic "x" {\n}\n'})
    with pytest.raises(ConfigError) as caught:
        load(mesh_dir, LoadOptions(env={}))
    assert [d.source.file for d in caught.value.errors if d.source] == ["a.hcl"]  # b.hcl's block: not yet
