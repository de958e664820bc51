"""A data product's versioning is written in `versioning { replaces, deprecated, sunset }`; its
`lifecycle` block keeps Terraform's meaning (prevent_destroy). The old spelling, versioning
keys in `lifecycle`, still works with a deprecation warning at its line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from meshctl.config.loader import LoadedConfig, LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.model import DataProduct
from tests.helpers import write_mesh

HEAD = """domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
}
data_product "orders" {
  domain  = "sales"
  version = 2
"""


def _load(tmp_path: Path, body: str) -> LoadedConfig:
    write_mesh(tmp_path, {"main.hcl": HEAD + body + "}\n"})
    return load(tmp_path, LoadOptions(env={}))


def _v2(config: LoadedConfig) -> DataProduct:
    return next(p for p in config.mesh.products if p.version == 2)


def test_versioning_block_sets_the_versioning_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _load(tmp_path, '  versioning {\n    replaces = 1\n    sunset = "2030-01-01"\n  }\n')
    life = _v2(config).lifecycle
    assert (life.replaces, life.sunset, life.prevent_destroy) == (1, date(2030, 1, 1), False)
    assert config.warnings == []


def test_the_old_spelling_still_works_with_a_warning_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = _load(tmp_path, '  lifecycle {\n    replaces = 1\n    sunset = "2030-01-01"\n  }\n')
    life = _v2(config).lifecycle
    assert (life.replaces, life.sunset) == (1, date(2030, 1, 1))
    (warning,) = [w.format() for w in config.warnings]
    assert warning.startswith("main.hcl:12: warning: lifecycle { replaces, sunset } in a data_product is deprecated")
    assert "versioning {" in warning


def test_lifecycle_with_only_terraform_keys_means_those(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = _load(tmp_path, "  versioning {\n    replaces = 1\n  }\n  lifecycle {\n    prevent_destroy = true\n  }\n")
    product = _v2(config)
    assert product.lifecycle.replaces == 1 and product.lifecycle.prevent_destroy
    assert str(product.srcs["lifecycle.prevent_destroy"]).startswith("main.hcl:15")
    assert config.warnings == []


def test_versioning_in_both_blocks_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, "  versioning {\n    replaces = 1\n  }\n  lifecycle {\n    replaces = 1\n  }\n")
    assert "main.hcl:15: error: lifecycle.replaces and a versioning block" in exc.value.format()


@pytest.mark.parametrize(
    "body, phrase",
    [
        (
            "  versioning {\n    replaces = 2\n  }\n",
            "main.hcl:12: error: versioning.replaces must name an earlier version",
        ),
        ('  versioning {\n    sunset = "soon"\n  }\n', "main.hcl:12: error: versioning.sunset is not a date"),
        (
            "  versioning {\n    prevent_destroy = true\n  }\n",
            "main.hcl:12: error: unknown attribute 'prevent_destroy'",
        ),
        ("  lifecycle {\n    ignore_changes = [tags]\n  }\n", "main.hcl:12: error: unknown attribute 'ignore_changes'"),
    ],
)
def test_misused_versioning_is_an_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, phrase: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, body)
    assert phrase in exc.value.format(), exc.value.format()
