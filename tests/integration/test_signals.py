"""SIGINT and SIGTERM sent to a real `python -m meshctl` process against the real broker.

To hold apply at a known point, the broker is paused (SIGSTOP) once the plan is printed: the
first batch then waits on it, the signal arrives while that batch is in flight, and the broker
is resumed (SIGCONT) so the batch can finish.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import pytest

from meshctl.engine.workspace import Workspace
from meshctl.plan.model import ResourceChange
from meshctl.providers.base import ChangeResult
from meshctl_sandbox.kafka import KafkaSandbox
from tests.cli import run
from tests.integration import mesh

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAME = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Meshctl:
    """A meshctl process whose stdout and stderr are read as they come."""

    def __init__(self, *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL):
        env = dict(os.environ, PYTHONUNBUFFERED="1", NO_COLOR="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "meshctl", *args],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:  # type: ignore[no-untyped-def]
        while chunk := os.read(stream.fileno(), 4096):
            sink.append(chunk.decode(errors="replace"))

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, text: str, where: str = "stderr", timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in getattr(self, where):
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the pumps drain
                if text in getattr(self, where):
                    return
                break
            time.sleep(0.02)
        raise AssertionError(f"{text!r} never came on {where}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}")

    def finish(self, timeout: float = 120.0) -> int:
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.2)
        return code


@contextmanager
def paused(broker: KafkaSandbox) -> Iterator[int]:
    pid = broker.pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        os.kill(pid, signal.SIGCONT)


def recorded(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / ".meshctl" / "state.json").read_text())


FINISHED = re.compile(
    r"interrupted: state \(serial (\d+), at (.+?)\) holds the (\d+) changes? that finished; "
    r"(?:the (\d+) in flight (?:was|were) reconciled|(\d+) in flight (?:is|are) unknown: run `meshctl plan` to see); "
    r"(\d+) (?:was|were) not started; the lock was released\. Run `meshctl plan` to see what is left\."
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_apply_finishes_the_batch_in_flight_records_it_and_stops(
    workdir: Path, prefix: str, broker: KafkaSandbox, signum: int
) -> None:
    mesh.write(workdir, prefix)
    total = len(Workspace(workdir).run().plan().actionable)
    p = Meshctl("apply", "--auto-approve", ".", cwd=workdir)
    p.wait_for("Plan: ", where="stdout")
    with paused(broker):
        p.wait_for("Creating...")  # the first batch is sent and waits on the paused broker
        time.sleep(0.3)
        p.proc.send_signal(signum)
        p.wait_for(f"{NAME[signum]} received: letting the ")
    code = p.finish()
    err = p.stderr
    assert code == EXIT[signum], err
    assert "Traceback" not in err + p.stdout
    assert "Send it again to stop at once." in err
    found = FINISHED.search(err)
    assert found, err
    serial, where, done, reconciled, unknown, not_started = found.groups()
    assert unknown is None and int(reconciled) > 0
    state = recorded(workdir)
    assert int(serial) == state["serial"]
    assert Path(where).resolve() == (workdir / ".meshctl" / "state.json").resolve()
    assert int(done) == len(state["resources"]) == int(reconciled)  # exactly the first batch, all recorded
    assert int(done) + int(not_started) == total
    assert not (workdir / ".meshctl" / "state.lock").exists()
    assert "Apply complete" not in p.stdout

    # State is true to what was done: the next plan shows exactly what was not started.
    left = run("plan", "--no-color", "--detailed-exitcode", ".")
    assert left.exit_code == 2
    assert f"Plan: {not_started} to add, 0 to change, 0 to destroy." in left.stdout
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_a_second_signal_stops_at_once_and_says_the_batch_is_unknown(
    workdir: Path, prefix: str, broker: KafkaSandbox
) -> None:
    mesh.write(workdir, prefix)
    p = Meshctl("apply", "--auto-approve", ".", cwd=workdir)
    p.wait_for("Plan: ", where="stdout")
    with paused(broker):
        p.wait_for("Creating...")
        p.proc.send_signal(signal.SIGTERM)
        p.wait_for("SIGTERM received")
        p.proc.send_signal(signal.SIGTERM)
        code = p.finish(timeout=30)  # at once, although the broker still does not answer
    err = p.stderr
    assert code == 143, err
    assert "Traceback" not in err
    found = FINISHED.search(err)
    assert found, err
    serial, _, done, reconciled, unknown, not_started = found.groups()
    assert reconciled is None and int(unknown) > 0 and int(done) == 0
    assert not (workdir / ".meshctl" / "state.lock").exists()
    state_file = workdir / ".meshctl" / "state.json"
    assert not state_file.exists() or recorded(workdir)["resources"] == []
    # What the unknown batch did shows in the next plan; apply then converges.
    assert run("plan", "--detailed-exitcode", ".").exit_code == 2
    assert run("apply", "--auto-approve", ".").exit_code == 0
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_ctrl_c_at_the_prompt_applies_nothing_and_releases_the_lock(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    p = Meshctl("apply", ".", cwd=workdir, stdin=subprocess.PIPE)
    p.wait_for("Enter a value: ", where="stdout")
    assert (workdir / ".meshctl" / "state.lock").exists()
    p.proc.send_signal(signal.SIGINT)
    code = p.finish()
    assert code == 130
    assert "Traceback" not in p.stderr
    where = workdir / ".meshctl" / "state.json"
    assert p.stderr.strip().endswith(
        "interrupted before anything was applied: the state at .meshctl/state.json is unchanged; the lock was released"
    )
    assert not (workdir / ".meshctl" / "state.lock").exists()
    assert not where.exists()


def test_ctrl_c_while_waiting_for_the_lock_leaves_the_holders_lock(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    holder = Workspace(workdir).backend
    info = holder.lock("apply")
    try:
        p = Meshctl("apply", "--auto-approve", "--lock-timeout", "120", ".", cwd=workdir)
        p.wait_for(f"the state is locked by {info.describe()}; waiting up to 120s ...")
        p.proc.send_signal(signal.SIGINT)
        code = p.finish()
        assert code == 130
        assert "Traceback" not in p.stderr
        assert p.stderr.strip().endswith("interrupted while waiting for the state lock: nothing was changed")
        assert holder.holder() == info  # the other run's lock is untouched
    finally:
        holder.unlock()
    assert not (workdir / ".meshctl" / "state.json").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_refresh_stops_plan_without_a_traceback(
    workdir: Path, prefix: str, broker: KafkaSandbox, signum: int
) -> None:
    mesh.write(workdir, prefix)
    with paused(broker):
        p = Meshctl("plan", ".", cwd=workdir)
        p.wait_for("refreshing from Kafka")
        time.sleep(0.5)  # inside the refresh, waiting on the paused broker
        p.proc.send_signal(signum)
        started = time.monotonic()
        code = p.finish(timeout=60)
        took = time.monotonic() - started
    assert code == EXIT[signum], p.stderr
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().endswith("interrupted: nothing was changed")
    assert took < 5, f"plan took {took:.1f}s to stop"


class StopHooks:
    """Apply hooks standing in for the signal handler: ask to stop, or raise as a second signal does."""

    def __init__(self, raise_after: int | None = None):
        self.raise_after = raise_after
        self.stop = False
        self.seen = 0

    def wave_started(self, verb: str, changes: list[ResourceChange]) -> None:
        pass

    def change_done(self, verb: str, change: ResourceChange, result: ChangeResult, elapsed_s: float) -> None:
        self.seen += 1
        self.stop = True
        if self.raise_after is not None and self.seen == self.raise_after:
            raise KeyboardInterrupt

    def change_skipped(self, change: ResourceChange, because: str) -> None:
        pass


def test_the_engine_asked_to_stop_finishes_the_wave_and_starts_no_other(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    ws = Workspace(workdir)
    state = ws.read_state()
    ws_run = ws.run(state)
    plan = ws_run.plan()
    first_wave = {c.address for c in plan.actionable if c.type in ("kafka_scram_user", "kafka_topic")}
    hooks = StopHooks()
    result = ws_run.apply(plan, hooks, lambda: hooks.stop)
    assert result.interrupted and not result.ok
    assert not result.failed, f"a change of the first wave failed (not the behaviour under test): {result.failed}"
    assert set(result.done) == first_wave and result.in_flight == []
    assert set(result.not_started) == {c.address for c in plan.actionable} - first_wave
    assert {r["address"] for r in recorded(workdir)["resources"]} == first_wave


def test_the_engine_interrupted_inside_a_wave_records_what_finished(workdir: Path, prefix: str) -> None:
    mesh.write(workdir, prefix)
    ws = Workspace(workdir)
    state = ws.read_state()
    ws_run = ws.run(state)
    plan = ws_run.plan()
    first_wave = {c.address for c in plan.actionable if c.type in ("kafka_scram_user", "kafka_topic")}
    result = ws_run.apply(plan, StopHooks(raise_after=3))
    assert result.interrupted
    assert len(result.done) == 3
    assert set(result.in_flight) == first_wave - set(result.done)  # sent, outcome not recorded
    assert set(result.not_started) == {c.address for c in plan.actionable} - first_wave
    assert {r["address"] for r in recorded(workdir)["resources"]} == set(result.done)
    assert run("apply", "--auto-approve", ".").exit_code == 0  # the rest converges
    assert run("plan", "--detailed-exitcode", ".").exit_code == 0


def test_sigterm_at_the_prompt_releases_an_s3_lock(
    workdir: Path, prefix: str, aws_env: dict[str, str], kafka_env: dict[str, str]
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="signals-state", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    mesh.write(workdir, prefix)
    key = f"{prefix}/state.json"
    (workdir / "backend.hcl").write_text(
        f'backend "s3" {{\n  bucket = "signals-state"\n  key    = "{key}"\n  region = "eu-west-1"\n}}\n'
    )
    p = Meshctl("apply", ".", cwd=workdir, stdin=subprocess.PIPE)
    p.wait_for("Enter a value: ", where="stdout")
    held = {o["Key"] for o in s3.list_objects_v2(Bucket="signals-state").get("Contents", [])}
    assert held and all(k.startswith(key) and k != key for k in held)  # the lock object, no state yet
    p.proc.send_signal(signal.SIGTERM)
    assert p.finish() == 143
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().endswith(
        f"interrupted before anything was applied: the state at s3://signals-state/{key} is unchanged; "
        "the lock was released"
    )
    assert s3.list_objects_v2(Bucket="signals-state").get("KeyCount", 0) == 0
