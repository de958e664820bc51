"""SIGINT/SIGTERM routing, driven by real signals sent to this process."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from meshctl import interrupt
from meshctl.cli.plan_apply import interrupted_message
from meshctl.engine.apply import ApplyResult


@pytest.fixture
def routed() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    interrupt.reset()
    interrupt.install()
    yield
    for s, handler in before.items():
        signal.signal(s, handler)
    interrupt.reset()


def send(signum: int) -> None:
    os.kill(os.getpid(), signum)  # delivered to the main thread before os.kill returns to Python code


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_raises_an_interrupt_with_the_shells_exit_code(routed: None, signum: int, code: int) -> None:
    with pytest.raises(KeyboardInterrupt) as caught:
        send(signum)
    assert isinstance(caught.value, interrupt.Interrupted)
    assert interrupt.exit_code(caught.value) == code
    assert interrupt.received() == signum


def test_inside_graceful_the_first_signal_only_asks_to_stop_the_second_raises(routed: None) -> None:
    notices: list[int] = []
    with interrupt.graceful(notices.append) as stop_requested:
        assert not stop_requested()
        send(signal.SIGTERM)
        assert stop_requested() and notices == [signal.SIGTERM]
        with pytest.raises(interrupt.Interrupted):
            send(signal.SIGINT)
    assert interrupt.exit_code() == 143  # the first signal decides the exit code


def test_shielded_holds_a_signal_until_the_block_is_done(routed: None) -> None:
    done = []
    with pytest.raises(interrupt.Interrupted):
        with interrupt.shielded():
            send(signal.SIGINT)
            done.append("cleanup")
    assert done == ["cleanup"]


def test_shielded_does_not_raise_again_when_the_run_is_already_stopping(routed: None) -> None:
    with interrupt.graceful():
        send(signal.SIGINT)  # asks to stop
        with interrupt.shielded():
            send(signal.SIGINT)  # would force; held, then dropped: the run is stopping anyway
    assert interrupt.stop_requested()


def test_interrupted_message_after_a_graceful_stop() -> None:
    result = ApplyResult(done=["a", "b", "c"], interrupted=True, not_started=["d", "e"])
    assert interrupted_message(7, ".meshctl/state.json", result, reconciled=2) == (
        "interrupted: state (serial 7, at .meshctl/state.json) holds the 3 changes that finished; "
        "the 2 in flight were reconciled; 2 were not started; the lock was released. "
        "Run `meshctl plan` to see what is left."
    )


def test_interrupted_message_after_a_forced_stop_names_the_unknown() -> None:
    result = ApplyResult(done=["v"], failed={"x": "boom"}, interrupted=True, in_flight=["y", "z"], not_started=["w"])
    assert interrupted_message(1, "s3://b/k", result, reconciled=2) == (
        "interrupted: state (serial 1, at s3://b/k) holds the 1 change that finished; "
        "2 in flight are unknown: run `meshctl plan` to see; 1 failed; 1 was not started; the lock was released. "
        "Run `meshctl plan` to see what is left."
    )


def test_once_the_command_is_over_a_signal_changes_nothing(routed: None) -> None:
    """After the command ended (state written, output printed), a signal neither raises nor
    reaches Python's shutdown, which would put back the default action and die with -15."""
    interrupt.ignore_from_now()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    interrupt._handle(signal.SIGTERM, None)  # one that landed while the dispositions changed: no exception
    assert interrupt.received() is None


def test_a_test_calling_the_cli_in_process_keeps_its_signals() -> None:
    interrupt.reset()  # nothing installed: not meshctl's own process
    before = signal.getsignal(signal.SIGINT)
    interrupt.ignore_from_now()
    assert signal.getsignal(signal.SIGINT) == before
