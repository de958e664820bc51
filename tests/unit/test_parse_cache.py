"""The parse cache: JSON data in the user's cache directory, strictly decoded, keyed by content."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from meshctl import __version__
from meshctl.config import ast, ast_json, hcl, parse_cache
from meshctl.config.loader import LoadOptions, load
from meshctl.config.parse_cache import ParseCache, entry_key, mesh_key, parse_cache_dir
from meshctl.documents import user_cache_dir
from meshctl.errors import SourceRange
from tests.helpers import MINIMAL, write_mesh

EXAMPLES = Path(__file__).parents[2] / "examples"

# Every expression node type, both object and list `for`, literal and computed index, `...`.
EVERY_NODE = """
locals {
  s     = "plain"
  n     = 42
  f     = 2.5
  b     = true
  z     = null
  t     = "x-${var.env}-${upper(local.s)}"
  g     = var.settings.name
  i     = local.list[0]
  j     = local.map[local.s]
  c     = format("%s-%d", local.s, local.n)
  e     = concat(local.lists...)
  tup   = [1, "two", local.n]
  obj   = { a = 1, "b-c" = local.s, (local.s) = 2 }
  bin   = local.n * 2 + 1 >= 3 && !local.b || local.n != 4
  neg   = -local.n
  cond  = local.b ? "yes" : "no"
  names = [for d in local.tup : upper(d) if d != ""]
  index = { for k, v in local.obj : k => v if v != null }
  splat = local.list[*].a.b[0]
}

domain "sales" {
  parent = "commerce"
  owners {
    accountable = "sales@acme.example"
  }
}

