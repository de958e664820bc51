"""`meshctl fmt`: canonical layout that never changes meaning."""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from meshctl.config.fmt import format_hcl

ROOT = Path(__file__).parents[2]

MESSY = """\


domain   "sales" {
    parent="commerce"   # inline comment
  description = "a { brace in a string"
      owners {
  accountable = "a@acme.example"
    responsible=["b", "c"]
  }



  policy {
        max_retention = "7d"
  }
}
locals {
  text = <<EOT
   kept    as   is
EOT
  n=1
}
"""

TIDY = """\
domain "sales" {
  parent      = "commerce"   # inline comment
  description = "a { brace in a string"
  owners {
    accountable = "a@acme.example"
    responsible = ["b", "c"]
  }

  policy {
    max_retention = "7d"
  }
}
locals {
  text = <<EOT
   kept    as   is
EOT
  n = 1
}
"""


def test_formats_a_messy_file() -> None:
    assert format_hcl(MESSY) == TIDY


def test_maps_align_inside_and_attributes_around_them() -> None:
    text = 'a {\n  p = 1\n  config = {\n    "x" = 1\n    "longer.key" = 2\n  }\n}\n'
    assert format_hcl(text) == ('a {\n  p      = 1\n  config = {\n    "x"          = 1\n    "longer.key" = 2\n  }\n}\n')


SAMPLES = sorted([*ROOT.glob("examples/*.hcl"), *ROOT.glob("tests/corpus/malformed/*.hcl")])


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_idempotent_and_meaning_preserving(path: Path) -> None:
    text = path.read_text()
    once = format_hcl(text)
    assert format_hcl(once) == once
    try:
        before = hcl2.loads(text)
    except Exception:
        return  # a malformed sample: only idempotence is checked
    assert hcl2.loads(once) == before


def test_the_examples_are_formatted() -> None:
    for path in ROOT.glob("examples/*.hcl"):
        assert format_hcl(path.read_text()) == path.read_text(), f"run meshctl fmt on {path.name}"
