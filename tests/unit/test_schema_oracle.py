"""meshctl's per-change Avro rules against the `avro` library's reader/writer checker, over many schema pairs.

The library (a port of the Java checker the registry runs) gives the verdict; meshctl's rules explain it
change by change. Both must agree in both directions for every generated pair: a disagreement fails with
the pair, so a rule that flags a harmless change, or misses a breaking one, shows up here. Pure: seeded
random schemas, no I/O.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest

from meshctl.schemas import avro
from meshctl.schemas.diff import SchemaError, check_schema, diff_schemas, incompatible_changes

PAIRS = 1500
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
NUMERIC = ["int", "long", "float", "double"]
SYMBOLS = ["A", "B", "C", "D"]
PRIMITIVE_DEFAULTS: dict[str, Any] = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.5,
    "double": 0.5,
    "bytes": "",
    "string": "",
}


class Schemas:
    """Random Avro types and their mutations; named types get fresh names, so no two definitions clash."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.names = 0

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"

    def type(self, depth: int = 0) -> Any:
        choices = ["primitive"] * 4 + ["union", "enum", "fixed", "logical"]
        if depth < 2:
            choices += ["array", "map", "record"]
        match self.random.choice(choices):
            case "primitive":
                return self.random.choice(PRIMITIVES[1:])
            case "logical":
                return self.random.choice(
                    [{"type": "int", "logicalType": "date"}, {"type": "long", "logicalType": "timestamp-millis"}]
                )
            case "union":
                return self.union()
            case "enum":
                return self.enum()
            case "fixed":
                return {"type": "fixed", "name": self.name("F"), "size": self.random.choice([4, 8])}
            case "array":
                return {"type": "array", "items": self.type(depth + 1)}
            case "map":
                return {"type": "map", "values": self.type(depth + 1)}
            case _:
                return self.record(depth + 1)

    def union(self) -> list[Any]:
        first, second = self.random.sample(PRIMITIVES, 2)
        branches: list[Any] = [first, second]
        if self.random.random() < 0.3:
            branches.append(self.record(2))
        return branches

    def enum(self) -> dict[str, Any]:
        symbols = SYMBOLS[: self.random.randint(1, 3)]
        node: dict[str, Any] = {"type": "enum", "name": self.name("E"), "symbols": symbols}
        if self.random.random() < 0.4:
            node["default"] = self.random.choice(symbols)
        return node

    def record(self, depth: int) -> dict[str, Any]:
        fields = [self.field(f"f{index}", depth) for index in range(self.random.randint(1, 3))]
        return {"type": "record", "name": self.name("R"), "fields": fields}

    def field(self, name: str, depth: int) -> dict[str, Any]:
        node: dict[str, Any] = {"name": name, "type": self.type(depth)}
        if self.random.random() < 0.5:
            self.give_default(node)
        return node

    def give_default(self, field: dict[str, Any]) -> None:
        default = _default(field["type"])
        if default is not _NONE:
            field["default"] = default

    # -- mutations: each returns False when it does not apply to what it picked

    def mutate(self, record: dict[str, Any]) -> bool:
        fields = record["fields"]
        mutation = self.random.choice(
            [
                "add",
                "remove",
                "retype",
                "neighbour",
                "default",
                "alias",
                "rename",
                "nested",
                "enum",
                "fixed",
                "wrap",
                "rename type",
            ]
        )
        if mutation == "add" or not fields:
            fields.append(self.field(self.name("n"), 1))
            return True
        field = self.random.choice(fields)
        match mutation:
            case "remove":
                fields.remove(field)
            case "retype":
                field["type"] = self.type(1)
                field.pop("default", None)
                if self.random.random() < 0.5:
                    self.give_default(field)
            case "neighbour":
                return self.neighbour(field)
            case "default":
                if "default" in field:
                    del field["default"]
                else:
                    self.give_default(field)
            case "alias":
                old = field["name"]
                field["name"] = self.name("a")
                field["aliases"] = [old]
            case "rename":
                field["name"] = self.name("r")
            case "wrap":
                if isinstance(field["type"], list):
                    field["type"] = field["type"][self.random.randrange(len(field["type"]))]
                    field.pop("default", None)
                else:
                    field["type"] = ["null", field["type"]]
                    field["default"] = None
            case "nested":
                nested = _inner(field["type"], "record")
                return nested is not None and self.mutate(nested)
            case "enum":
                return self.mutate_enum(field)
            case "rename type":
                named = _inner(field["type"], self.random.choice(["record", "enum", "fixed"]))
                if named is None:
                    return False
                old = named["name"]
                named["name"] = self.name("T")
                if self.random.random() < 0.5:
                    named["aliases"] = [f"shop.{old}"]
            case _:
                fixed = _inner(field["type"], "fixed")
                if fixed is None:
                    return False
                fixed["size"] = 12 if fixed["size"] != 12 else 4
        return True

    def neighbour(self, field: dict[str, Any]) -> bool:
        """A small type change: another numeric type, string<->bytes, or a union branch added or removed."""
        t = field["type"]
        if isinstance(t, list):
            extra = [p for p in PRIMITIVES if p not in t]
            if len(t) > 1 and self.random.random() < 0.5:
                t.pop(self.random.randrange(1, len(t)))
            elif extra:
                t.append(self.random.choice(extra))
            return True
        if t in NUMERIC:
            field["type"] = self.random.choice([n for n in NUMERIC if n != t])
        elif t in ("string", "bytes"):
            field["type"] = "bytes" if t == "string" else "string"
        elif isinstance(t, dict) and t["type"] in ("array", "map"):
            key = "items" if t["type"] == "array" else "values"
            inner = {"type": t[key]}
            if not self.neighbour(inner):
                return False
            t[key] = inner["type"]
        else:
            return False
        field.pop("default", None)
        return True

    def mutate_enum(self, field: dict[str, Any]) -> bool:
        enum = _inner(field["type"], "enum")
        if enum is None:
            return False
        symbols = enum["symbols"]
        action = self.random.choice(["add", "remove", "default"])
        if action == "add" and len(symbols) < len(SYMBOLS):
            enum["symbols"] = [*symbols, SYMBOLS[len(symbols)]]
        elif action == "remove" and len(symbols) > 1:
            enum["symbols"] = symbols[:-1]
        elif "default" in enum:
            del enum["default"]
        else:
            enum["default"] = symbols[0]
        return True


