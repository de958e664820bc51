"""`lifecycle { ignore_changes }` on AWS resource blocks: read as attribute names (bare, quoted
or `all`), checked against the type, and planned as Terraform does: creation sets them, a later
plan leaves them as the live object has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.compile.aws import compile_resources
from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.plan.diff import diff
from meshctl.state_model import ResourceState, State
from tests.helpers import write_mesh

AWS = 'aws {\n  region = "eu-west-1"\n  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]\n}\n'


def _bucket(lifecycle: str, tags: str = '{ team = "x" }', versioning: str = "true") -> str:
    return (
        AWS
        + f'resource "aws_s3_bucket" "data" {{\n  bucket = "acme-data"\n  versioning = {versioning}\n'
        + f"  tags = {tags}\n  lifecycle {{\n{lifecycle}\n  }}\n}}\n"
    )


def _resources(tmp_path: Path, text: str) -> list:
    write_mesh(tmp_path, {"main.hcl": text})
    return compile_resources(load(tmp_path, LoadOptions(env={})).mesh, ("arn:aws:iam::123456789012:role/deployer",))


@pytest.mark.parametrize(
    "written, names",
    [
        ("    ignore_changes = [tags]", ("tags",)),
        ('    ignore_changes = ["tags", versioning]', ("tags", "versioning")),
        ("    ignore_changes = []", ()),
        ("    prevent_destroy = true", ()),
    ],
)
def test_ignore_changes_is_read_as_attribute_names(tmp_path: Path, written: str, names: tuple) -> None:
    (bucket,) = _resources(tmp_path, _bucket(written))
    assert bucket.ignore_changes == names


def test_ignore_changes_all_names_every_attribute(tmp_path: Path) -> None:
    (bucket,) = _resources(tmp_path, _bucket("    ignore_changes = all"))
    assert set(bucket.ignore_changes) >= {"bucket", "tags", "versioning", "policy"}
    assert "domain" not in bucket.ignore_changes


@pytest.mark.parametrize(
    "written, phrase",
    [
        ("    ignore_changes = [tagz]", "main.hcl:10: error: ignore_changes names 'tagz', which aws_s3_bucket has not"),
        ("    ignore_changes = [all, tags]", "main.hcl:10: error: ignore_changes = all stands alone"),
        ('    ignore_changes = "tags"', "main.hcl:10: error: wrong type for 'ignore_changes'"),
        ("    ignore_changes = [lower(tags)]", "main.hcl:10: error:"),
    ],
)
def test_misused_ignore_changes_is_an_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, written: str, phrase: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as exc:
        _resources(tmp_path, _bucket(written))
    assert phrase in exc.value.format(), exc.value.format()


def _recorded(resource, **attributes: object) -> State:
    state = State(lineage="l", serial=1)
    attrs = {**resource.attributes, **attributes}
    state.resources[resource.address] = ResourceState(resource.type, resource.name, attrs, resource.source)
    return state


def test_an_ignored_attribute_changed_in_the_configuration_or_live_is_no_change(tmp_path: Path) -> None:
    (before,) = _resources(tmp_path, _bucket(""))
    (now,) = _resources(tmp_path, _bucket("    ignore_changes = [tags]", tags='{ team = "y" }'))
    live = {now.address: {**before.attributes, "tags": {"team": "changed-by-hand"}}}
    plan = diff([now], _recorded(before), live)
    assert [c.actions for c in plan.changes] == [("no-op",)]
    assert plan.changes[0].after is not None and plan.changes[0].after["tags"] == {"team": "changed-by-hand"}


def test_other_attributes_still_update_and_creation_sets_the_ignored_ones(tmp_path: Path) -> None:
    (before,) = _resources(tmp_path, _bucket(""))
    (now,) = _resources(tmp_path, _bucket("    ignore_changes = [tags]", tags='{ team = "y" }', versioning="false"))
    live = {now.address: dict(before.attributes)}
    (change,) = diff([now], _recorded(before), live).changes
    assert change.actions == ("update",)
    assert change.after is not None and change.after["versioning"] is False and change.after["tags"] == {"team": "x"}
    (created,) = diff([now], State(), {}).changes
    assert created.actions == ("create",) and created.after is not None and created.after["tags"] == {"team": "y"}


def test_without_ignore_changes_the_same_drift_is_an_update(tmp_path: Path) -> None:
    (before,) = _resources(tmp_path, _bucket(""))
    live = {before.address: {**before.attributes, "tags": {"team": "changed-by-hand"}}}
    (change,) = diff([before], _recorded(before), live).changes
    assert change.actions == ("update",)
