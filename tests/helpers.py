"""Small helpers shared by the test layers (no I/O beyond temporary files)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_mesh(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return directory


MINIMAL = """
domain "commerce" {
  owners { accountable = "lead@acme.example" }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "sales@acme.example" }
}
domain "analytics" {
  owners { accountable = "data@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
  topic {
    partitions = 3
    config     = { "retention.ms" = "86400000" }
  }
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
"""
