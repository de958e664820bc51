"""Issue 13's functions and expressions: regex, string trimming, substr, yamlencode, zipmap, one,
abs, toset, fileset, try/can and splat `[*]`, each with Terraform's results and with the
error a misuse gives at its `file:line`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.config.functions import make_functions
from meshctl.config.hcl import parse

VARS = {
    "people": [{"name": "a", "tags": {"t": 1}}, {"name": "b", "tags": {"t": 2}}],
    "one": {"name": "z"},
    "none": None,
}


def _eval(text: str, base: Path) -> object:
    body = parse(f"\n\nx = {text}\n", "t.hcl")  # on line 3, so the error line is checked
    scope = Scope({"var": Namespace(VARS), "local": Namespace({})}, make_functions(base))
    return evaluate(body.attributes["x"].expr, scope)


def _error(text: str, base: Path) -> str:
    with pytest.raises(EvalError) as info:
        _eval(text, base)
    assert str(info.value.diagnostic.source) == "t.hcl:3"
    return info.value.diagnostic.format()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('regex("[a-z]+", "53453453.345345aaabbbccc23454")', "aaabbbccc"),
        ('regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ["2019", "02"]),
        ('regex("^(?P<user>[^@]+)@(?P<host>.+)$", "me@example.com")', {"user": "me", "host": "example.com"}),
        ('regexall("[a-z]+", "1234abcd5678efgh9")', ["abcd", "efgh"]),
        ('regexall("x", "abc")', []),
        ('length(regexall("[0-9]", "a1b2c3")) > 0', True),
        ('startswith("hello world", "hello")', True),
        ('startswith("hello world", "world")', False),
        ('endswith("hello world", "world")', True),
        ('trimprefix("helloworld", "hello")', "world"),
        ('trimprefix("helloworld", "cat")', "helloworld"),
        ('trimsuffix("helloworld", "world")', "hello"),
        ('substr("hello world", 1, 4)', "ello"),
        ('substr("hello world", -5, -1)', "world"),
        ('substr("hello", 10, 2)', ""),
        ('substr("hello", -10, 2)', "he"),
        ('substr("héllo", 1, 1)', "é"),
        ('zipmap(["a", "b"], [1, {c = 2}])', {"a": 1, "b": {"c": 2}}),
        ("one([])", None),
        ('one(["x"])', "x"),
        ("abs(-12.4)", 12.4),
        ("abs(3)", 3),
        ('toset(["c", "b", "c", "a"])', ["a", "b", "c"]),
        ("toset([3, 1, 3])", [1, 3]),
        ("var.people[*].name", ["a", "b"]),
        ("var.people[*].tags.t", [1, 2]),
        ('var.people[*].tags["t"]', [1, 2]),
        ("var.people.*.name", ["a", "b"]),
        ("var.one[*].name", ["z"]),
        ("var.none[*].name", []),
        ("length(var.people[*])", 2),
        ("[for n in var.people[*].name : upper(n)]", ["A", "B"]),
        ('try(var.people[5].name, var.one.name, "fallback")', "z"),
        ('try(var.one.nope, "fallback")', "fallback"),
        ('try(regex("x", "abc"), "no match")', "no match"),
        ("can(var.people[0].name)", True),
        ("can(var.people[9].name)", False),
        ('can(regex("^[a-z]+$", "abc"))', True),
        ('can(regex("^[a-z]+$", "ABC"))', False),
        ("alltrue([true, true])", True),
        ("alltrue([])", True),
        ("anytrue([false, true])", True),
        ("anytrue([])", False),
        ("sum([1, 2.5, 3])", 6.5),
        ('compact(["a", "", null, "b"])', ["a", "b"]),
        ("reverse([1, 2, 3])", [3, 2, 1]),
        ('sort(["b", "a", 10, 9])', ["10", "9", "a", "b"]),
        ('slice(["a", "b", "c", "d"], 1, 3)', ["b", "c"]),
        ('index(["a", "b"], "b")', 1),
        ("coalescelist([], [1], [2])", [1]),
        ("tolist([1])", [1]),
        ("tomap({a = 1})", {"a": 1}),
        ('chomp("hello\\n\\n")', "hello"),
        ('base64decode("aGVsbG8=")', "hello"),
    ],
)
def test_results(text: str, expected: object, tmp_path: Path) -> None:
    assert _eval(text, tmp_path) == expected


@pytest.mark.parametrize(
    "text, message",
    [
        ('regex("[a-z]+", "123")', "pattern did not match any part of the given string"),
        ('regex("(?=x)", "x")', "invalid regular expression"),
        ('regex("(a)\\\\1", "aa")', "invalid regular expression"),
        ('regex("(?P<a>x)(y)", "xy")', "may not mix named and unnamed capture groups"),
        ("regex(1, 2)", "regex's pattern must be a string, got number"),
        ('startswith(1, "a")', "startswith's string must be a string, got number"),
        ('trimsuffix("a", null)', "trimsuffix's suffix must be a string, got null"),
        ('substr("abc", 0, -2)', "length must be -1"),
        ('substr("abc", "0", 1)', "substr's offset must be a number"),
        ('zipmap(["a"], [1, 2])', "number of keys (1) does not match number of values (2)"),
        ("zipmap([1], [2])", "key 0 must be a string, got number"),
        ("one([1, 2])", "no more than one element, got 2 elements"),
        ('abs("1")', "abs's argument must be a number, got string"),
        ('toset(["a", 1])', "all elements of a set must have one type"),
        ("toset([null])", "a set cannot contain null"),
        ('fileset(".", "[a")', "'[' without ']'"),
        ("try(var.nope, local.nope)", "try(): no argument could be evaluated"),
        ("try()", "try() needs at least one argument"),
        ("can(1, 2)", "can() takes exactly one argument"),
        ("tyr(1)", "did you mean try()?"),
        ('"abc"[*].x', "cannot index into a str"),
        ("yamlencode(1/0)", "division by zero"),
        ('alltrue(["x"])', "alltrue's elements must be bools, got string"),
        ("sum([])", "cannot sum an empty list"),
        ("slice([1], 0, 2)", "slice(0, 2) is out of range for a list of 1"),
        ('index(["a"], "z")', "item not found"),
        ("coalescelist([], [])", "no non-empty list given"),
        ('base64decode("%%%")', "not valid base64"),
        ("tomap([1])", "tomap's argument must be a map, got list"),
    ],
)
def test_misuse_is_an_error_at_the_call(text: str, message: str, tmp_path: Path) -> None:
    assert message in _error(text, tmp_path)


def test_try_names_each_failure_with_its_line(tmp_path: Path) -> None:
    shown = _error("try(var.nope, 1 / 0)", tmp_path)
    assert "undeclared value 'nope'" in shown and "division by zero" in shown


def test_try_does_not_hide_an_internal_error(tmp_path: Path) -> None:
    """Only evaluation errors fall through: a bug in a function (any other exception) propagates."""
    body = parse('x = try(boom(), "fallback")\n', "t.hcl")

    def boom() -> object:
        raise KeyError("a bug, not a user error")

    scope = Scope({}, {"boom": boom})
    with pytest.raises(KeyError):
        evaluate(body.attributes["x"].expr, scope)


def test_a_catastrophic_pattern_does_not_hang(tmp_path: Path) -> None:
    """RE2 matches in linear time: (a+)+$ against 100,000 a's and a b (exponential for a
    backtracking engine such as Python's re) answers at once."""
    start = time.monotonic()
    assert _eval(f'can(regex("(a+)+$", "{"a" * 100_000}b"))', tmp_path) is False
    assert _eval(f'regexall("(a|a)*c", "{"a" * 50_000}b")', tmp_path) == []
    assert time.monotonic() - start < 2


