"""The shared readers of user files and the `--target` check: pure, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from meshctl.credentials import LocalCredentialStore
from meshctl.documents import BadDocumentError, JsonValue, atomic_write, decode_text, parse_json
from meshctl.errors import MeshError
from meshctl.plan.scope import unmatched_targets
from meshctl.resources import Resource
from meshctl.state_model import State


def test_the_line_of_the_first_bad_byte_is_named() -> None:
    with pytest.raises(BadDocumentError) as err:
        decode_text(b"a\nb\nc\xff\nd\xfe", "f.hcl")
    assert (err.value.line, str(err.value)) == (3, "f.hcl:3: not UTF-8 text: byte 0xff cannot be decoded")


def test_a_nul_byte_is_not_text() -> None:
    with pytest.raises(BadDocumentError, match=r"f.hcl:2: not a text file: it contains a NUL byte"):
        decode_text(b"x = 1\ny = \0", "f.hcl")


def test_a_byte_order_mark_is_dropped() -> None:
    assert decode_text("\ufeffx = 1".encode(), "f.hcl") == "x = 1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{\n  1", "f.json:2: not valid JSON"), ("[" * 50_000, "f.json: JSON nested too deeply to read")],
)
def test_json_that_cannot_be_read(text: str, expected: str) -> None:
    with pytest.raises(BadDocumentError, match=expected.replace("(", r"\(")):
        parse_json(text, "f.json")


def test_members_are_checked_by_type_and_named_by_path() -> None:
    doc = JsonValue({"items": [{"n": 1}, {"n": True}], "s": "x"}, "f.json")
    assert [i.get("n", int) for i in list(doc.items("items"))[:1]] == [1]
    with pytest.raises(BadDocumentError, match=r"items\[1\]\.n should be a whole number, not true or false"):
        [i.get("n", int) for i in doc.items("items")]
    with pytest.raises(BadDocumentError, match="missing is missing"):
        doc.get("missing", str)
    assert doc.get("missing", str, "default") == "default"
    assert doc.optional("s", str) == "x" and doc.optional("none", dict) is None


def test_a_target_that_matches_nothing_gets_the_closest_address() -> None:
    topic = Resource("kafka_topic", "sales.orders.v1", {}, "data_product.sales.orders.v1")
    found = unmatched_targets(
        [topic], State(), ("data_product.sales.order", "kafka_topic", "data_product.sales", "zzz")
    )
    assert found == [("data_product.sales.order", "data_product.sales.orders.v1"), ("zzz", "")]


def test_a_write_that_cannot_happen_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(MeshError, match=r"cannot write .*afile/state\.json"):
        atomic_write(tmp_path / "afile" / "state.json", "{}")


def test_a_damaged_credentials_file_is_named_without_quoting_it(tmp_path: Path) -> None:
    (tmp_path / "sales.properties").write_bytes(b"sasl.mechanism=SCRAM-SHA-512\nsasl.password=s3cr\xe9t\n")
    with pytest.raises(MeshError) as err:
        LocalCredentialStore(tmp_path).get("sales")
    assert str(err.value) == f"the credentials file {tmp_path / 'sales.properties'} is damaged (line 2 is not text)"