resource "aws_s3_bucket" "data" {
  bucket = "b"
}
"""


def _node_types(value: object, seen: set[type]) -> None:
    if isinstance(value, ast.Expr):
        seen.add(type(value))
    if isinstance(value, (list, tuple)):
        for item in value:
            _node_types(item, seen)
    elif isinstance(value, ast.Body):
        for attr in value.attributes.values():
            _node_types(attr.expr, seen)
        for block in value.blocks:
            _node_types(block.body, seen)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:  # type: ignore[attr-defined]
            _node_types(getattr(value, name), seen)


def _roundtrip(body: ast.Body, file: str) -> ast.Body:
    return ast_json.decode_body(json.loads(json.dumps(ast_json.encode_body(body, file))), file)


def test_codec_round_trips_every_node_type() -> None:
    body = hcl.parse(EVERY_NODE, "every.hcl")
    seen: set[type] = set()
    _node_types(body, seen)
    assert seen == set(ast.Expr.__subclasses__())  # a new node type needs a case in the codec and here
    again = _roundtrip(body, "every.hcl")
    assert again == body
    assert [b.src for b in again.blocks] == [SourceRange("every.hcl", line) for line in (2, 24, 31)]
    parent = again.blocks[1].body.attributes["parent"]
    assert isinstance(parent.expr, ast.Literal) and parent.src == SourceRange("every.hcl", 25)


def test_codec_keeps_literal_types_apart() -> None:
    body = hcl.parse('locals {\n  a = 1\n  b = 1.0\n  c = true\n  d = "1"\n}\n', "x.hcl")
    values = [a.expr.value for a in _roundtrip(body, "x.hcl").blocks[0].body.attributes.values()]  # type: ignore[attr-defined]
    assert [(type(v), v) for v in values] == [(type(v), v) for v in (1, 1.0, True, "1")]


def test_codec_round_trips_the_examples() -> None:
    for path in sorted(EXAMPLES.glob("*.hcl")):
        body = hcl.parse(path.read_text(), path.name)
        assert _roundtrip(body, path.name) == body, path.name


def test_codec_refuses_a_tree_from_another_file() -> None:
    body = hcl.parse('domain "x" {}\n', "a.hcl")
    with pytest.raises(ast_json.CodecError):
        ast_json.encode_body(body, "b.hcl")


def _good() -> dict[str, object]:
    return ast_json.encode_body(hcl.parse('domain "x" {\n  n = f(1)\n}\n', "a.hcl"), "a.hcl")


@pytest.mark.parametrize(
    "crafted",
    [
        None,
        [],
        "body",
        {"attributes": [], "blocks": [], "extra": 1},
        {"attributes": [["a", 1, ["lit", 1, {"py/object": "os.system"}]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", 1, [1]]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", 1, float("nan")]]], "blocks": []},
        {"attributes": [["a", True, ["lit", 1, 1]]], "blocks": []},
        {"attributes": [["a", -1, ["lit", 1, 1]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", "1", 1]]], "blocks": []},
        {"attributes": [["a", 1, ["exec", 1, "print(1)"]]], "blocks": []},
        {"attributes": [["a", 1, ["__reduce__", 1, "os.system", "id"]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", 1]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", 1, 1, 2]]], "blocks": []},
        {"attributes": [[1, 1, ["lit", 1, 1]]], "blocks": []},
        {"attributes": [["a", 1, ["lit", 1, 1]], ["a", 2, ["lit", 2, 2]]], "blocks": []},
        {"attributes": [["a", 1, ["call", 1, "f", [], 1]]], "blocks": []},
        {"attributes": [["a", 1, ["for", 1, None, "v", ["var", 1, "x"], None, ["var", 1, "v"], 7]]], "blocks": []},
        {"attributes": [["a", 1, ["object", 1, [[["lit", 1, "k"]]]]]], "blocks": []},
        {"attributes": [], "blocks": [["domain", ["x", 2], 1, {"attributes": [], "blocks": []}]]},
        {"attributes": [], "blocks": [["domain", "x", 1, {"attributes": [], "blocks": []}]]},
        {"attributes": [], "blocks": [["domain", [], 1, None]]},
    ],
)
def test_decoder_refuses_every_crafted_shape(crafted: object) -> None:
    with pytest.raises(ast_json.CodecError):
        ast_json.decode_body(crafted, "a.hcl")


def test_decoder_refuses_a_tree_deeper_than_python_allows() -> None:
    deep: object = ["lit", 1, 1]
    for _ in range(100_000):
        deep = ["unary", 1, "-", deep]
    with pytest.raises(ast_json.CodecError):
        ast_json.decode_body({"attributes": [["a", 1, deep]], "blocks": []}, "a.hcl")
    assert ast_json.decode_body(_good(), "a.hcl").blocks[0].label == "x"


# -- where the cache lives ----------------------------------------------------


def test_cache_directory_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir({}) == tmp_path / "home" / ".cache" / "meshctl"
    assert user_cache_dir({"XDG_CACHE_HOME": "relative/ignored"}) == tmp_path / "home" / ".cache" / "meshctl"
    assert user_cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/meshctl")
    assert user_cache_dir({"XDG_CACHE_HOME": "/xdg", "MESHCTL_CACHE_DIR": "/mine"}) == Path("/mine")
    assert parse_cache_dir({"MESHCTL_CACHE_DIR": "/mine"}) == Path("/mine/hcl")
    for off in ("0", "off", "FALSE", "no"):
        assert parse_cache_dir({"MESHCTL_CACHE_DIR": "/mine", "MESHCTL_PARSE_CACHE": off}) is None
    assert parse_cache_dir({"MESHCTL_CACHE_DIR": "/mine", "MESHCTL_PARSE_CACHE": "1"}) == Path("/mine/hcl")


# -- hits, misses, files -------------------------------------------------------


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names hcl.parse was called with (the real parser still runs)."""
    calls: list[str] = []
    real = hcl.parse

    def counting(text: str, name: str) -> ast.Body:
        calls.append(name)
        return real(text, name)

    monkeypatch.setattr(hcl, "parse", counting)
    return calls


def _load(directory: Path, cache: Path | None) -> object:
    environment = "dev" if directory == EXAMPLES else None  # the examples declare dev and prod
    return load(directory, LoadOptions(env={}, cache_dir=cache, environment=environment)).mesh


def _tree(directory: Path) -> dict[str, tuple[int, bytes]]:
    """Every path under `directory` with its mode and content (directories: empty content)."""
    out = {}
    for path in sorted(directory.rglob("*")):
        data = b"" if path.is_dir() else path.read_bytes()
        out[str(path.relative_to(directory))] = (stat.S_IMODE(path.lstat().st_mode), data)
    return out


