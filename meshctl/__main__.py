"""The entry point of `python -m meshctl` and of the `meshctl` console script.

Signals are routed before the heavy imports (confluent-kafka, boto3, hcl2), so Ctrl-C or
SIGTERM at any moment, startup included, ends with one line and 128 + the signal number,
never a traceback.
"""

from __future__ import annotations

import gc
import os
import signal
import sys


def _early_signal(signum: int, frame: object) -> None:
    """Until meshctl routes signals: nothing has run yet, so there is nothing to clean up."""
    try:
        os.write(2, b"\ninterrupted: nothing was changed\n")
    finally:
        os._exit(128 + signum)


signal.signal(signal.SIGINT, _early_signal)
signal.signal(signal.SIGTERM, _early_signal)

from meshctl import interrupt  # noqa: E402  (after the early handler, on purpose)


def run() -> None:
    try:
        _run()
    except KeyboardInterrupt as exc:  # a signal landing as the command ended, before it was told
        interrupt.write_stderr("\ninterrupted: nothing was changed\n")
        _exit(interrupt.exit_code(exc))


def _run() -> None:
    try:
        interrupt.install()  # inside the try: a signal may land while the handler is being swapped
        # Importing meshctl and its libraries makes objects that all live until the process
        # ends: the cyclic collector, which cannot free any of them, is paused meanwhile (~8% of
        # the import); engine.collector pauses it again around the command itself.
        gc.disable()
        try:
            from meshctl.cli.main import main
        finally:
            gc.enable()
        main()
    except KeyboardInterrupt as exc:  # before click runs, or after it returned
        interrupt.write_stderr("\ninterrupted: nothing was changed\n")
        _exit(interrupt.exit_code(exc))
    except Exception as exc:
        signalled = interrupt.wrapped_signal(exc)  # a signal Python re-raised as another error
        if signalled is None:
            raise
        interrupt.write_stderr("\ninterrupted: nothing was changed\n")
        _exit(interrupt.exit_code(signalled))
    except SystemExit as exc:
        interrupt.ignore_from_now()  # the command is over, whatever it returned
        if interrupt.received() is None:
            raise
        _exit(0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1)


def _exit(code: int) -> None:
    """After an interrupt: leave at once instead of joining worker threads that may wait
    out a request timeout (the lock is released and state written by then)."""
    interrupt.ignore_from_now()  # a last Ctrl-C must not cut the final flush
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