_NONE = object()


def _default(t: Any) -> Any:
    """A default valid for `t` (a union's first branch), or _NONE."""
    if isinstance(t, str):
        return PRIMITIVE_DEFAULTS.get(t, _NONE)
    if isinstance(t, list):
        return _default(t[0])
    kind = t["type"]
    if kind in PRIMITIVE_DEFAULTS:
        return PRIMITIVE_DEFAULTS[kind]
    if kind == "enum":
        return t["symbols"][0]
    if kind == "fixed":
        return "x" * t["size"]
    if kind in ("array", "map"):
        return [] if kind == "array" else {}
    values = {f["name"]: _default(f["type"]) for f in t["fields"]}
    return _NONE if _NONE in values.values() else values


def _inner(t: Any, kind: str) -> dict[str, Any] | None:
    """The first `kind` type inside `t`, through unions, arrays and maps."""
    if isinstance(t, list):
        return next((found for branch in t if (found := _inner(branch, kind)) is not None), None)
    if not isinstance(t, dict):
        return None
    if t["type"] == kind:
        return t
    if t["type"] in ("array", "map"):
        return _inner(t["items" if t["type"] == "array" else "values"], kind)
    return None


def _pairs() -> list[tuple[str, str]]:
    schemas = Schemas(seed=9)
    pairs: list[tuple[str, str]] = []
    while len(pairs) < PAIRS:
        old = schemas.record(0)
        old.update(name="Order", namespace="shop")
        new = copy.deepcopy(old)
        if not any([schemas.mutate(new) for _ in range(schemas.random.randint(1, 3))]):
            continue
        old_text, new_text = json.dumps(old), json.dumps(new)
        try:
            check_schema("AVRO", old_text)
            check_schema("AVRO", new_text)
        except SchemaError:  # a mutation left a default that no longer fits: not a pair a user could register
            continue
        pairs.append((old_text, new_text))
    return pairs


PAIRS_UNDER_TEST = _pairs()


def _rules_break(changes: list, direction: str) -> bool:
    return any(avro.why_breaking(change, direction, changes) for change in changes)


def test_the_rules_agree_with_the_avro_library_on_every_pair() -> None:
    disagreements = []
    verdicts = {"compatible": 0, "incompatible": 0}
    for old, new in PAIRS_UNDER_TEST:
        changes = diff_schemas("AVRO", old, new)
        for direction, reader, writer in (("BACKWARD", new, old), ("FORWARD", old, new)):
            library = avro.unreadable(reader, writer)
            verdicts["compatible" if library is None else "incompatible"] += 1
            if _rules_break(changes, direction) != (library is not None):
                disagreements.append(f"{direction}: library says {library or 'readable'}\n  old {old}\n  new {new}")
    assert not disagreements, f"{len(disagreements)} disagreements, the first:\n" + "\n".join(disagreements[:3])
    # The generator must exercise both verdicts, or the agreement says little.
    assert min(verdicts.values()) > PAIRS // 4, verdicts


@pytest.mark.parametrize("level", ["BACKWARD", "FORWARD", "FULL"])
def test_incompatible_changes_explains_exactly_what_the_library_rejects(level: str) -> None:
    for old, new in PAIRS_UNDER_TEST[:300]:
        found = incompatible_changes("AVRO", {1: old}, new, level)
        directions = ["BACKWARD", "FORWARD"] if level == "FULL" else [level]
        rejected = [d for d in directions if avro.unreadable(*((new, old) if d == "BACKWARD" else (old, new)))]
        assert bool(found) == bool(rejected), (level, old, new)
        assert not any("says the Avro library" in b.rule for b in found), found  # the rules explained it
