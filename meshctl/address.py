"""Resource addresses as values: parsed once, compared and ordered as parts, written one way.

    kafka_topic.commerce.orders.v1
    kafka_acl.sales/topic/commerce.sales.orders.v1
    module.baseline["sales"].aws_s3_bucket.data
    aws_s3_bucket.logs["eu"]

The text form, which `str` writes and `parse` reads (they round-trip):

    address = module* TYPE "." NAME key?        module = "module." IDENT key? "."
    key     = "[" '"' characters '"' "]"        (backslash escapes as in HCL and JSON)

TYPE and module names are identifiers (`[A-Za-z_][A-Za-z0-9_-]*`; a TYPE is never `module`).
NAME is everything after the type's dot: meshctl's names hold dots (topics), slashes and `*`
(ACLs), `@` and `:` (live ACLs), and whatever a registry subject holds. So a trailing `["KEY"]`
is an instance key only when what precedes it is an identifier, as a `for_each` block's name
is: `aws_s3_bucket.data["k"]` is `data` at key `k`, `kafka_acl.x/group/g["k"]` one whole name.

Pure; imports nothing of meshctl but its errors.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from meshctl.errors import MeshError

MODULE = "module"
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_REST = _IDENT_START | frozenset("0123456789-")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_WRITTEN = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}

Step = tuple[str, str | None]  # a module call's name and its instance key (None: no for_each)


class AddressError(MeshError, ValueError):
    """Text that is not an address; the message quotes it and says what is wrong."""


def is_identifier(text: str) -> bool:
    """What a module name, a resource type and a keyed resource's name must be."""
    # str.isidentifier on ASCII is [A-Za-z_][A-Za-z0-9_]*; a `-` may follow the first character.
    return text.isascii() and text[:1] != "-" and text.replace("-", "_").isidentifier()


def outside_modules(source: str) -> str:
    """A block address without the modules that declared it: `module.a["k"].data_product.x.v1`
    -> `data_product.x.v1` (what kind of block made a resource, wherever it was declared)."""
    while source.startswith(MODULE + "."):
        rest = source[len(MODULE) + 1 :]
        i = 0
        while i < len(rest) and rest[i] in _IDENT_REST:
            i += 1
        if rest.startswith("[", i):
            read = _read_key(rest, i)
            if read is None:
                return source
            i = read[1]
        if not rest.startswith(".", i):
            return source
        source = rest[i + 1 :]
    return source


def format_key(key: str) -> str:
    """`["sales"]`: an instance key as an address writes it."""
    out = []
    for c in key:
        if c in _WRITTEN:
            out.append(_WRITTEN[c])
        elif c < " " or c == "\x7f":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '["' + "".join(out) + '"]'


def _read_key(text: str, at: int) -> tuple[str, int] | None:
    """The key written at `text[at]` (a `[`) and the position after its `]`; None if there is none."""
    if not text.startswith('["', at):
        return None
    out: list[str] = []
    i = at + 2
    while i < len(text):
        c = text[i]
        if c == '"':
            return ("".join(out), i + 2) if text.startswith('"]', i) else None
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = text[i + 1 : i + 2]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
            continue
        width = {"u": 4, "U": 8}.get(e, 0)
        digits = text[i + 2 : i + 2 + width]
        if not width or len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
            return None
        code = int(digits, 16)
        i += 2 + width
        low = text[i + 2 : i + 6] if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i) else ""
        if len(low) == 4 and all(d in "0123456789abcdefABCDEF" for d in low) and 0xDC00 <= int(low, 16) < 0xE000:
            code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)  # a JSON surrogate pair
            i += 6
        if code > 0x10FFFF:
            return None
        out.append(chr(code))
    return None


def _split_label(label: str) -> tuple[str, str | None]:
    """`data["k"]` -> ("data", "k"); any other label is a whole name."""
    if label.endswith('"]'):
        at = label.find("[")
        if at > 0 and is_identifier(label[:at]):
            read = _read_key(label, at)
            if read is not None and read[1] == len(label):
                return label[:at], read[0]
    return label, None


