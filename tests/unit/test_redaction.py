"""The redaction layer: structure (bodies of secret-carrying calls), value (registered secrets)
and pattern (secret-looking settings) masking of log records, tracebacks and messages."""

from __future__ import annotations

import io
import json
import logging
import secrets
import threading
from collections.abc import Iterator

import botocore.session
import pytest

from meshctl import redaction
from meshctl.redaction import MASK, redact, register


def _model(service: str, operation: str):  # type: ignore[no-untyped-def]
    """botocore's own operation model, as botocore.endpoint passes it to the logger."""
    return botocore.session.get_session().get_service_model(service).operation_model(operation)


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """Everything logged while the layer is installed, formatted the way --debug prints it."""
    redaction.install()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


def _secret() -> str:
    return secrets.token_urlsafe(24)


def _request_params(body: object) -> dict:
    return {"url_path": "/", "method": "POST", "headers": {"Content-Type": "application/x-amz-json-1.1"}, "body": body}


def test_botocore_request_body_of_a_secret_call_never_reaches_the_log(output: io.StringIO) -> None:
    unregistered = _secret()  # the body is dropped by structure, not found by value
    body = json.dumps({"Name": "meshctl/kafka/sales", "SecretString": json.dumps({"pw": unregistered})})
    log = logging.getLogger("botocore.endpoint")
    log.debug("Making request for %s with params: %s", _model("secretsmanager", "CreateSecret"), _request_params(body))
    logging.getLogger("botocore.parsers").debug("Response body:\n%r", b'{"ARN": "arn:aws:secretsmanager:..."}')
    text = output.getvalue()
    assert unregistered not in text
    assert "OperationModel(name=CreateSecret)" in text and "(body hidden: it carries secrets)" in text
    assert "arn:aws:secretsmanager" not in text  # the response of a secret call is hidden too


def test_botocore_bodies_of_other_calls_stay_readable(output: io.StringIO) -> None:
    body = "Action=ListRoles&Version=2010-05-08"
    logging.getLogger("botocore.endpoint").debug(
        "Making request for %s with params: %s", _model("iam", "ListRoles"), _request_params(body)
    )
    logging.getLogger("botocore.parsers").debug("Response body:\n%r", b"<ListRolesResponse/>")
    text = output.getvalue()
    assert body in text and "<ListRolesResponse/>" in text


def test_a_response_body_without_a_known_call_is_hidden(output: io.StringIO) -> None:
    unregistered = _secret()

    def respond() -> None:  # a fresh thread: no request record told which call this is
        logging.getLogger("botocore.parsers").debug("Response body:\n%r", f'{{"SecretString": "{unregistered}"}}')

    thread = threading.Thread(target=respond)
    thread.start()
    thread.join()
    assert unregistered not in output.getvalue()
    assert "(body hidden" in output.getvalue()


def test_a_registered_value_is_masked_in_args_message_and_exception(output: io.StringIO) -> None:
    password = _secret()
    register(password)
    log = logging.getLogger("meshctl.kafka")
    log.info("created User:sales with %s", password)
    log.warning(f"inline {password}")
    try:
        raise ValueError(f"Parameter validation failed: Invalid type for parameter SecretString, value: {password}")
    except ValueError:
        log.exception("call failed")
    text = output.getvalue()
    assert password not in text
    assert text.count(MASK) >= 3 and "Traceback" in text and "Parameter validation failed" in text


def test_librdkafka_lines_through_a_non_propagating_logger(output: io.StringIO) -> None:
    """meshctl's librdkafka logger does not propagate without --debug; its records are clean anyway."""
    password = _secret()
    register(password)
    rdkafka = logging.getLogger("meshctl.librdkafka")
    own = io.StringIO()
    handler = logging.StreamHandler(own)
    rdkafka.addHandler(handler)
    old = rdkafka.propagate
    rdkafka.propagate = False
    try:
        rdkafka.debug("%s [%s] %s", "CONF", "rdkafka#producer-1", f"[thrd:app]:   sasl.password = {password}")
        rdkafka.debug("%s [%s] %s", "SASL", "rdkafka#producer-1", "sasl.jaas.config=x required password=hunter22;")
        rdkafka.debug("%s [%s] %s", "PROTOCOL", "rdkafka#producer-1", "00000010: 6d 65 73 68 63 74 6c 00  meshctl.")
    finally:
        rdkafka.removeHandler(handler)
        rdkafka.propagate = old
    text = own.getvalue()
    assert password not in text and "hunter22" not in text and "6d 65 73 68" not in text
    assert "CONF [rdkafka#producer-1]" in text and "hex dump hidden" in text