def test_an_oversized_pattern_is_refused(tmp_path: Path) -> None:
    assert "at most 4096 are allowed" in _error(f'regex("{"a" * 5000}", "a")', tmp_path)


def test_yamlencode_reads_back_as_the_same_value(tmp_path: Path) -> None:
    text = 'yamlencode({a = "b", c = [1, {d = [2, [3, 4]], e = "no"}], f = {}, g = [], h = null, i = "1.0", j = true})'
    out = _eval(text, tmp_path)
    assert isinstance(out, str)
    assert yaml.safe_load(out) == {
        "a": "b",
        "c": [1, {"d": [2, [3, 4]], "e": "no"}],
        "f": {},
        "g": [],
        "h": None,
        "i": "1.0",
        "j": True,
    }
    assert out.startswith('"a": "b"\n"c":\n- 1\n')
    assert _eval('yamlencode("x")', tmp_path) == '"x"\n'


def _tree(base: Path) -> None:
    (base / "schemas" / "nested").mkdir(parents=True)
    (base / "schemas" / "a.json").write_text("{}")
    (base / "schemas" / "b.avsc").write_text("{}")
    (base / "schemas" / "nested" / "c.json").write_text("{}")


def test_fileset_lists_matching_files_relative_to_the_path(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _eval('fileset("schemas", "*.json")', tmp_path) == ["a.json"]
    assert _eval('fileset("schemas", "**/*.json")', tmp_path) == ["a.json", "nested/c.json"]
    assert _eval('fileset("schemas", "*.{json,avsc}")', tmp_path) == ["a.json", "b.avsc"]
    assert _eval('fileset(".", "schemas/?.json")', tmp_path) == ["schemas/a.json"]
    assert _eval('fileset("schemas", "[ab].*")', tmp_path) == ["a.json", "b.avsc"]
    assert _eval('fileset("missing", "*")', tmp_path) == []
    assert _eval('[for f in fileset("schemas", "*.json") : file("schemas/${f}")]', tmp_path) == ["{}"]


@pytest.mark.parametrize(
    "text",
    [
        'file("/etc/passwd")',
        'file("../outside.txt")',
        'file("schemas/../../outside.txt")',
        'fileset("..", "*")',
        'fileset("/etc", "*")',
        'fileset("schemas/../..", "*")',
    ],
)
def test_file_functions_refuse_paths_leading_out(text: str, tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    _tree(mesh)
    (tmp_path / "outside.txt").write_text("secret")
    shown = _error(text, mesh)
    assert "inside the mesh directory" in shown and "secret" not in shown


def test_symlinks_leading_out_are_refused(tmp_path: Path) -> None:
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    _tree(mesh)
    (tmp_path / "outside.txt").write_text("secret")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "x.json").write_text("secret")
    os.symlink(tmp_path / "outside.txt", mesh / "schemas" / "leak.json")
    os.symlink(tmp_path / "outdir", mesh / "linked")
    assert "symbolic link leading outside" in _error('file("schemas/leak.json")', mesh)
    assert "symbolic link leading outside" in _error('file("linked/x.json")', mesh)
    assert "symbolic link leading outside" in _error('fileset("schemas", "*.json")', mesh)
    assert "symbolic link leading outside" in _error('fileset(".", "**")', mesh)
    assert "symbolic link leading outside" in _error('fileset("linked", "*")', mesh)


def test_a_symlink_inside_the_mesh_is_followed(tmp_path: Path) -> None:
    _tree(tmp_path)
    os.symlink(tmp_path / "schemas" / "a.json", tmp_path / "alias.json")
    assert _eval('file("alias.json")', tmp_path) == "{}"
    assert _eval('fileset(".", "*.json")', tmp_path) == ["alias.json"]


def test_a_pathological_fileset_pattern_does_not_hang(tmp_path: Path) -> None:
    """`**/` repeated backtracks exponentially in a backtracking engine (3 s per 30-level path
    with Python's re); the glob runs on RE2, linear in the path."""
    deep = tmp_path.joinpath(*["a"] * 30)
    deep.mkdir(parents=True)
    (deep / "y").write_text("")
    start = time.monotonic()
    assert _eval(f'fileset(".", "{"**/" * 8}x")', tmp_path) == []
    assert _eval(f'fileset(".", "{"**/" * 8}y")', tmp_path) == ["a/" * 30 + "y"]
    assert time.monotonic() - start < 2