def _step_key(step: Step) -> tuple[str, tuple[int, str]]:
    name, key = step
    return name, (0, "") if key is None else (1, key)


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class ModuleAddress:
    """A module instance: `module.a["k"].module.b`; the root module has no steps (and is "")."""

    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        for name, key in self.steps:
            if not is_identifier(name):
                raise ValueError(f"a module name must be an identifier, not {name!r}")
            if key is not None and not isinstance(key, str):
                raise ValueError(f"a module instance key is a string, not {key!r}")

    @staticmethod
    def parse(text: str) -> ModuleAddress:
        """`module.a["k"]`, `module.a.module.b`; "" is the root module."""
        return _parse_module(text)

    def __str__(self) -> str:
        return ".".join(f"{MODULE}.{name}" + ("" if key is None else format_key(key)) for name, key in self.steps)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ModuleAddress):
            return NotImplemented
        return tuple(map(_step_key, self.steps)) < tuple(map(_step_key, other.steps))

    @property
    def is_root(self) -> bool:
        return not self.steps

    def child(self, name: str, key: str | None = None) -> ModuleAddress:
        """The instance `module.NAME` (or `module.NAME["KEY"]`) called from this one."""
        return ModuleAddress((*self.steps, (name, key)))

    def contains(self, other: ModuleAddress) -> bool:
        """This instance is `other` or one of its ancestors."""
        return other.steps[: len(self.steps)] == self.steps

    def output(self, name: str) -> str:
        """`module.a.connector_config`: how `meshctl output --name` names one of its outputs."""
        return f"{self}.{name}"


ROOT = ModuleAddress()


@functools.lru_cache(maxsize=4096)
def _parse_module(text: str) -> ModuleAddress:
    if not text:
        return ROOT
    what = 'a module address (module.NAME or module.NAME["KEY"])'
    parsed = _parse(text, what)
    if not isinstance(parsed, ModuleAddress):
        raise AddressError(
            f"{text!r} is not {what}: it names a resource" + ("" if isinstance(parsed, Address) else " type")
        )
    return parsed


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Address:
    """A resource instance: `TYPE.NAME`, at `["KEY"]` when a `for_each` made it, inside `module`."""

    type: str
    name: str
    key: str | None = None
    module: ModuleAddress = field(default=ROOT)

    def __post_init__(self) -> None:
        if not is_identifier(self.type) or self.type == MODULE:
            raise ValueError(f"a resource type must be an identifier other than {MODULE!r}, not {self.type!r}")
        if not self.name:
            raise ValueError(f"a resource needs a name: {self.type}.NAME")
        if self.key is not None and not is_identifier(self.name):
            raise ValueError(f"only a name that is an identifier takes an instance key, not {self.name!r}")
        if self.key is None and self.name.endswith('"]') and _split_label(self.name)[1] is not None:
            raise ValueError(f"{self.name!r} reads as a name and a key: give them apart (or use Address.of)")

    @staticmethod
    def parse(text: str) -> Address:
        """The address of a resource instance, as `str` writes it or a user types it."""
        what = "a resource address (TYPE.NAME)"
        parsed = _parse(text, what)
        if isinstance(parsed, ModuleAddress):
            raise AddressError(f"{text!r} is not {what}: it names a module")
        if isinstance(parsed, Target):
            raise AddressError(f"{text!r} is not {what}: no .NAME after {parsed.type}")
        return parsed

    @staticmethod
    def of(type_: str, label: str, module: str | ModuleAddress = ROOT) -> Address:
        """From the parts a resource records: its type, its name as its block's label reads
        (`data["k"]` for a `for_each` instance) and its module's address. Total for any
        non-empty name, so providers build live objects' addresses (any subject, user or
        group name) with it."""
        name, key = _split_label(label)
        return Address(type_, name, key, module if isinstance(module, ModuleAddress) else _parse_module(module))

    def __str__(self) -> str:
        return f"{self.module}.{self.type}.{self.label}" if self.module.steps else f"{self.type}.{self.label}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Address):
            return NotImplemented
        return self._order() < other._order()

    def _order(self) -> tuple[object, ...]:
        return (self.module, self.type, self.name, (0, "") if self.key is None else (1, self.key))

    @property
    def label(self) -> str:
        """The name with its instance key, as the resource's records keep it: `data["k"]`."""
        return self.name if self.key is None else self.name + format_key(self.key)

    @property
    def resource(self) -> Address:
        """The resource without its instance key: `aws_s3_bucket.data` of `aws_s3_bucket.data["k"]`."""
        return Address(self.type, self.name, None, self.module)

    @property
    def declared_by(self) -> str:
        """The `resource` block that declares it: `resource.TYPE.NAME`, after its module if any."""
        block = f"resource.{self.type}.{self.label}"
        return f"{self.module}.{block}" if self.module.steps else block

    def within(self, module: ModuleAddress) -> bool:
        """Declared in `module` or in a module below it."""
        return module.contains(self.module)

    def moved(self, old: ModuleAddress, new: ModuleAddress) -> Address:
        """The same resource after module `old` became `new` (it must be within `old`)."""
        if not self.within(old):
            raise ValueError(f"{self} is not in {old}")
        return Address(self.type, self.name, self.key, ModuleAddress(new.steps + self.module.steps[len(old.steps) :]))