def test_a_record_made_without_the_factory_is_cleaned_by_the_handler_filter() -> None:
    password = _secret()
    register(password)
    record = logging.makeLogRecord({"name": "x", "msg": "token %s", "args": (password,), "levelno": 20})
    assert redaction.RedactingFilter().filter(record)
    assert record.getMessage() == f"token {MASK}"


@pytest.mark.parametrize(
    ("text", "shown", "hidden"),
    [
        ("sasl.password=s3cr3t-1 next", "sasl.password=(sensitive) next", "s3cr3t-1"),
        ('{"password": "p\\"w-2", "x": 1}', '{"password": "(sensitive)", "x": 1}', "w-2"),
        ("'SecretString': 'v4lue-3'", "'SecretString': '(sensitive)'", "v4lue-3"),
        ('username="u" password="pw-4";', 'username="u" password="(sensitive)";', "pw-4"),
        ("https://reg:pw-5@registry:8081/apis", "https://reg:(sensitive)@registry:8081/apis", "pw-5"),
        ("Authorization: Basic cmVnOnB3LTY=", "Authorization: Basic (sensitive)", "cmVnOnB3LTY="),
        ("{'X-Amz-Security-Token': b'FQoG-7'}", "{'X-Amz-Security-Token': b'(sensitive)'}", "FQoG-7"),
        ("basic.auth.user.info=reg:pw-8", "basic.auth.user.info=(sensitive)", "pw-8"),
        ("host:x\nx-amz-security-token:FQoG-9\n", "host:x\nx-amz-security-token:(sensitive)\n", "FQoG-9"),
    ],
)
def test_secret_looking_settings_are_masked_without_being_registered(text: str, shown: str, hidden: str) -> None:
    assert redact(text) == shown
    assert hidden not in redact(text)


def test_plain_text_and_already_masked_values_are_left_alone() -> None:
    prose = "AWS refused to create secret: ResourceExistsException: the secret exists"
    for text in ("SecretId=meshctl/kafka/sales", "sasl.password = [redacted]", f"password={MASK}", prose):
        assert redact(text) == text


def test_encoded_forms_and_basic_auth_are_registered_too() -> None:
    password = 'p"w\\' + _secret()
    redaction.register_basic_auth("reg", password)
    text = (
        f"{json.dumps(password)} {password!r} Basic "
        + __import__("base64").b64encode(f"reg:{password}".encode()).decode()
    )
    assert redact(text).count(MASK) == 3


def test_short_values_are_not_registered() -> None:
    register("abc")
    assert redact("abc abcd") == "abc abcd"


def test_tracebacks_printed_by_the_excepthook_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    password = _secret()
    register(password)
    try:
        raise RuntimeError(f"secret {password} in an exception")
    except RuntimeError as exc:
        redaction._redacting_excepthook(RuntimeError, exc, exc.__traceback__)
    err = capsys.readouterr().err
    assert "Traceback" in err and password not in err and MASK in err


def test_secret_paths_name_each_attribute_holding_a_sensitive_value() -> None:
    attributes = {"name": "orders", "config": {"x.note": "keep s3cr3t-9"}, "tags": [{"k": "s3cr3t-9"}], "n": 3}
    secrets_ = [("var.note", "s3cr3t-9"), ("var.short", "ab")]
    assert redaction.secret_paths(attributes, secrets_) == [("config.x.note", "var.note"), ("tags[0].k", "var.note")]
    assert redaction.secret_paths(attributes, [("var.short", "ab"), ("var.other", "elsewhere")]) == []


def test_leaves_of_a_sensitive_value() -> None:
    assert redaction.leaves({"a": ["x1", 2], "b": True, "c": None, "d": {"e": 1.5}}) == ["x1", "2", "1.5"]
