"""One redaction layer for everything meshctl shows: every log record of every library
(botocore, urllib3, librdkafka through confluent-kafka, the registry's HTTP client, meshctl's
own), tracebacks and error messages.

Three defences, because none alone suffices:

- structure: the bodies of calls that carry secrets (Secrets Manager values, STS and IAM
  credentials) never reach a record, whatever they contain, nor does a hex dump from librdkafka;
- value: every secret meshctl generates or reads is registered the moment it exists (`register`),
  and any occurrence in a message, its arguments or an exception's text becomes `(sensitive)`;
- pattern: `password=...`, `"SecretString": "..."`, Authorization headers and URL user-info are
  masked even when meshctl never saw the value (a librdkafka setting, a vendor's token).

`install()` hooks the log record factory, so a record is clean from the moment it is created:
whatever handler, logger level or propagation setting then prints it.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import threading
import traceback
import urllib.parse
from collections.abc import Callable
from types import TracebackType
from typing import Any

MASK = "(sensitive)"
# Shorter values would mask ordinary words everywhere; a secret that short is no secret.
_MIN_LENGTH = 4

# (service, operation) whose request or response body holds a secret value or credentials.
SENSITIVE_AWS_CALLS = frozenset(
    {("secretsmanager", op) for op in ("CreateSecret", "PutSecretValue", "GetSecretValue", "UpdateSecret")}
    | {("secretsmanager", op) for op in ("BatchGetSecretValue", "GetRandomPassword", "RotateSecret")}
    | {("sts", op) for op in ("AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "AssumeRoot")}
    | {("sts", op) for op in ("GetSessionToken", "GetFederationToken")}
    | {("iam", op) for op in ("CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "ChangePassword")}
    | {("iam", op) for op in ("CreateServiceSpecificCredential", "ResetServiceSpecificCredential")}
    | {("sso", "GetRoleCredentials")}
)


class _Secrets:
    """The registered values, and one compiled alternation of them (longest first)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        forms = {value, json.dumps(value)[1:-1], urllib.parse.quote(value, safe=""), repr(value)[1:-1]}
        with self._lock:
            new = {f for f in forms if len(f) >= _MIN_LENGTH} - self._values
            if new:
                self._values |= new
                self._pattern = None

    def sub(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            with self._lock:
                if self._pattern is None and self._values:
                    ordered = sorted(self._values, key=len, reverse=True)
                    self._pattern = re.compile("|".join(map(re.escape, ordered)))
                pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text


_SECRETS = _Secrets()


def register(*values: object) -> None:
    """Remember secret values so no output ever shows them; strings in lists and maps too."""
    for value in values:
        if isinstance(value, str):
            if value:
                _SECRETS.add(value)
        elif isinstance(value, dict):
            register(*value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            register(*value)


def register_basic_auth(username: str, password: str) -> None:
    """A password and the `Authorization: Basic` token made from it."""
    register(password, base64.b64encode(f"{username}:{password}".encode()).decode())


def leaves(value: object) -> list[str]:
    """The strings and numbers inside a value (a map's or a list's too), as text."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [leaf for v in value for leaf in leaves(v)]
    return [str(value)] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else []


def secret_paths(value: object, secrets: list[tuple[str, str]], path: str = "") -> list[tuple[str, str]]:
    """(attribute path, secret's name) for every string in `value` that holds one of `secrets`
    ((name, value) pairs): what would be written in plain text to state and saved plans."""
    if isinstance(value, str):
        return [(path, name) for name, s in secrets if len(s) >= _MIN_LENGTH and s in value][:1]
    if isinstance(value, dict):
        items = [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        items = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    else:
        return []
    return [hit for p, v in items for hit in secret_paths(v, secrets, p)]


# -- patterns: secrets meshctl never saw --------------------------------------

# A quoted value: JSON or Python text, bytes, or quoted inside an escaped JSON string.
_QUOTED = r"""\\+"(?:(?!\\+").)*\\+"|"(?:[^"\\]|\\.)*"|(?-i:b)?'(?:[^'\\]|\\.)*'"""
_KEY = r"""[\w.\-]*(?:password|passwd|secret|secretstring|secretbinary|secret[_-]?key|secretaccesskey|token|api[_-]?key|private[_-]?key|jaas\.config|user\.info)"""  # noqa: E501
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key>\\*["']{_KEY}\\*["']\s*[=:]\s*              # "password": , 'SecretString': (JSON, a dict)
      |\b{_KEY}\s*=\s*)                                # sasl.password= , password="..." ; not prose "secret: x"
    (?!\[redacted\]|\(sensitive\))                     # already masked (librdkafka says [redacted])
    (?P<value>{_QUOTED}|[^\s,;}}&'"\]]+)
    """
)
_AUTHORIZATION = re.compile(
    r"""(?i)(authorization(?:\\*["'])?\s*[=:]\s*(?-i:b)?(?:\\*["'])?(?:(?:basic|bearer|digest)\s+)?)[^'"\n]+"""
)
# botocore's canonical request, one `name:value` line per signed header: a session token among them.
_TOKEN_HEADER = re.compile(r"(?im)^(x-amz-security-token:).+$")
_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^/\s:@]+):[^/\s@]+@", re.IGNORECASE)


_QUOTES = re.compile(r"""^(b?\\*["']).*?(\\*["'])$""", re.DOTALL)


def _mask_value(match: re.Match[str]) -> str:
    """The value masked, its quotes kept so the text still reads as JSON or a dict."""
    quoted = _QUOTES.match(match["value"])
    return f"{match['key']}{quoted[1]}{MASK}{quoted[2]}" if quoted else f"{match['key']}{MASK}"


def redact(text: str) -> str:
    """`text` with every registered secret and every secret-looking setting masked."""
    text = _SECRETS.sub(text)
    text = _KEY_VALUE.sub(_mask_value, text)
    text = _AUTHORIZATION.sub(lambda m: f"{m[1]}{MASK}", text)
    text = _TOKEN_HEADER.sub(lambda m: f"{m[1]}{MASK}", text)
    return _USERINFO.sub(lambda m: f"{m[1]}:{MASK}@", text)


# -- structure: bodies that never reach a record ---------------------------------

_BODY_HIDDEN = "(body hidden: it carries secrets)"
_aws_call = threading.local()  # the AWS call this thread is making, from botocore's request record


def _aws_operation(model: object) -> tuple[str, str] | None:
    """botocore's OperationModel read by duck typing: redaction imports no AWS library."""
    service = getattr(getattr(model, "service_model", None), "service_name", None)
    name = getattr(model, "name", None)
    return None if service is None or name is None else (str(service), str(name))


def _botocore_request(record: logging.LogRecord) -> None:
    """`Making request for <op> with params: <request dict>`: hide a sensitive call's body."""
    args = record.args
    if not (isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], dict)):
        _aws_call.sensitive = True
        return
    operation = _aws_operation(args[0])
    sensitive = operation is None or operation in SENSITIVE_AWS_CALLS
    _aws_call.sensitive = sensitive
    if sensitive:
        record.args = (args[0], {**args[1], "body": _BODY_HIDDEN})