def parse_address(text: str) -> Address | ModuleAddress:
    """A resource or a module address, as `moved` and `--target` take them."""
    parsed = _parse(text, "a resource or module address")
    if isinstance(parsed, Target):
        raise AddressError(f"{text!r} is not a resource or module address: {parsed.type} needs a .NAME")
    return parsed


@dataclass(frozen=True, slots=True)
class Target:
    """What `--target` names, as far as resource addresses go: a module (every instance of
    `module.a` when no key is given, and everything below it, as in Terraform), a resource
    type (`kafka_topic`, `module.a.aws_s3_bucket`), a resource (all of its instances when no
    key is given) or the start of resource names up to a `.` or `/` (`kafka_topic.sales`
    chooses `kafka_topic.sales.orders.v1`, `kafka_acl.sales` every ACL named after sales)."""

    module: ModuleAddress = ROOT
    type: str = ""
    name: str = ""
    key: str | None = None

    @staticmethod
    def parse(text: str) -> Target:
        parsed = _parse(text, "a target")
        if isinstance(parsed, ModuleAddress):
            return Target(parsed)
        if isinstance(parsed, Address):
            return Target(parsed.module, parsed.type, parsed.name, parsed.key)
        return parsed

    def chooses(self, address: Address) -> bool:
        steps = address.module.steps
        if len(steps) < len(self.module.steps) or (self.type and len(steps) != len(self.module.steps)):
            return False
        for (name, key), (their_name, their_key) in zip(self.module.steps, steps, strict=False):
            if name != their_name or key not in (None, their_key):
                return False
        if not self.type:
            return True
        if self.type != address.type:
            return False
        if not self.name:
            return True
        if self.key is not None:
            return (self.name, self.key) == (address.name, address.key)
        return address.name == self.name or address.name.startswith((self.name + ".", self.name + "/"))


def _parse(text: str, what: str) -> Address | ModuleAddress | Target:
    """Scan `text` once; a bare TYPE (a Target) is returned for the callers to refuse or accept."""

    def fail(problem: str) -> AddressError:
        return AddressError(f"{text!r} is not {what}: {problem}")

    def ident(at: int) -> tuple[str, int]:
        end = at
        while end < len(text) and (text[end] in _IDENT_REST if end > at else text[end] in _IDENT_START):
            end += 1
        return text[at:end], end

    if not isinstance(text, str) or not text:
        raise fail("it is empty")
    steps: list[Step] = []
    at = 0
    while text.startswith(MODULE + ".", at):
        name, at = ident(at + len(MODULE) + 1)
        if not name:
            raise fail(f"a module name (an identifier) must follow {MODULE}. at position {at + 1}")
        key = None
        if text.startswith("[", at):
            read = _read_key(text, at)
            if read is None:
                raise fail(f'module.{name}[ must be followed by a quoted key and ]: module.{name}["KEY"]')
            key, at = read
        steps.append((name, key))
        if at == len(text):
            return ModuleAddress(tuple(steps))
        if text[at] != ".":
            raise fail(f"{text[at]!r} after module.{name} at position {at + 1}; expected a dot")
        at += 1
    type_, at = ident(at)
    if not type_:
        raise fail("it starts with no resource type" if at == 0 else f"no resource type at position {at + 1}")
    if type_ == MODULE:
        raise fail(f'{MODULE} needs a name: {MODULE}.NAME or {MODULE}.NAME["KEY"]')
    module = ModuleAddress(tuple(steps))
    if at == len(text):
        return Target(module, type_)
    if text[at] != ".":
        raise fail(f"{text[at]!r} after {type_} at position {at + 1}; expected TYPE.NAME")
    if at + 1 == len(text):
        raise fail(f"no name after {type_}.")
    name, key = _split_label(text[at + 1 :])
    return Address(type_, name, key, module)


@functools.lru_cache(maxsize=1 << 17)
def recorded(type_: str, label: str, module: str) -> tuple[Address, str]:
    """`Address.of(type_, label, module)` and its text, made once per process: a plan makes
    the address of every resource twice (as configured, as state recorded it), 25,804 each
    at 10,000 products. Raises ValueError as Address.of does (an error is not remembered)."""
    addr = Address.of(type_, label, module)
    return addr, str(addr)
