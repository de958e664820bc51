"""Bad input that is not HCL syntax: binary files, deep nesting, state, plan and lock files
of the wrong shape, unwritable state. Each is exit 1 and one message naming the file (and the
line where it is known), never a traceback. HCL cases live in tests/corpus/malformed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from meshctl import __version__
from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

LATIN1 = "caf\xe9".encode("latin-1")  # a byte that is never valid UTF-8 here


def _refused(result, *expected: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    for text in expected:
        assert text in result.stderr, result.stderr


@pytest.fixture
def mesh(mesh_dir: Path) -> Path:
    return write_mesh(mesh_dir, {"main.hcl": MINIMAL})


# -- files that are not UTF-8 ------------------------------------------------------------


def test_a_binary_hcl_file_names_the_line_of_the_first_bad_byte(mesh: Path) -> None:
    (mesh / "extra.hcl").write_bytes(
        b'domain "x" {\n  owners { accountable = "a@b.c" }\n  description = "' + LATIN1 + b'"\n}\n'
    )
    _refused(run("validate", "."), "extra.hcl:3: error: not UTF-8 text: byte 0xe9")


def test_a_utf16_hcl_file_is_not_text(mesh: Path) -> None:
    (mesh / "win.hcl").write_bytes('domain "w" {\n  owners { accountable = "a@b.c" }\n}\n'.encode("utf-16-le"))
    _refused(run("validate", "."), "win.hcl:1: error: not a text file: it contains a NUL byte")


def test_a_binary_var_file(mesh: Path) -> None:
    (mesh / "vars.hcl").write_bytes(b'env = "' + LATIN1 + b'"\n')
    _refused(run("validate", ".", "--var-file", "vars.hcl"), "vars.hcl:1: error: not UTF-8 text")


def test_a_binary_schema_file_names_the_schema_and_the_product(mesh: Path) -> None:
    (mesh / "schemas").mkdir()
    (mesh / "schemas" / "pay.avsc").write_bytes(b'{"type": "record",\n "name": "' + LATIN1 + b'", "fields": []}')
    (mesh / "pay.hcl").write_text(
        'data_product "pay" {\n  domain = "sales"\n  schema { file = "schemas/pay.avsc" }\n}\n'
    )
    _refused(run("validate", "."), "pay.hcl:3: error: cannot read schema file", "schemas/pay.avsc:2: not UTF-8")


def test_a_binary_state_file(mesh: Path) -> None:
    (mesh / ".meshctl").mkdir()
    (mesh / ".meshctl" / "state.json").write_bytes(b'{"version": 1,\n"lineage": "' + LATIN1 + b'"}')
    _refused(run("state", "list"), "state.json:2: error: not UTF-8 text")


def test_a_binary_plan_file(mesh: Path) -> None:
    (mesh / "plan.json").write_bytes(b"{\n\n" + LATIN1)
    _refused(run("apply", "plan.json"), "plan.json:3: error: not a saved plan: not UTF-8 text")


def test_a_binary_kafka_properties_file(mesh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (mesh / "client.properties").write_bytes(b"bootstrap.servers=localhost:9092\nsasl.username=" + LATIN1 + b"\n")
    monkeypatch.setenv("MESHCTL_KAFKA_PROPERTIES_FILE", str(mesh / "client.properties"))
    _refused(run("plan", "."), "client.properties:2: error: not UTF-8 text")


def test_a_binary_file_given_to_the_file_function(mesh: Path) -> None:
    (mesh / "blob.txt").write_bytes(LATIN1)
    (mesh / "x.hcl").write_text(
        'domain "x" {\n  description = file("blob.txt")\n  owners { accountable = "a@b.c" }\n}\n'
    )
    _refused(run("validate", "."), "x.hcl:2: error:", "not UTF-8 text")


# -- nesting thousands deep ------------------------------------------------------------------


def test_a_variable_nested_5000_deep_on_the_command_line(mesh: Path) -> None:
    (mesh / "vars.hcl").write_text('variable "deep" {\n  type = list(any)\n}\n')
    _refused(run("validate", ".", "--var", "deep=" + "[" * 5000 + "]" * 5000), "value of 'deep' is not a valid list")


def test_a_chain_of_3000_locals_is_fine(mesh: Path) -> None:
    chain = "\n".join(f"  a{i} = local.a{i + 1}" for i in range(3000))
    (mesh / "chain.hcl").write_text(f'locals {{\n{chain}\n  a3000 = "end"\n}}\n')
    (mesh / "z.hcl").write_text('domain "z" {\n  description = local.a0\n  owners { accountable = "a@b.c" }\n}\n')
    result = run("validate", ".")
    assert result.exit_code == 0, result.output


def test_a_json_schema_nested_deep(mesh: Path) -> None:
    (mesh / "schemas").mkdir()
    deep = '{"type": "object", "properties": {"a": ' * 400 + "{}" + "}}" * 400
    (mesh / "schemas" / "pay.json").write_text(deep)
    (mesh / "pay.hcl").write_text(
        'data_product "pay" {\n  domain = "sales"\n  schema {\n    type = "JSON"\n'
        '    file = "schemas/pay.json"\n  }\n}\n'
    )
    _refused(run("validate", "."), "pay.hcl:5: error: invalid JSON schema", "nested too deeply")


# -- state files of the wrong shape --------------------------------------------------------------

GOOD_STATE = {"version": 1, "serial": 1, "lineage": "l", "resources": []}
RESOURCE = {"type": "kafka_topic", "name": "t", "attributes": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]", "state.json: error: not a meshctl state file (no version)"),
        ("{}", "state.json: error: not a meshctl state file (no version)"),
        ('{"version": 1, "serial": 1, "lineage": "x", "resou', "state.json:1: error: not valid JSON"),
        (json.dumps({**GOOD_STATE, "version": "1"}), "state.json: error: version should be a whole number"),
        (json.dumps({"version": 1, "serial": 1}), "state.json: error: lineage is missing"),
        (json.dumps({**GOOD_STATE, "serial": "x"}), "state.json: error: serial should be a whole number, not a string"),
        (json.dumps({**GOOD_STATE, "resources": 5}), "state.json: error: resources should be a list"),
        (json.dumps({**GOOD_STATE, "resources": [{"name": "t", "attributes": {}}]}), "resources[0].type is missing"),
        (json.dumps({**GOOD_STATE, "resources": [{**RESOURCE, "type": "bogus"}]}), "unknown resource type 'bogus'"),
        (json.dumps({**GOOD_STATE, "resources": [{**RESOURCE, "attributes": []}]}), "resources[0].attributes should"),
        (
            json.dumps({**GOOD_STATE, "resources": [{**RESOURCE, "module": "module.a b"}]}),
            "resources[0]: 'module.a b' is not a module address (module.NAME or module.NAME[\"KEY\"]): ' ' after",
        ),
        (
            json.dumps({**GOOD_STATE, "resources": [{**RESOURCE, "name": ""}]}),
            "resources[0]: a resource needs a name: kafka_topic.NAME",
        ),
        ("[" * 100_000 + "]" * 100_000, "state.json: error: JSON nested too deeply"),
        (json.dumps({**GOOD_STATE, "version": 99}), "written by a newer meshctl (state version 99"),
    ],
    ids=[
        "list",
        "empty",
        "truncated",
        "version-string",
        "no-lineage",
        "serial-string",
        "resources-number",
        "resource-no-type",
        "resource-unknown-type",
        "attributes-list",
        "module-no-address",
        "no-name",
        "deep",
        "newer",
    ],
)
def test_a_state_file_of_the_wrong_shape(mesh: Path, text: str, expected: str) -> None:
    (mesh / ".meshctl").mkdir()
    (mesh / ".meshctl" / "state.json").write_text(text)
    _refused(run("state", "list"), expected)


def test_state_show_and_rm_read_addresses_as_addresses(mesh: Path) -> None:
    """Any spelling of an address finds its entry; text that is no address is refused saying why."""
    entry = {**RESOURCE, "type": "aws_s3_bucket", "name": 'data["\u00e9"]', "module": 'module.b["k"]'}
    (mesh / ".meshctl").mkdir()
    (mesh / ".meshctl" / "state.json").write_text(json.dumps({**GOOD_STATE, "resources": [entry]}))
    assert run("state", "list").stdout == 'module.b["k"].aws_s3_bucket.data["\u00e9"]\n'
    shown = run("state", "show", 'module.b["k"].aws_s3_bucket.data["\\u00e9"]')
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == 'data["\u00e9"]', shown.output
    _refused(
        run("state", "show", 'module.b[k].aws_s3_bucket.data["\u00e9"]'),
        "error: 'module.b[k].aws_s3_bucket.data[\"\u00e9\"]' is not a resource address (TYPE.NAME): "
        'module.b[ must be followed by a quoted key and ]: module.b["KEY"] '
        '(did you mean module.b["k"].aws_s3_bucket.data["\u00e9"]?)',
    )
    _refused(run("state", "rm", "module.b", "."), "'module.b' is not a resource address (TYPE.NAME): it names a module")
    removed = run(
        "state",
        "rm",
        'module.b["k"].aws_s3_bucket.data["\u00e9"]',
        'module.b["\\u006b"].aws_s3_bucket.data["\u00e9"]',
        ".",
    )
    assert removed.exit_code == 0 and "Removed 1 resource(s)" in removed.stdout, removed.output
    assert run("state", "list").stdout == ""


# -- saved plans of the wrong shape ----------------------------------------------------------------


def _saved_plan(mesh: Path, **changes: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "format_version": "1.0",
        "resource_changes": [
            {
                "address": "kafka_topic.t",
                "type": "kafka_topic",
                "name": "t",
                "change": {"actions": ["create"], "before": None, "after": {"name": "t"}},
                "meshctl": {"source": "data_product.sales.orders.v1"},
            }
        ],
        "prior_state": {"serial": 0, "lineage": ""},
        "meshctl_saved_plan": {
            "kind": "meshctl-saved-plan",
            "meshctl_version": __version__,
            "directory": str(mesh),
            "fingerprint": {"files": {}, "resources": ""},
        },
    }
    doc.update(changes)
    return doc


def _exploding(mesh: Path) -> str:
    doc = _saved_plan(mesh)
    doc["resource_changes"][0]["change"]["actions"] = ["explode"]  # type: ignore[index]
    return json.dumps(doc)


def _without_type(mesh: Path) -> str:
    doc = _saved_plan(mesh)
    del doc["resource_changes"][0]["type"]  # type: ignore[index]
    return json.dumps(doc)


def _with_change(mesh: Path, **members: object) -> str:
    doc = _saved_plan(mesh)
    doc["resource_changes"][0].update(members)  # type: ignore[index]
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda m: "[]", "is not a meshctl saved plan"),
        (lambda m: "{}", "is not a meshctl saved plan"),
        (lambda m: '{"format_version": "99.0"}', "is not a meshctl saved plan"),
        (lambda m: json.dumps(_saved_plan(m, format_version="99.0")), "is in plan format '99.0'"),
        (lambda m: json.dumps(_saved_plan(m))[:-40], "plan.json:1: error: not a saved plan: not valid JSON"),
        (lambda m: "[" * 100_000 + "]" * 100_000, "plan.json: error: not a saved plan: JSON nested too deeply"),
        (_without_type, "plan.json: error: resource_changes[0].type is missing"),
        (_exploding, "resource_changes[0].change.actions: ['explode'] is not a planned action"),
        (lambda m: json.dumps(_saved_plan(m, resource_changes={})), "resource_changes should be a list"),
        (lambda m: json.dumps(_saved_plan(m, prior_state=[])), "prior_state should be an object, not a list"),
        (lambda m: json.dumps(_saved_plan(m)), "plan.json was changed after `meshctl plan --out` wrote it"),
        (
            lambda m: _with_change(m, address="kafka_topic.u"),
            "resource_changes[0].address: 'kafka_topic.u' is not kafka_topic.t, which its type and name make",
        ),
        (
            lambda m: _with_change(m, module_address="module.a b"),
            "resource_changes[0]: 'module.a b' is not a module address",
        ),
        (
            lambda m: _with_change(m, previous_address="module.a"),
            "resource_changes[0]: 'module.a' is not a resource address (TYPE.NAME): it names a module",
        ),
    ],
    ids=[
        "list",
        "empty",
        "foreign-format",
        "format-99",
        "truncated",
        "deep",
        "no-type",
        "actions",
        "changes-object",
        "prior",
        "edited",
        "address-not-its-own",
        "module-no-address",
        "previous-no-address",
    ],
)
def test_a_plan_file_of_the_wrong_shape(mesh: Path, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    (mesh / "plan.json").write_text(make(mesh))
    _refused(run("apply", "plan.json"), expected)
    assert not (mesh / ".meshctl" / "state.json").exists()


# -- the lock and the state directory ----------------------------------------------------------------


def test_an_empty_lock_file_is_a_damaged_lock_that_force_unlock_clears(mesh: Path) -> None:
    (mesh / ".meshctl").mkdir()
    lock = mesh / ".meshctl" / "state.lock"
    lock.write_text("")
    _refused(run("apply", "--auto-approve", "."), ".meshctl/state.lock is empty or damaged", "force-unlock damaged")
    assert lock.exists()
    result = run("force-unlock", "damaged", ".")
    assert result.exit_code == 0, result.output
    assert not lock.exists()


def test_a_lock_file_of_another_shape_is_damaged_too(mesh: Path) -> None:
    (mesh / ".meshctl").mkdir()
    (mesh / ".meshctl" / "state.lock").write_text('{"id": 5}')
    _refused(run("apply", "--auto-approve", "."), "is empty or damaged")


def test_a_read_only_state_directory_is_refused_before_anything_changes() -> None:
    """Run as an unprivileged user when the tests run as root: root may write anywhere."""
    base = Path(tempfile.mkdtemp(prefix="meshctl-ro-"))
    try:
        base.chmod(0o755)
        write_mesh(base, {"main.hcl": MINIMAL})
        state_dir = base / ".meshctl"
        state_dir.mkdir()
        if os.geteuid() == 0:
            os.chown(state_dir, 65534, 65534)
        state_dir.chmod(0o500)
        cache = base / "cache"  # the parse cache is not what this test is about: give it a writable place
        cache.mkdir()
        if os.geteuid() == 0:
            os.chown(cache, 65534, 65534)
        # root writes anywhere: run as nobody, or the mode would not be tested
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        proc = subprocess.run(
            [*as_nobody, sys.executable, "-m", "meshctl", "apply", "--auto-approve", str(base)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "MESHCTL_CACHE_DIR": str(cache)},
        )
        assert proc.returncode == 1, proc.stderr
        assert f"the state directory {state_dir} is not writable" in proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        assert list(state_dir.iterdir()) == []
    finally:
        (base / ".meshctl").chmod(0o700)
        subprocess.run(["rm", "-rf", str(base)], check=False)


def test_fmt_of_a_read_only_file_names_it() -> None:
    base = Path(tempfile.mkdtemp(prefix="meshctl-ro-"))
    try:
        base.chmod(0o755)
        (base / "m.hcl").write_text('domain "x" {\nowners { accountable = "a@b.c" }\n}\n')  # needs formatting
        (base / "m.hcl").chmod(0o444)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        proc = subprocess.run(
            [*as_nobody, sys.executable, "-m", "meshctl", "fmt", str(base)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "MESHCTL_CACHE_DIR": str(base / "cache")},
        )
        assert proc.returncode == 1, proc.stderr
        assert "m.hcl: Permission denied" in proc.stderr and "error: cannot write" in proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


@pytest.mark.parametrize("statement", ['"s3:GetObject"', "5", '["s3:GetObject"]'])
def test_a_policy_whose_statement_is_not_objects_is_a_configuration_error(mesh: Path, statement: str) -> None:
    """It passed validation and crashed compiling the policy (an internal error); found by the type checker."""
    aws = f"""
    aws {{
      region        = "eu-west-1"
      deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
    }}
    resource "aws_s3_bucket" "data" {{
      bucket = "acme-data"
      policy = {{ Version = "2012-10-17", Statement = {statement} }}
    }}
    """
    write_mesh(mesh, {"aws.hcl": aws})
    result = run("validate", ".")
    assert result.exit_code == 1, result.output
    expected = "aws.hcl:7: error: aws_s3_bucket.data.policy: a policy's Statement must be an object or a list of"
    assert expected in result.stderr
    assert "internal error" not in result.stderr


# -- application blocks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ('application "x" {\n  domain = "sales"\n  kind = 3\n}\n', "apps.hcl:3: error:"),
        ('application "x" {\n  domain = "sales"\n  kind = "producer"\n  writes = "orders"\n}\n', "apps.hcl:4: error:"),
        (
            'application "x" {\n  domain = "sales"\n  kind = "producer"\n'
            '  principal {\n    provider = "oauth"\n  }\n}\n',
            'apps.hcl:5: error: application "x": principal provider "oauth" is not supported yet',
        ),
        ('application "x" "y" {\n  domain = "sales"\n  kind = "producer"\n}\n', "apps.hcl:1: error:"),
        (
            'application "x" {\n  domain = "sales"\n  kind = "producer"\n  aws {\n    runs_as = "arn"\n  }\n}\n',
            "apps.hcl:5: error:",
        ),
    ],
)
def test_a_bad_application_block_is_one_diagnostic_at_its_line(mesh: Path, block: str, expected: str) -> None:
    (mesh / "apps.hcl").write_text(block)
    result = run("validate", ".")
    _refused(result, expected)


def test_a_valid_application_validates(mesh: Path) -> None:
    (mesh / "apps.hcl").write_text(
        'application "api" {\n  domain = "sales"\n  kind = "producer"\n  writes = ["orders"]\n}\n'
        'application "dash" {\n  domain = "analytics"\n  kind = "consumer"\n  reads = ["sales.orders"]\n}\n'
    )
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
