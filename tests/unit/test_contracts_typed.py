"""A product's `sla {}` and `delivery {}` are typed: every value is checked, with its unit, and a
mistake is one `file:line: error:` naming the key; what was written is kept for display."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.config.loader import LoadOptions, load
from meshctl.errors import ConfigError
from meshctl.mesh.contracts import Delivery, Duration, Percent, Sla
from meshctl.mesh.model import DataProduct
from tests.helpers import write_mesh

HEAD = """domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
"""
FIRST_LINE = HEAD.count("\n") + 2  # the line of the first key inside the block


def _product(tmp_path: Path, body: str, after: str = "") -> DataProduct:
    write_mesh(tmp_path, {"main.hcl": HEAD + body + "}\n" + after})
    (product,) = load(tmp_path, LoadOptions(env={})).mesh.products
    return product


def _error(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _product(tmp_path, body)
    return exc.value.format()


def test_the_sla_is_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    p = _product(tmp_path, '  sla {\n    max_lag = 1000\n    freshness = "1h30m"\n    availability = "99.95%"\n  }\n')
    assert p.sla == Sla(
        Duration(5_400_000, "1h30m"), Percent(99.95, "99.95%"), 1000, ("max_lag", "freshness", "availability")
    )
    assert p.sla.freshness is not None and p.sla.freshness.seconds == 5400.0
    # What was written, in the order written: client configs and the module view show this.
    assert p.sla.written() == {"max_lag": "1000", "freshness": "1h30m", "availability": "99.95%"}
    assert list(p.sla.written()) == ["max_lag", "freshness", "availability"]


def test_the_delivery_is_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = (
        '  delivery {\n    ordering = "per_key"\n    duplicates = "not_tolerated"\n'
        '    out_of_order_window = "0s"\n  }\n'
    )
    # Promising no duplicates is off the happy path: it needs a justified exception (mesh.exceptions).
    justified = (
        'exception "exactly_once" {\n  rule = "delivery_contract"\n  target = "data_product.sales.orders.v1"\n'
        '  reason = "billing counts each order once"\n  expires = "2999-12-31"\n}\n'
    )
    p = _product(tmp_path, body, justified)
    assert p.delivery == Delivery(
        "not_tolerated", Duration(0, "0s"), "per_key", ("ordering", "duplicates", "out_of_order_window")
    )
    assert p.delivery.written() == {"ordering": "per_key", "duplicates": "not_tolerated", "out_of_order_window": "0s"}


def test_no_blocks_mean_no_promises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    p = _product(tmp_path, "")
    assert p.sla == Sla() and p.sla.empty and p.sla.written() == {}
    assert p.delivery == Delivery() and p.delivery.empty and p.delivery.written() == {}


def test_a_whole_number_written_as_a_string_or_float_is_a_max_lag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _product(tmp_path, '  sla {\n    max_lag = "25"\n  }\n').sla.max_lag == 25
    assert _product(tmp_path, "  sla {\n    max_lag = 0\n  }\n").sla.max_lag == 0
    assert _product(tmp_path, "  sla {\n    max_lag = 10.0\n  }\n").sla.max_lag == 10


@pytest.mark.parametrize(
    ("block", "line", "expected"),
    [
        # unknown keys: the hint lists the known ones
        ('sla {\n    latency = "5m"\n  }', 0, "unknown attribute 'latency' in sla"),
        ('sla {\n    freshnes = "5m"\n  }', 0, "did you mean 'freshness'? (known: freshness, availability, max_lag)"),
        ('sla {\n    latency = "5m"\n  }', 0, "allowed here: availability, freshness, max_lag"),
        ('delivery {\n    exactly_once = "yes"\n  }', 0, "allowed here: duplicates, ordering, out_of_order_window"),
        (
            'delivery {\n    duplicate = "tolerated"\n  }',
            0,
            "did you mean 'duplicates'? (known: duplicates, out_of_order_window, ordering)",
        ),
        # freshness: a duration with a unit, more than 0
        ('sla {\n    freshness = "5x"\n  }', 0, "error: invalid sla.freshness"),
        ('sla {\n    freshness = "-5m"\n  }', 0, "is negative"),
        ('sla {\n    freshness = "0s"\n  }', 0, "error: sla.freshness must be more than 0s"),
        ('sla {\n    freshness = "300"\n  }', 0, "error: invalid sla.freshness: a duration needs a unit"),
        ('sla {\n    freshness = "300"\n  }', 0, 'hint: write e.g. "300s", "300ms" or "300m"'),
        ("sla {\n    freshness = 300\n  }", 0, "error: invalid sla.freshness: a duration needs a unit"),
        ('sla {\n    freshness = ["5m"]\n  }', 0, "error: wrong type for 'freshness' in sla: got a list"),
        # availability: a percentage with its % sign, 0 < x <= 100
        ('sla {\n    availability = "99.9"\n  }', 0, "error: invalid sla.availability: not a percentage"),
        ("sla {\n    availability = 99.9\n  }", 0, "error: invalid sla.availability: not a percentage"),
        ('sla {\n    availability = "high"\n  }', 0, "error: invalid sla.availability: not a percentage"),
        ('sla {\n    availability = "0%"\n  }', 0, "error: sla.availability must be more than 0% and at most 100%"),
        ('sla {\n    availability = "100.1%"\n  }', 0, "error: sla.availability must be more than 0% and at most 100%"),
        ('sla {\n    availability = "-1%"\n  }', 0, "error: invalid sla.availability: not a percentage"),
        # max_lag: a whole number of records, 0 or more
        ("sla {\n    max_lag = -1\n  }", 0, "error: sla.max_lag must be a whole number of records, 0 or more"),
        ("sla {\n    max_lag = 1.5\n  }", 0, "error: sla.max_lag must be a whole number of records, 0 or more"),
        ('sla {\n    max_lag = "lots"\n  }', 0, "error: wrong type for 'max_lag' in sla: got string 'lots'"),
        ("sla {\n    max_lag = true\n  }", 0, "error: wrong type for 'max_lag' in sla: got bool true"),
        # delivery
        (
            'delivery {\n    duplicates = "banana"\n  }',
            0,
            "error: delivery.duplicates must be one of tolerated, not_tolerated",
        ),
        ('delivery {\n    duplicates = "banana"\n  }', 0, "got 'banana'"),
        ('delivery {\n    ordering = "global"\n  }', 0, "error: delivery.ordering must be one of per_key, none"),
        ('delivery {\n    out_of_order_window = "soon"\n  }', 0, "error: invalid delivery.out_of_order_window"),
        (
            'delivery {\n    out_of_order_window = "30"\n  }',
            0,
            "error: invalid delivery.out_of_order_window: a duration needs a unit",
        ),
        # the line is the key's, not the block's
        ('sla {\n    freshness = "5m"\n    max_lag = -3\n  }', 1, "error: sla.max_lag must be"),
    ],
)
def test_each_mistake_is_one_error_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: str, line: int, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    message = _error(tmp_path, f"  {block}\n")
    assert f"main.hcl:{FIRST_LINE + line}: error: " in message, message
    assert expected in message, message
    assert len([m for m in message.splitlines() if ": error: " in m]) == 1, message


def test_every_mistake_of_a_block_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    body = '  sla {\n    freshness = "5x"\n    availability = "101%"\n    max_lag = -1\n  }\n'
    message = _error(tmp_path, body)
    for offset, key in enumerate(("freshness", "availability", "max_lag")):
        assert f"main.hcl:{FIRST_LINE + offset}: error: " in message and f"sla.{key}" in message, message
