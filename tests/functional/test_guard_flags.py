"""The CLI side of the delete guards without servers: moved blocks checked by validate with
file:line errors, prevent_destroy type-checked, the --allow-delete flag's values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import write_mesh

BASE = """
domain "sales" {
  owners { accountable = "s@acme.example" }
}
resource "aws_s3_bucket" "data" {
  bucket = "acme-sales-data"
  lifecycle { prevent_destroy = true }
}
"""

BAD_MOVES = {
    "to not declared": (
        "moved {\n  from = aws_s3_bucket.old\n  to   = aws_s3_bucket.nope\n}\n",
        "is not in the configuration",
    ),
    "from still declared": (
        "moved {\n  from = aws_s3_bucket.data\n  to   = aws_s3_bucket.x\n}\n",
        "is still in the configuration",
    ),
    "type change": ("moved {\n  from = aws_iam_role.data\n  to   = aws_s3_bucket.data\n}\n", "not the same kind"),
    "not an address": (
        'moved {\n  from = lower("x")\n  to   = aws_s3_bucket.data\n}\n',
        "must be a resource or module",
    ),
    "labels": ('moved "x" {\n  from = aws_s3_bucket.a\n  to   = aws_s3_bucket.data\n}\n', "takes no labels"),
    "unknown attribute": (
        "moved {\n  from = aws_s3_bucket.a\n  to   = aws_s3_bucket.data\n  why = 1\n}\n",
        "unknown attribute 'why'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MOVES))
def test_bad_moved_blocks_are_configuration_errors_with_their_line(mesh_dir: Path, case: str) -> None:
    block, phrase = BAD_MOVES[case]
    write_mesh(mesh_dir, {"main.hcl": BASE, "moves.hcl": block})
    result = run("validate", ".")
    assert result.exit_code == 1
    assert phrase in result.stderr and "moves.hcl:" in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_a_good_moved_block_validates(mesh_dir: Path) -> None:
    write_mesh(
        mesh_dir,
        {"main.hcl": BASE, "moves.hcl": "moved {\n  from = aws_s3_bucket.old\n  to   = aws_s3_bucket.data\n}\n"},
    )
    assert run("validate", ".").exit_code == 0


def test_prevent_destroy_must_be_a_bool(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": BASE.replace("prevent_destroy = true", 'prevent_destroy = "yes"')})
    result = run("validate", ".")
    assert result.exit_code == 1 and "main.hcl:6: error: wrong type for 'prevent_destroy'" in result.stderr


def test_allow_delete_names_a_guarded_type_or_all(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": BASE})
    result = run("plan", "--allow-delete", "kafka_acl", ".")
    assert result.exit_code != 0 and "'kafka_acl' is not one of" in result.output
    assert "Traceback" not in result.output
    shown = run("plan", "--help").stdout
    assert "--allow-delete TYPE" in shown and "aws_secretsmanager_secret" in shown
