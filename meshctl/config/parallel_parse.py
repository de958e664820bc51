"""A cold parse spread over the machine's cores.

python-hcl2 spends about 0.2 ms a line in pure Python: a 10,000-product mesh that the parse
cache has not seen (a fresh CI runner) is ten seconds of parsing on one core. When enough
text is to be parsed, worker processes parse it, as many as there are cores.

The workers run nothing from the mesh: each gets a file's text and name and runs the same
`hcl.parse` the parent would, and sends back only data: the syntax tree as the parse cache's
JSON (`config.ast_json`) or the fields of its syntax error, as a JSON string. The parent
decodes the tree with the cache's strict shape checks, so what it gets is exactly what a
parse in the parent would give (a file's error keeps its `file:line`). The workers are
spawned, not forked: nothing of the parent's state (threads, sockets, secrets) is copied
into them. A pool that cannot start or breaks is no error: the parent parses what is left.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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
    parses it). Raises OSError when the pool cannot start at all."""
    names = list(texts)
    workers = min(cores(), len(names))
    chunk = max(1, len(names) // (workers * 8))  # small enough to balance, large enough to batch
    context = multiprocessing.get_context("spawn")
    done: set[str] = set()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker, initargs=(os.getpid(),))
    try:
        results = pool.map(_parse_to_json, [texts[n] for n in names], names, chunksize=chunk)
        for name, reply in zip(names, results, strict=True):
            done.add(name)
            yield name, *_decode(reply, name)
    except BrokenProcessPool:
        pass
    finally:  # on an interrupt, only the parses under way are waited for (a chunk: well under 1 s)
        pool.shutdown(wait=True, cancel_futures=True)
    for name in names:  # what a broken pool left: the caller parses it
        if name not in done:
            yield name, None, ""


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


def _worker(parent: int) -> None:
    """A worker leaves Ctrl-C to the parent (which reports it once) and ends silently on
    SIGTERM (`python -m meshctl` installed its handlers in the worker too). It ends when the
    parent is gone: an interrupted meshctl leaves at once, without stopping its pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_end_with, args=(parent,), daemon=True, name="meshctl-parent-watch").start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


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
