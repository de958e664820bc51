"""A cold parse spread over the machine's cores.

python-hcl2 spends about 0.2 ms a line in pure Python: a 10,000-product mesh that the parse
cache has not seen (a fresh CI runner) is ten seconds of parsing on one core. When enough
text is to be parsed, worker processes parse it, as many as there are cores.

The workers run nothing from the mesh: each gets a file's text and name and runs the same
`hcl.parse` the parent would, and sends back only data: the syntax tree as the parse cache's
JSON (`config.ast_json`) or the fields of its syntax error, as a JSON string. The parent
decodes the tree with the cache's strict shape checks, so what it gets is exactly what a
parse in the parent would give (a file's error keeps its `file:line`). The workers are fresh
Python processes reading JSON on stdin, not forks and not multiprocessing: nothing of the
parent's state (threads, sockets, secrets) is copied into them, and the caller's main script
is never imported again in them. A worker that cannot start or fails is no error: the parent
parses its files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping

from meshctl.config import ast, ast_json, hcl
from meshctl.errors import Diagnostic, SourceRange

# Below this much text, starting the workers (~0.3 s: a Python start and the import of the
# parser each) costs more than the parse they would share: about 1.5 s of parsing.
MIN_BYTES = 512 * 1024
MIN_FILES = 4

Parsed = ast.Body | hcl.HclSyntaxError  # a file's tree, or why it has none


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def worth_a_pool(texts: Mapping[str, str]) -> bool:
    return cores() > 1 and len(texts) >= MIN_FILES and sum(len(t) for t in texts.values()) >= MIN_BYTES


def parse_in_workers(texts: Mapping[str, str]) -> Iterator[tuple[str, Parsed | None, str]]:
    """(name, tree or syntax error, the tree's JSON for the cache or "") for each file of
    `texts` (name -> text), in order; None for a file the workers could not parse (the caller
    parses it). Raises OSError when no worker can start at all."""
    names = list(texts)
    shares: list[list[str]] = [[] for _ in range(min(cores(), len(names)))]
    loads = [0] * len(shares)
    for name in sorted(names, key=lambda n: -len(texts[n])):  # the largest first, each to the least loaded
        i = loads.index(min(loads))
        shares[i].append(name)
        loads[i] += len(texts[name])
    workers: list[tuple[subprocess.Popen[bytes], list[str]]] = []
    replies: dict[str, tuple[str, str]] = {}
    try:
        for share in shares:
            workers.append(_start(texts, share))
        for worker, share in workers:
            replies.update(_collect(worker, share))
    finally:  # an interrupt stops the workers still parsing
        for worker, _ in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
    for name in names:
        reply = replies.get(name)
        yield (name, *_decode(reply, name)) if reply is not None else (name, None, "")


# The worker: the parent's import path first (meshctl from where the parent has it), Ctrl-C
# left to the parent, then the files as JSON on stdin and the results as JSON on stdout.
_WORKER = (
    "import signal, sys, json; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "sys.path[:] = json.loads(sys.stdin.readline()); "
    "from meshctl.config.parallel_parse import serve; serve()"
)


def _start(texts: Mapping[str, str], share: list[str]) -> tuple[subprocess.Popen[bytes], list[str]]:
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert worker.stdin is not None
    try:
        worker.stdin.write(json.dumps(sys.path).encode() + b"\n")
        worker.stdin.write(json.dumps([[n, texts[n]] for n in share]).encode())
        worker.stdin.close()
    except OSError:
        pass  # a worker that died at once: its files are parsed by the caller
    return worker, share


def _collect(worker: subprocess.Popen[bytes], share: list[str]) -> dict[str, tuple[str, str]]:
    assert worker.stdout is not None
    try:
        lines = worker.stdout.read().decode().split("\n")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for name, line in zip(share, lines, strict=False):
        kind, _, payload = line.partition(" ")
        out[name] = (kind, payload)
    return out


def serve() -> None:
    """In a worker: parse the files given on stdin; one line per file on stdout, in order."""
    files = json.loads(sys.stdin.read())
    replies = [" ".join(_parse_to_json(text, name)) for name, text in files]
    sys.stdout.write("\n".join(replies))
    sys.stdout.flush()


def _decode(reply: tuple[str, str], name: str) -> tuple[Parsed | None, str]:
    try:
        kind, payload = reply
        if kind == "body":
            return ast_json.decode_body(json.loads(payload), name), payload
        if kind == "error":
            severity, summary, detail, hint, file, line = json.loads(payload)
            source = SourceRange(file, line) if file is not None else None
            return hcl.HclSyntaxError(Diagnostic(severity, summary, detail, hint, source)), ""
    except (ValueError, TypeError):  # ValueError covers JSON and shape errors (ast_json.CodecError)
        pass
    return None, ""  # the codec cannot hold this tree, or the reply is not ours: parse in the parent


def _parse_to_json(text: str, name: str) -> tuple[str, str]:
    """In a worker: `hcl.parse` of one file, as ("body", its tree's JSON) or ("error", the
    syntax error's fields as JSON); ("none", "") when the codec cannot hold the tree."""
    try:
        body = hcl.parse(text, name)
    except hcl.HclSyntaxError as exc:
        d = exc.diagnostic
        where = d.source
        fields = [d.severity, d.summary, d.detail, d.hint, where.file if where else None, where.line if where else 0]
        return "error", json.dumps(fields)
    try:
        return "body", json.dumps(ast_json.encode_body(body, name), separators=(",", ":"))
    except (ast_json.CodecError, RecursionError, ValueError):
        return "none", ""
