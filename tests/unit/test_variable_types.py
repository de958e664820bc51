"""object({...}) and optional(type[, default]) type constraints, nested in lists and maps: values
converted as Terraform converts them, defaults filled in, errors naming the attribute path."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.evaluate import Scope
from meshctl.config.functions import make_functions
from meshctl.config.hcl import parse
from meshctl.config.loader import LoadOptions, load
from meshctl.config.types import ConversionError, TypeSyntaxError, convert, parse_type
from meshctl.errors import ConfigError

SERVERS = """list(object({
    name = string
    port = optional(number, 9092)
    tls  = optional(object({ enabled = optional(bool, true), ca = optional(string) }), {})
    tags = optional(map(string))
  }))"""


def _type(text: str):  # type: ignore[no-untyped-def]  # a TypeSpec; the helper keeps tests short
    expr = parse(f"\n\nt = {text}\n", "t.hcl").attributes["t"].expr
    return parse_type(expr, Scope({}, make_functions(Path("."))))[0]


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            [{"name": "a"}],
            [{"name": "a", "port": 9092, "tls": {"enabled": True, "ca": None}, "tags": None}],
        ),
        (
            [{"name": 7, "port": "9093", "tls": {"enabled": "false"}, "tags": {"t": 1}}],
            [{"name": "7", "port": 9093, "tls": {"enabled": False, "ca": None}, "tags": {"t": "1"}}],
        ),
        (
            [{"name": "a", "port": None, "tls": None}],
            [{"name": "a", "port": 9092, "tls": {"enabled": True, "ca": None}, "tags": None}],
        ),
        ([], []),
    ],
)
def test_conversion_fills_defaults_and_converts(value: object, expected: object) -> None:
    assert convert(value, _type(SERVERS)) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ({"name": "a"}, "the value: a list is required, got an object"),
        ([{"port": 1}], "[0].name: attribute is required (string)"),
        ([{"name": "a", "prot": 1}], "[0].prot: attribute is not declared by the type (did you mean 'port'?)"),
        ([{"name": "a", "tls": {"enabled": "maybe"}}], "[0].tls.enabled: a bool is required, got a string"),
        ([{"name": "a", "tags": {"k": [1]}}], '[0].tags["k"]: a string is required, got a list'),
        ([{"name": "a", "port": "x"}], "[0].port: a number is required, got a string"),
    ],
)
def test_a_value_that_does_not_fit_names_the_path(value: object, message: str) -> None:
    with pytest.raises(ConversionError) as info:
        convert(value, _type(SERVERS))
    assert str(info.value) == message


def test_maps_sets_and_tuples() -> None:
    assert convert({"a": {"n": "1"}}, _type("map(object({ n = number }))")) == {"a": {"n": 1}}
    assert convert([1, 1, 2], _type("set(number)")) == [1, 2]
    assert convert(["a", 1], _type("tuple([string, string])")) == ["a", "1"]
    with pytest.raises(ConversionError, match="a tuple of 2 elements is required, got 1"):
        convert(["a"], _type("tuple([string, number])"))
    assert str(_type(SERVERS)).startswith("list(object({name = string, port = optional(number)")


@pytest.mark.parametrize(
    "text, message",
    [
        ("optional(string)", "optional(...) is allowed only for an attribute of object({...})"),
        ('object({ a = optional(number, "x") })', "the default of optional(number) is not valid"),
        ("object({ a = strnig })", "unsupported type constraint"),
        ("object({ a = string, a = number })", "attribute 'a' is declared twice"),
        ("object({ a = optional(string, 1, 2) })", "optional takes a type and, optionally, a default value"),
    ],
)
def test_a_malformed_type_is_an_error_at_its_line(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError) as info:
        _type(text)
    assert message in info.value.diagnostic.summary
    assert str(info.value.diagnostic.source) == "t.hcl:3"


MESH = f"""variable "servers" {{
  type = {SERVERS}
  default = [{{ name = "a" }}]
  validation {{
    condition     = alltrue([for s in var.servers : s.port > 1000])
    error_message = "ports must be above 1000."
  }}
}}
output "ports" {{
  value = var.servers[*].port
}}
"""


def test_a_variable_with_an_object_type_through_the_loader(mesh_dir: Path) -> None:
    (mesh_dir / "main.hcl").write_text(
        MESH.replace(
            "alltrue([for s in var.servers : s.port > 1000])",
            "length([for s in var.servers : s if s.port <= 1000]) == 0",
        )
    )
    loaded = load(mesh_dir, LoadOptions(env={}))
    assert loaded.mesh.root_outputs["ports"].value == [9092]
    assert loaded.variables["servers"].value == [
        {"name": "a", "port": 9092, "tls": {"enabled": True, "ca": None}, "tags": None}
    ]
    loaded = load(mesh_dir, LoadOptions(env={}, vars=['servers=[{name="b", port="9000"}]']))
    assert loaded.mesh.root_outputs["ports"].value == [9000]
    with pytest.raises(ConfigError) as info:
        load(mesh_dir, LoadOptions(env={}, vars=['servers=[{name="b", port=80}]']))
    assert "ports must be above 1000." in info.value.diagnostics[0].summary
    with pytest.raises(ConfigError) as info:
        load(mesh_dir, LoadOptions(env={}, vars=['servers=[{nam="b"}]']))
    assert [d.format().splitlines()[0] for d in info.value.diagnostics] == [
        'main.hcl:1: error: variable "servers" has an invalid value: var.servers[0].nam: attribute is not declared '
        "by the type (did you mean 'name'?)"
    ]


def test_an_environment_blocks_value_is_converted_and_checked_at_its_line(mesh_dir: Path) -> None:
    text = MESH.replace("alltrue([for s in var.servers : s.port > 1000])", "true") + (
        'environment "prod" {\n  variables = {\n    servers = [{ name = "p", port = "x" }]\n  }\n}\n'
    )
    (mesh_dir / "main.hcl").write_text(text)
    with pytest.raises(ConfigError) as info:
        load(mesh_dir, LoadOptions(env={}, environment="prod"))
    shown = info.value.diagnostics[0].format()
    assert "var.servers[0].port: a number is required, got a string" in shown and shown.startswith("main.hcl:")