def test_second_load_hits_and_a_changed_file_misses(mesh_dir: Path, tmp_path_factory, parses: list[str]) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path_factory.mktemp("cache") / "hcl"
    write_mesh(mesh_dir, {"a.hcl": MINIMAL, "b.hcl": 'domain "ops" {\n  owners { accountable = "o@x" }\n}\n'})
    first = _load(mesh_dir, cache)
    assert sorted(parses) == ["a.hcl", "b.hcl"]
    parses.clear()
    assert _load(mesh_dir, cache) == first
    assert parses == []  # every file came from the cache
    (mesh_dir / "b.hcl").write_text('domain "ops" {\n  owners { accountable = "ops@x" }\n}\n')
    assert _load(mesh_dir, cache).domains["ops"].owners.accountable == "ops@x"  # type: ignore[attr-defined]
    assert parses == ["b.hcl"]
    entries = sorted(p.name for p in (cache / mesh_key(mesh_dir)).iterdir())
    assert entries == sorted(f"{entry_key(n, (mesh_dir / n).read_text())}.json" for n in ("a.hcl", "b.hcl"))


def test_module_files_are_cached_too(tmp_path: Path, parses: list[str]) -> None:
    cache = tmp_path / "hcl"
    _load(EXAMPLES, cache)
    module_files = [n for n in parses if "modules" in n]
    assert module_files  # the examples call paved-path modules
    parses.clear()
    _load(EXAMPLES, cache)
    assert parses == []