def _botocore_response(record: logging.LogRecord) -> None:
    """`Response body: ...`: shown only when the thread's call is known to carry no secret."""
    if str(record.msg).startswith("Response body") and getattr(_aws_call, "sensitive", True):
        record.args = (_BODY_HIDDEN,)


def _librdkafka(record: logging.LogRecord) -> None:
    """A hex dump of protocol bytes could hold a SCRAM upsertion's salted password: dropped whole."""
    text = record.getMessage()
    if re.search(r"\b(?:hex)?dump\b|\b[0-9a-f]{8}: (?:[0-9a-f]{2} ){4}", text, re.IGNORECASE):
        record.msg, record.args = "(hex dump hidden: it may carry credentials)", ()


_BY_LOGGER: dict[str, Callable[[logging.LogRecord], None]] = {
    "botocore.endpoint": lambda r: _botocore_request(r) if str(r.msg).startswith("Making request") else None,
    "botocore.parsers": _botocore_response,
    "meshctl.librdkafka": _librdkafka,
}


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record in place: structure first, then the formatted message, the traceback
    and the stack; arguments are merged into the message so no handler sees them raw."""
    if record.__dict__.get("_meshctl_clean") is record.msg and not record.args:
        return record  # cleaned at creation and not changed since (makeLogRecord changes it)
    rule = _BY_LOGGER.get(record.name)
    if rule is not None:
        rule(record)
    try:
        message = record.getMessage()
    except Exception:  # a library's bad format string: say so rather than raise in its caller
        message = f"{record.msg} (unformattable arguments hidden)"
    record.msg, record.args = redact(message), ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._meshctl_clean = record.msg
    return record


class RedactingFilter(logging.Filter):
    """For handlers: a record built without the factory (`logging.makeLogRecord`) is cleaned too."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now, so a test runner's swapped stream is never stale."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.setLevel(level)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


# -- installation ---------------------------------------------------------------


_handler: logging.Handler | None = None  # set once installed
_install_lock = threading.Lock()


def install(debug: bool = False) -> None:
    """Clean every record at creation, tracebacks and warnings too; with `debug`, print every
    library's records (librdkafka's included) on stderr. Safe to call more than once."""
    global _handler
    with _install_lock:
        if _handler is None:
            previous = logging.getLogRecordFactory()
            logging.setLogRecordFactory(lambda *a, **kw: clean(previous(*a, **kw)))
            sys.excepthook = _redacting_excepthook
            threading.excepthook = _redacting_thread_excepthook
            logging.captureWarnings(True)  # warnings become records, and records are clean
            _handler = _StderrHandler(logging.DEBUG)
            _handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            _handler.addFilter(RedactingFilter())
    if debug:
        root = logging.getLogger()
        root.setLevel(logging.DEBUG)
        if _handler not in root.handlers:
            root.addHandler(_handler)
        logging.getLogger("meshctl.librdkafka").propagate = True


def _redacting_excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(redact("".join(traceback.format_exception(kind, exc, tb))))


def _redacting_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    where = f"in thread {args.thread.name}:\n" if args.thread is not None else ""
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    sys.stderr.write(redact(where + text))
