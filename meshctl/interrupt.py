"""SIGINT and SIGTERM as one interruption, with a graceful window for apply.

A signal raises `Interrupted` (a KeyboardInterrupt, so every `finally` runs and releases
locks) wherever the process is: startup, refresh, the lock wait, the `yes` prompt. While
changes are in flight (`graceful()`), the first signal only asks the run to stop once the
batch in flight has finished and been recorded; a second one stops at once. Inside
`shielded()` (releasing the lock) a signal waits until the section is done.

Only the standard library: the entry point installs this before the heavy imports.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNAL_NAMES: dict[int, str] = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM; the exit code is the shell's 128 + signal number (130, 143)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(SIGNAL_NAMES.get(signum, f"signal {signum}"))
        self.signum = signum


def exit_code(exc: BaseException | None = None) -> int:
    """130 for Ctrl-C (SIGINT), 143 for SIGTERM: what a shell reports for a run a signal ended."""
    signum = exc.signum if isinstance(exc, Interrupted) else _received[0] if _received else signal.SIGINT
    return 128 + signum


class _Mode:
    graceful = 0  # depth of graceful() sections
    shielded = 0  # depth of shielded() sections
    stop_requested = False  # the first signal inside graceful()
    pending: int | None = None  # a signal that arrived inside shielded(): raised when it ends
    notice: Callable[[int], None] | None = None
    over = False  # the command has ended: a signal now changes nothing
    installed = False  # install() ran: this process is meshctl's own (not a test calling the CLI)


_received: list[int] = []


def install() -> None:
    """Route SIGINT and SIGTERM through one handler (the main thread only)."""
    _Mode.installed = True
    for signum in SIGNAL_NAMES:
        signal.signal(signum, _handle)


def ignore_from_now() -> None:
    """The command is over: a signal now is ignored. First in the handler (a signal landing
    while the dispositions change returns quietly), then by the kernel, because Python's
    shutdown puts back the default action of every signal with a Python handler, and a
    SIGTERM landing then would kill a run that finished (exit -15). Only in meshctl's own
    process: a test calling the CLI in-process keeps its signals."""
    if not _Mode.installed:
        return
    _Mode.over = True
    for signum in SIGNAL_NAMES:
        signal.signal(signum, signal.SIG_IGN)


def received() -> int | None:
    """The first signal this process received, if any."""
    return _received[0] if _received else None


def wrapped_signal(exc: BaseException) -> KeyboardInterrupt | None:
    """The interrupt inside `exc` when a signal arrived and Python re-raised it as another
    exception: a signal landing in a class body while a module is imported surfaces from
    `__set_name__` as a RuntimeError (Python 3.11) whose cause is the interrupt. None otherwise."""
    if not _received:
        return None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def stop_requested() -> bool:
    return _Mode.stop_requested


def _handle(signum: int, frame: FrameType | None) -> None:
    if _Mode.over:
        return
    _received.append(signum)
    if _Mode.graceful and not _Mode.stop_requested:
        _Mode.stop_requested = True
        if _Mode.notice is not None:
            _Mode.notice(signum)
        return
    if _Mode.shielded:
        _Mode.pending = signum
        return
    raise Interrupted(signum)


@contextmanager
def graceful(notice: Callable[[int], None] | None = None) -> Iterator[Callable[[], bool]]:
    """The first signal only sets the flag the yielded callable reads; `notice` tells the user."""
    _Mode.graceful += 1
    previous, _Mode.notice = _Mode.notice, notice
    try:
        yield stop_requested
    finally:
        _Mode.graceful -= 1
        _Mode.notice = previous


@contextmanager
def shielded() -> Iterator[None]:
    """Signals wait until the block is done (cleanup that must not be cut in half); one that
    arrived is raised then, unless the run was already stopping for an earlier one."""
    stopping = bool(_received)
    _Mode.shielded += 1
    try:
        yield
    finally:
        _Mode.shielded -= 1
        pending, _Mode.pending = _Mode.pending, None
        if pending is not None and not _Mode.shielded and not stopping:
            raise Interrupted(pending)


def write_stderr(text: str) -> None:
    """Write from a signal handler: unbuffered, so it cannot re-enter a buffered write in progress."""
    try:
        os.write(2, text.encode())
    except OSError:
        pass


def reset() -> None:
    """Forget received signals (tests that drive the handler in-process)."""
    _received.clear()
    _Mode.graceful = _Mode.shielded = 0
    _Mode.stop_requested = False
    _Mode.pending = None
    _Mode.notice = None
    _Mode.over = _Mode.installed = False