def test_entries_are_private_and_nothing_lands_in_the_mesh(mesh_dir: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    cache_root = tmp_path_factory.mktemp("user-cache")
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    before = _tree(mesh_dir)
    _load(mesh_dir, cache_root / "hcl")
    assert _tree(mesh_dir) == before
    entry_dir = cache_root / "hcl" / mesh_key(mesh_dir)
    for directory in (cache_root / "hcl", entry_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (entry,) = entry_dir.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    doc = json.loads(entry.read_text())
    assert (doc["format"], doc["meshctl"], doc["file"]) == (ast_json.FORMAT, __version__, "main.hcl")


def test_a_wider_cache_directory_is_tightened(mesh_dir: Path, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path_factory.mktemp("c") / "hcl"
    cache.mkdir(mode=0o755)
    cache.chmod(0o755)
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    _load(mesh_dir, cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def _plant(cache: Path, directory: Path, name: str, content: str) -> Path:
    entry_dir = cache / mesh_key(directory)
    entry_dir.mkdir(parents=True, exist_ok=True)
    path = entry_dir / f"{entry_key(name, (directory / name).read_text())}.json"
    path.write_text(content)
    return path


def _entry(body: object, **over: object) -> str:
    return json.dumps({"format": ast_json.FORMAT, "meshctl": __version__, "file": "main.hcl", "body": body} | over)


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "\x80\x04\x95pickle",
        json.dumps([1, 2]),
        _entry({"attributes": [["a", 1, ["exec", 1, "import os"]]], "blocks": []}),
        _entry({"attributes": [], "blocks": []}, meshctl="0.0.0"),
        _entry({"attributes": [], "blocks": []}, file="other.hcl"),
        _entry({"attributes": [], "blocks": []}, format=999),
        _entry({"attributes": [], "blocks": []}, extra="key"),
    ],
)
def test_a_foreign_or_malformed_entry_is_a_miss(
    mesh_dir: Path, tmp_path_factory, parses: list[str], content: str
) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path_factory.mktemp("c") / "hcl"
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    planted = _plant(cache, mesh_dir, "main.hcl", content)
    mesh = _load(mesh_dir, cache)
    assert parses == ["main.hcl"]
    assert set(mesh.domains) == {"commerce", "sales", "analytics"}  # type: ignore[attr-defined]
    assert json.loads(planted.read_text())["meshctl"] == __version__  # replaced by a good entry
    assert ast_json.decode_body(json.loads(planted.read_text())["body"], "main.hcl") == hcl.parse(
        MINIMAL.lstrip("\n"), "main.hcl"
    )


def test_an_entry_that_is_not_a_plain_file_is_a_miss(mesh_dir: Path, tmp_path_factory, parses: list[str]) -> None:  # type: ignore[no-untyped-def]
    cache = tmp_path_factory.mktemp("c") / "hcl"
    write_mesh(mesh_dir, {"main.hcl": MINIMAL, "other.hcl": 'domain "ops" {\n  owners { accountable = "o@x" }\n}\n'})
    good = tmp_path_factory.mktemp("elsewhere") / "good.json"
    good.write_text(_entry(ast_json.encode_body(hcl.parse(MINIMAL.lstrip("\n"), "main.hcl"), "main.hcl")))
    link = _plant(cache, mesh_dir, "main.hcl", "")
    link.unlink()
    link.symlink_to(good)  # a link could point anywhere: not followed
    fifo = _plant(cache, mesh_dir, "other.hcl", "")
    fifo.unlink()
    os.mkfifo(fifo)  # opening it for reading must not hang the load
    parses.clear()
    _load(mesh_dir, cache)
    assert sorted(parses) == ["main.hcl", "other.hcl"]


def test_pruning_keeps_other_meshes_and_foreign_files(tmp_path: Path) -> None:
    cache = tmp_path / "hcl"
    one = write_mesh(tmp_path / "one", {"main.hcl": MINIMAL})
    two = write_mesh(tmp_path / "two", {"main.hcl": MINIMAL})
    _load(one, cache)
    _load(two, cache)
    foreign = cache / mesh_key(two) / "notes.txt"
    foreign.write_text("mine")
    (one / "main.hcl").write_text(MINIMAL + "\n# changed\n")
    _load(one, cache)
    assert len(list((cache / mesh_key(one)).iterdir())) == 1  # the old entry of main.hcl is gone
    assert len(list((cache / mesh_key(two)).glob("*.json"))) == 1  # another mesh's entries stay
    assert foreign.read_text() == "mine"


def test_a_mesh_unused_for_a_month_is_pruned(tmp_path: Path) -> None:
    cache = tmp_path / "hcl"
    old = write_mesh(tmp_path / "old", {"main.hcl": MINIMAL})
    new = write_mesh(tmp_path / "new", {"main.hcl": MINIMAL})
    _load(old, cache)
    _load(new, cache)
    stale = time.time() - parse_cache.MAX_IDLE_SECONDS - 60
    os.utime(cache / mesh_key(old), (stale, stale))
    unrelated = cache / "not-a-mesh"
    unrelated.mkdir()
    os.utime(unrelated, (stale, stale))
    ParseCache.open(cache, new, hcl.parse).prune()
    assert not (cache / mesh_key(old)).exists()
    assert (cache / mesh_key(new)).is_dir() and unrelated.is_dir()


def test_an_unwritable_cache_only_costs_time(mesh_dir: Path, tmp_path_factory, parses: list[str]) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path_factory.mktemp("c") / "hcl"
    blocker.write_text("a file where the cache directory should be")
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    assert set(_load(mesh_dir, blocker).domains) == {"commerce", "sales", "analytics"}  # type: ignore[attr-defined]
    assert set(_load(mesh_dir, blocker).domains) == {"commerce", "sales", "analytics"}  # type: ignore[attr-defined]
    assert parses == ["main.hcl", "main.hcl"]


def test_no_cache_dir_parses_every_time(mesh_dir: Path, parses: list[str]) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    _load(mesh_dir, None)
    _load(mesh_dir, None)
    assert parses == ["main.hcl", "main.hcl"]


def test_an_unreadable_cache_directory_only_costs_time(
    mesh_dir: Path,
    tmp_path_factory,
    parses: list[str],
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A home directory meshctl may not look into (tests run as root, so the error is simulated)."""
    cache = tmp_path_factory.mktemp("c") / "hcl"
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    real_is_dir = Path.is_dir

    def denied(self: Path) -> bool:
        if cache in (self, *self.parents):
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_dir(self)

    monkeypatch.setattr(Path, "is_dir", denied)
    assert set(_load(mesh_dir, cache).domains) == {"commerce", "sales", "analytics"}  # type: ignore[attr-defined]
    assert parses == ["main.hcl"]
