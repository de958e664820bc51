"""The mesh the integration tests apply, named under a unique prefix per test."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import write_mesh


def mesh_files(
    p: str,
    *,
    orders_partitions: int = 3,
    orders_retention: str = "86400000",
    grant_analytics: bool = True,
    with_refunds: bool = True,
) -> dict[str, str]:
    grant = (
        f'''
access "analytics_orders" {{
  product  = "{p}sales.orders"
  consumer = "{p}analytics"
}}
'''
        if grant_analytics
        else ""
    )
    refunds = (
        f'''
data_product "refunds" {{
  domain = "{p}sales"
  topic {{
    partitions = 1
  }}
}}
'''
        if with_refunds
        else ""
    )
    return {
        "main.hcl": f'''
kafka {{
  request_timeout = "20s"
}}

domain "{p}commerce" {{
  owners {{ accountable = "lead@acme.example" }}
  policy {{ max_retention = "30d" }}
}}

domain "{p}sales" {{
  parent = "{p}commerce"
  owners {{ accountable = "sales@acme.example" }}
}}

domain "{p}analytics" {{
  owners {{ accountable = "data@acme.example" }}
}}

domain "{p}marketing" {{
  owners {{ accountable = "mkt@acme.example" }}
}}

data_product "orders" {{
  domain  = "{p}sales"
  version = 1
  topic {{
    partitions = {orders_partitions}
    config     = {{ "retention.ms" = "{orders_retention}" }}
  }}
}}

data_product "customers" {{
  domain = "{p}sales"
  kind   = "fat_object"
}}
{refunds}
access "marketing_customers" {{
  product  = "{p}sales.customers"
  consumer = "{p}marketing"
}}
{grant}''',
    }


def write(directory: Path, p: str, **kwargs: object) -> Path:
    return write_mesh(directory, mesh_files(p, **kwargs))  # type: ignore[arg-type]
