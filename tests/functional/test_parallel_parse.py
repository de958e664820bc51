"""A cold parse of many files in worker processes (config.parallel_parse): the same trees and
the same diagnostics as a parse in the process, entries in the parse cache, and a load that
still works when no pool can start. The thresholds are lowered so a small mesh takes the
pool path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from meshctl.config import parallel_parse
from meshctl.config.loader import LoadOptions, load
from meshctl.config.parse_cache import ParseCache
from meshctl.errors import ConfigError
from tests.helpers import MINIMAL, write_mesh

CORPUS = Path(__file__).parents[1] / "corpus" / "malformed"


def _many(directory: Path, products: int = 12) -> Path:
    files = {"main.hcl": MINIMAL}
    for i in range(products):
        files[f"p{i:02d}.hcl"] = f"""
        data_product "p{i:02d}" {{
          domain      = "sales"
          description = "product ${{"{i}"}} of {products}"
          topic {{
            partitions = {1 + i % 3}
            config     = {{ "retention.ms" = "{86400000 * (1 + i % 3)}" }}
          }}
        }}
        """
    return write_mesh(directory, files)


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pool path for any mesh of 2 files or more; counts the pools started."""
    started: list[int] = []
    real = parallel_parse.parse_in_workers

    def counting(texts: Mapping[str, str]) -> Iterator[tuple[str, parallel_parse.Parsed | None, str]]:
        started.append(len(texts))
        yield from real(texts)

    monkeypatch.setattr(parallel_parse, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel_parse, "MIN_FILES", 2)
    monkeypatch.setattr(parallel_parse, "cores", lambda: 2)
    monkeypatch.setattr(parallel_parse, "parse_in_workers", counting)
    return started


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # diagnostics show paths relative to here


def _options(cache: Path | None) -> LoadOptions:
    return LoadOptions(env={}, cache_dir=cache)


def test_the_pool_gives_the_trees_a_parse_here_gives(tmp_path: Path, pool: list[int]) -> None:
    mesh = _many(tmp_path / "mesh")
    texts = {p.name: p.read_text() for p in sorted(mesh.glob("*.hcl"))}
    here = ParseCache.open(None, mesh, parallel_parse.hcl.parse)
    there = ParseCache.open(None, mesh, parallel_parse.hcl.parse)
    there.prefetch(texts)
    assert pool == [13]
    assert set(there.ready) == {(n, t) for n, t in texts.items()}
    for name, text in texts.items():
        assert there.parse(text, name) == here.parse(text, name)
    assert there.ready == {}


def test_a_cold_load_through_the_pool_fills_the_cache(tmp_path: Path, pool: list[int]) -> None:
    mesh = _many(tmp_path / "mesh")
    cache = tmp_path / "cache"
    cold = load(mesh, _options(cache))
    assert pool == [13]
    assert len(list(cache.rglob("*.json"))) == 13
    warm = load(mesh, _options(cache))
    assert pool == [13]  # every file from the cache: no pool
    assert warm.mesh.products == cold.mesh.products
    uncached = load(mesh, _options(None))
    assert uncached.mesh.products == cold.mesh.products
    assert pool == [13, 13]


MALFORMED = [
    "syntax_unclosed_brace.hcl",
    "syntax_missing_value.hcl",
    "unterminated_string.hcl",
    "unknown_string_escape.hcl",
    "number_too_large.hcl",
    "nested_blocks_2000_deep.hcl",
]


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_file_among_many_keeps_its_file_and_line(
    tmp_path: Path, pool: list[int], case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mesh = _many(tmp_path / "mesh")
    shutil.copy(CORPUS / case, mesh / case)
    with pytest.raises(ConfigError) as through_pool:
        load(mesh, _options(tmp_path / "cache"))
    assert pool == [14]
    line = int((CORPUS / case).read_text().split(":", 2)[1])
    assert [f"{d.source}" for d in through_pool.value.diagnostics] == [f"mesh/{case}:{line}"]
    pool.clear()
    monkeypatch.setattr(parallel_parse, "MIN_FILES", 10**6)  # the same load, parsed here
    with pytest.raises(ConfigError) as here:
        load(mesh, _options(tmp_path / "other-cache"))
    assert pool == []
    assert through_pool.value.diagnostics == here.value.diagnostics
    assert through_pool.value.format() == here.value.format()


def test_without_a_pool_the_parent_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_parse, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel_parse, "cores", lambda: 2)

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError("no semaphores here")

    monkeypatch.setattr(parallel_parse.subprocess, "Popen", no_pool)
    loaded = load(_many(tmp_path / "mesh"), _options(tmp_path / "cache"))
    assert len(loaded.mesh.products) == 13


def test_small_meshes_and_one_core_start_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    big = {f"f{i}.hcl": "x" * (parallel_parse.MIN_BYTES // 4) for i in range(4)}
    monkeypatch.setattr(parallel_parse, "cores", lambda: 2)
    assert parallel_parse.worth_a_pool(big)
    assert not parallel_parse.worth_a_pool({k: v[:-1] for k, v in big.items()})
    assert not parallel_parse.worth_a_pool(dict(list(big.items())[:3]))
    monkeypatch.setattr(parallel_parse, "cores", lambda: 1)
    assert not parallel_parse.worth_a_pool(big)


def test_a_worker_that_fails_leaves_its_files_to_the_parent(tmp_path: Path, pool: list[int]) -> None:
    mesh = _many(tmp_path / "mesh")
    texts = {p.name: p.read_text() for p in sorted(mesh.glob("*.hcl"))}
    broken = dict(texts)
    parallel_parse_worker = parallel_parse._WORKER
    try:
        parallel_parse._WORKER = "import sys; sys.exit(3)"
        results = list(parallel_parse.parse_in_workers(broken))
    finally:
        parallel_parse._WORKER = parallel_parse_worker
    assert [(n, p, e) for n, p, e in results] == [(n, None, "") for n in texts]
    assert len(load(mesh, _options(tmp_path / "cache")).mesh.products) == 13
