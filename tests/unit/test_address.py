"""Addresses: `str` and `parse` round-trip for any address, including awkward names and keys;
the forms users write parse to what they mean; bad text is refused saying why."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from meshctl.address import (
    ROOT,
    Address,
    AddressError,
    ModuleAddress,
    Target,
    format_key,
    is_identifier,
    parse_address,
)

AWKWARD = ".\"'\\/[]*@:{}$%#=+- \t\n\x00\x7féü中😀\u2028"
identifiers = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,12}\Z")
types = identifiers.filter(lambda t: t != "module")
awkward_text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(AWKWARD), max_size=16)
keys = awkward_text | st.sampled_from(["", '"', '"]', '["x"]', "\\", "\\u0041", "a.b", "*", "@h"])
names = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(AWKWARD), min_size=1, max_size=24) | (
    st.sampled_from(
        [
            "commerce.sales.orders.v1",
            "sales/topic/commerce.sales.orders.v1",
            "sales/group/grp.sales.*",
            "_:Group:ops/group/g@10.0.0.5",
            'x/group/g["k"]',
            'data["k"',
            "module.x",
            "a[",
            "]",
        ]
    )
)
modules = st.lists(st.tuples(identifiers, st.none() | keys), max_size=3).map(lambda s: ModuleAddress(tuple(s)))


@st.composite
def addresses(draw: st.DrawFn) -> Address:
    module, type_ = draw(modules), draw(types)
    if draw(st.booleans()):
        return Address(type_, draw(identifiers), draw(keys), module)
    name = draw(names)
    try:
        return Address(type_, name, None, module)
    except ValueError:
        # The one name a keyless address refuses: IDENT["KEY"] reads as a name and a key.
        assert Address.of(type_, name).key is not None
        assume(False)
        raise


@settings(deadline=None)  # a shared machine may be slow; the property is what counts
@given(addresses())
@example(Address("aws_s3_bucket", "data", '"]["', ModuleAddress((("a", '\\"'),))))
@example(Address("kafka_acl", 'x/group/g["k"]'))
@example(Address("schema_subject", "s", "\ud83d"))
def test_parse_reads_back_what_str_writes(address: Address) -> None:
    text = str(address)
    assert Address.parse(text) == address
    assert parse_address(text) == address
    assert str(Address.parse(text)) == text
    assert Address.of(address.type, address.label, str(address.module)) == address
    assert Target.parse(text).chooses(address)


@settings(deadline=None)
@given(modules)
def test_module_addresses_round_trip(module: ModuleAddress) -> None:
    assert ModuleAddress.parse(str(module)) == module
    if module.steps:
        assert parse_address(str(module)) == module
        assert Target.parse(str(module)).chooses(Address("t", "n", None, module))


@settings(deadline=None)
@given(addresses(), addresses())
def test_the_order_is_total_and_agrees_with_equality(a: Address, b: Address) -> None:
    assert [a < b, a == b, b < a].count(True) == 1
    assert (a <= b) == (a < b or a == b) and sorted([a, b]) == sorted([b, a])


@settings(deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"\\'), max_size=20))
def test_keys_are_written_as_before_unless_they_need_escaping(key: str) -> None:
    """`module.NAME["KEY"]` and `NAME["KEY"]` were written raw: the same bytes for such keys."""
    assume(all(c >= " " and c != "\x7f" for c in key))
    assert format_key(key) == f'["{key}"]'
    assert str(Address("aws_s3_bucket", "data", key, ModuleAddress((("b", key),)))) == (
        f'module.b["{key}"].aws_s3_bucket.data["{key}"]'
    )


USER_WRITTEN = {
    "kafka_topic.commerce.sales.orders.v1": Address("kafka_topic", "commerce.sales.orders.v1"),
    "kafka_acl.sales/topic/commerce.orders.v1": Address("kafka_acl", "sales/topic/commerce.orders.v1"),
    "kafka_acl.sales/group/grp.sales.*": Address("kafka_acl", "sales/group/grp.sales.*"),
    "kafka_acl.User:x/topic/t": Address("kafka_acl", "User:x/topic/t"),
    "kafka_acl._:Group:ops/group/g@10.0.0.5": Address("kafka_acl", "_:Group:ops/group/g@10.0.0.5"),
    "kafka_scram_user.sales-snowflake": Address("kafka_scram_user", "sales-snowflake"),
    "schema_subject.commerce.orders.v1-value": Address("schema_subject", "commerce.orders.v1-value"),
    "aws_s3_bucket.data": Address("aws_s3_bucket", "data"),
    'aws_s3_bucket.data["eu-west-1"]': Address("aws_s3_bucket", "data", "eu-west-1"),
    'aws_s3_bucket.data["a.b"]': Address("aws_s3_bucket", "data", "a.b"),
    'aws_s3_bucket.data[""]': Address("aws_s3_bucket", "data", ""),
    'aws_s3_bucket.data["say \\"hi\\""]': Address("aws_s3_bucket", "data", 'say "hi"'),
    'aws_s3_bucket.data["\\u00e9\\ud83d\\ude00"]': Address("aws_s3_bucket", "data", "é😀"),
    "module.a.aws_iam_role.reader": Address("aws_iam_role", "reader", None, ModuleAddress((("a", None),))),
    'module.baseline["sales"].aws_s3_bucket.data': Address(
        "aws_s3_bucket", "data", None, ModuleAddress((("baseline", "sales"),))
    ),
    'module.a["k"].module.b.aws_s3_bucket.x["y"]': Address(
        "aws_s3_bucket", "x", "y", ModuleAddress((("a", "k"), ("b", None)))
    ),
    "module.integration_lake.aws_iam_role.lake": Address(
        "aws_iam_role", "lake", None, ModuleAddress((("integration_lake", None),))
    ),
    "kafka_topic.module.x": Address("kafka_topic", "module.x"),  # a name may start like a module
    'kafka_acl.x/group/g["k"]': Address("kafka_acl", 'x/group/g["k"]'),  # not an identifier: no key
    'aws_s3_bucket.data["k"': Address("aws_s3_bucket", 'data["k"'),  # no closing ]: all name
    "module.a": ModuleAddress((("a", None),)),
    'module.a["k"].module.b': ModuleAddress((("a", "k"), ("b", None))),
}


@pytest.mark.parametrize("text", sorted(USER_WRITTEN))
def test_what_users_write_parses_to_what_they_mean(text: str) -> None:
    assert parse_address(text) == USER_WRITTEN[text]


def test_canonical_text_is_what_meshctl_always_wrote() -> None:
    for text, address in USER_WRITTEN.items():
        if "\\" not in text:
            assert str(address) == text


BAD = {
    "": "it is empty",
    "orders": "no .NAME after orders",
    "kafka_topic.": "no name after kafka_topic.",
    ".x": "it starts with no resource type",
    "module": 'module needs a name: module.NAME or module.NAME["KEY"]',
    "module.": "a module name (an identifier) must follow module. at position 8",
    "module.1a.t.n": "a module name (an identifier) must follow module. at position 8",
    "module.a[x].t.n": 'module.a[ must be followed by a quoted key and ]: module.a["KEY"]',
    'module.a["k].t.n': 'module.a[ must be followed by a quoted key and ]: module.a["KEY"]',
    'module.a["\\q"].t.n': 'module.a[ must be followed by a quoted key and ]: module.a["KEY"]',
    "module.a:t.n": "':' after module.a at position 9; expected a dot",
    "kafka topic.x": "' ' after kafka at position 6; expected TYPE.NAME",
    "module.module.t": "no .NAME after t",  # `module.module` is a module named module
}


@pytest.mark.parametrize("text", sorted(BAD))
def test_bad_text_is_refused_saying_why(text: str) -> None:
    with pytest.raises(AddressError) as err:
        Address.parse(text)
    assert str(err.value) == f"{text!r} is not a resource address (TYPE.NAME): {BAD[text]}"


def test_each_parser_refuses_the_other_kind() -> None:
    with pytest.raises(AddressError, match="'module.a' is not a resource address \\(TYPE.NAME\\): it names a module"):
        Address.parse("module.a")
    with pytest.raises(AddressError, match="it names a resource$"):
        ModuleAddress.parse("module.a.t.n")
    with pytest.raises(AddressError, match="it names a resource type$"):
        ModuleAddress.parse("t")
    with pytest.raises(AddressError, match="'t' is not a resource or module address: t needs a .NAME"):
        parse_address("t")
    assert ModuleAddress.parse("") == ROOT and str(ROOT) == "" and ROOT.is_root
    assert isinstance(AddressError("x"), ValueError)  # code that caught ValueError still does


@pytest.mark.parametrize(
    "args, problem",
    [
        (("module", "x"), "a resource type must be an identifier"),
        (("a.b", "x"), "a resource type must be an identifier"),
        (("t", ""), "a resource needs a name: t.NAME"),
        (("t", "a.b", "k"), "only a name that is an identifier takes an instance key"),
        (("t", 'data["k"]'), "reads as a name and a key"),
    ],
)
def test_an_address_that_would_not_read_back_cannot_be_made(args: tuple[str, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Address(*args)


def test_a_module_name_must_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="a module name must be an identifier, not 'a.b'"):
        ModuleAddress((("a.b", None),))
    assert is_identifier("integration_lake") and is_identifier("a-b") and not is_identifier("1a")


def test_labels_split_into_name_and_key_only_after_an_identifier() -> None:
    assert Address.of("aws_s3_bucket", 'data["k"]', 'module.b["x"]') == Address(
        "aws_s3_bucket", "data", "k", ModuleAddress((("b", "x"),))
    )
    assert Address.of("kafka_acl", 'u/group/g["k"]').name == 'u/group/g["k"]'
    assert Address.of("aws_s3_bucket", 'data["k"]').label == 'data["k"]'


def test_helpers_of_an_instance() -> None:
    a = Address.parse('module.a["k"].module.b.aws_s3_bucket.data["x"]')
    assert str(a.resource) == 'module.a["k"].module.b.aws_s3_bucket.data'
    assert a.declared_by == 'module.a["k"].module.b.resource.aws_s3_bucket.data["x"]'
    assert Address("aws_iam_role", "r").declared_by == "resource.aws_iam_role.r"
    assert a.within(ModuleAddress.parse('module.a["k"]')) and a.within(ROOT)
    assert not a.within(ModuleAddress.parse("module.a")) and not a.within(ModuleAddress.parse('module.a["k"].module.c'))
    moved = a.moved(ModuleAddress.parse('module.a["k"]'), ModuleAddress.parse("module.z"))
    assert str(moved) == 'module.z.module.b.aws_s3_bucket.data["x"]'
    with pytest.raises(ValueError, match="is not in module.q"):
        a.moved(ModuleAddress.parse("module.q"), ROOT)
    assert ModuleAddress.parse("module.a").child("b", "k").output("conf") == 'module.a.module.b["k"].conf'


def test_order_groups_modules_then_types_then_names_then_keys() -> None:
    texts = [
        'module.a["k"].aws_s3_bucket.x',
        "module.a.aws_s3_bucket.x",
        "kafka_topic.b",
        'aws_s3_bucket.x["b"]',
        "aws_s3_bucket.x",
        'aws_s3_bucket.x["a"]',
        "module.a.module.b.aws_s3_bucket.x",
    ]
    assert [str(a) for a in sorted(map(Address.parse, texts))] == [
        "aws_s3_bucket.x",
        'aws_s3_bucket.x["a"]',
        'aws_s3_bucket.x["b"]',
        "kafka_topic.b",
        "module.a.aws_s3_bucket.x",
        "module.a.module.b.aws_s3_bucket.x",
        'module.a["k"].aws_s3_bucket.x',
    ]


TARGETS = {
    # target: (chosen, not chosen)
    "kafka_topic": (["kafka_topic.a.t.v1", "kafka_topic.x"], ["kafka_acl.a/topic/x", "module.m.kafka_topic.x"]),
    "kafka_topic.a.t.v1": (["kafka_topic.a.t.v1"], ["kafka_topic.a.t.v10", "kafka_topic.a.t"]),
    "kafka_topic.a.t": (["kafka_topic.a.t", "kafka_topic.a.t.v1"], ["kafka_topic.a.tx", "kafka_topic.a"]),
    "kafka_acl.sales": (["kafka_acl.sales/topic/x", "kafka_acl.sales/group/grp.sales.*"], ["kafka_acl.salesx/t/x"]),
    "aws_s3_bucket.data": (['aws_s3_bucket.data["a"]', "aws_s3_bucket.data"], ['module.m.aws_s3_bucket.data["a"]']),
    'aws_s3_bucket.data["a"]': (['aws_s3_bucket.data["a"]'], ['aws_s3_bucket.data["b"]', "aws_s3_bucket.data"]),
    "module.m": (
        ["module.m.aws_s3_bucket.d", 'module.m["k"].aws_s3_bucket.d', 'module.m["k"].module.n.aws_iam_role.r'],
        ["module.mm.aws_s3_bucket.d", "aws_s3_bucket.d", "module.n.module.m.aws_s3_bucket.d"],
    ),
    'module.m["k"]': (['module.m["k"].aws_s3_bucket.d'], ['module.m["j"].aws_s3_bucket.d', "module.m.aws_s3_bucket.d"]),
    "module.m.aws_s3_bucket": (['module.m["k"].aws_s3_bucket.d'], ["module.m.aws_iam_role.d", "aws_s3_bucket.d"]),
    "module.m.aws_s3_bucket.d": (['module.m["k"].aws_s3_bucket.d'], ["module.m.module.n.aws_s3_bucket.d"]),
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_target_chooses_what_it_names_and_what_is_inside_it(target: str) -> None:
    chosen, not_chosen = TARGETS[target]
    parsed = Target.parse(target)
    assert [a for a in chosen if not parsed.chooses(Address.parse(a))] == []
    assert [a for a in not_chosen if parsed.chooses(Address.parse(a))] == []
