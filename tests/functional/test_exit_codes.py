"""Exit codes a CI job can trust: usage errors are 1 (2 means "changes"), `validate --json`
is data on stdout, and an interrupt outside a command is 130, not click's "Aborted!"."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import run
from tests.helpers import MINIMAL, write_mesh

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy"], "Error: No such command 'deploy'."),
        (["plan", "--colour"], "Error: No such option '--colour'."),
        (["apply", "missing.plan"], "Error: Invalid value for '[DIR|PLANFILE]': Path 'missing.plan' does not exist."),
        (["apply", "--lock-timeout", "soon", "."], "Error: Invalid value for '--lock-timeout': 'soon' is not a"),
        (["plan", "--allow-delete", "kafka_topics", "."], "Error: Invalid value for '--allow-delete': 'kafka_topics'"),
        (["import"], "Error: give ADDRESS and ID, or --discover"),
        (["state", "show"], "Error: Missing argument 'ADDRESS'."),
        (["plan", "--var-file"], "Error: Option '--var-file' requires an argument."),
        (["--no-such-global", "plan"], "Error: No such option '--no-such-global'."),
        (["plan", "--target", 'module.["x', "."], "Error: Invalid value for '--target': 'module.[\"x' is not a target"),
        (["apply", "--target", "kafka_topic.", "."], "Error: Invalid value for '--target': 'kafka_topic.' is not a"),
    ],
)
def test_a_usage_error_exits_1_with_clicks_message(mesh_dir: Path, args: list[str], message: str) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_a_bad_var_flag_is_a_configuration_error_exit_1(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    result = run("validate", "--var", "team", ".")
    assert result.exit_code == 1
    assert "error: --var 'team': expected NAME=VALUE" in result.stderr
    assert "Traceback" not in result.output


def test_the_console_script_maps_usage_errors_to_1() -> None:
    meshctl = Path(sys.executable).with_name("meshctl")
    proc = subprocess.run([str(meshctl), "deploy"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "No such command 'deploy'" in proc.stderr


def test_validate_json_when_valid_lists_warnings(mesh_dir: Path) -> None:
    own = 'access "self" {\n  product = "sales.orders"\n  consumer = "sales"\n}\n'
    write_mesh(mesh_dir, {"main.hcl": MINIMAL + own})
    result = run("validate", "--json", ".")
    assert result.exit_code == 0
    assert result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["valid"] is True and doc["format_version"] == "1.0"
    assert (doc["error_count"], doc["warning_count"]) == (0, 1)
    (warning,) = doc["diagnostics"]
    assert warning["severity"] == "warning"
    assert (warning["file"], warning["line"]) == ("main.hcl", 23)
    assert set(warning) == {"severity", "summary", "detail", "hint", "file", "line", "range"}


def test_validate_json_when_invalid_is_data_and_exit_1(mesh_dir: Path) -> None:
    other = 'domain "x" {\n  parent = "nowhere"\n  owners { accountable = "x@acme.example" }\n}\n'
    bad = MINIMAL.replace('parent = "commerce"', 'parent = "comerce"') + other
    write_mesh(mesh_dir, {"main.hcl": bad})
    result = run("validate", "--json", ".")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False and doc["format_version"] == "1.0"
    assert doc["error_count"] == len(doc["diagnostics"]) >= 2
    parent = next(d for d in doc["diagnostics"] if "comerce" in d["summary"])
    assert parent["severity"] == "error"
    assert (parent["file"], parent["line"]) == ("main.hcl", 5)
    assert "commerce" in parent["hint"]
    assert all(set(d) == {"severity", "summary", "detail", "hint", "file", "line", "range"} for d in doc["diagnostics"])
    # stderr carries one summary line and nothing else
    assert result.stderr == f"{doc['error_count']} errors in the configuration.\n"


def test_validate_json_without_a_mesh_is_one_diagnostic(mesh_dir: Path) -> None:
    result = run("validate", "--json", ".")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False
    assert doc["diagnostics"][0]["summary"] == "no *.hcl files in ."
    assert doc["diagnostics"][0]["file"] is None


def test_validate_json_with_a_bad_var_file_names_it(mesh_dir: Path) -> None:
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    (mesh_dir / "bad.vars").write_text("team = \n")
    result = run("validate", "--json", "--var-file", "bad.vars", ".")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["diagnostics"][0]["file"] == "bad.vars"


def wait_until_meshctl_routes_signals(pid: int, timeout: float = 60.0) -> None:
    """Python itself catches SIGINT from its first milliseconds (a traceback from the interpreter's
    own start-up is not meshctl's to prevent); meshctl's code runs once SIGTERM is caught too."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Path(f"/proc/{pid}/status").read_text()
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.001)
    raise AssertionError("meshctl never installed its signal handlers")


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.15, 0.4])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_startup_prints_no_traceback(mesh_dir: Path, delay: float, signum: int) -> None:
    """The signal lands in the heavy imports, in loading the mesh or after validate finished."""
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    proc = subprocess.Popen(
        [sys.executable, "-m", "meshctl", "validate", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=mesh_dir,
    )
    wait_until_meshctl_routes_signals(proc.pid)
    time.sleep(delay)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err and "Traceback" not in out
    if proc.returncode == 0:  # validate finished before the signal arrived
        assert out.startswith("Success!")
        return
    assert proc.returncode == 128 + signum, (proc.returncode, err)
    assert err.strip() == "interrupted: nothing was changed"


def test_a_signal_as_the_process_shuts_down_after_a_finished_run_changes_nothing(mesh_dir: Path) -> None:
    """A SIGTERM landing while Python shuts down after a finished run (here sent by an atexit
    hook, deterministically): meshctl ignores it, so the run keeps its exit code 0. Before, the
    handler raised inside the shutdown (a traceback), or, a moment later, Python had put back
    the default action and the process died with -15 (14 of 60 runs signalled just after
    their output)."""
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    child = (
        "import atexit, os, signal, sys\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGTERM))\n"
        "sys.argv = ['meshctl', 'validate', '.']\n"
        "from meshctl.__main__ import run\n"
        "run()\n"
    )
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, cwd=mesh_dir, timeout=60)
    assert proc.stdout.startswith("Success!"), proc.stderr
    assert proc.returncode == 0, (proc.returncode, proc.stderr)
    assert proc.stderr == "", proc.stderr


def test_a_signal_python_rewraps_during_an_import_is_still_an_interrupt(mesh_dir: Path) -> None:
    """A signal landing in a class body while a module is imported reaches meshctl from
    `__set_name__` as a RuntimeError (Python 3.11) caused by the interrupt: CI saw its traceback
    once in 20 runs (`...in 'Scope'`). Made deterministic: the signal is sent from inside
    `__set_name__` while meshctl imports its command line."""
    write_mesh(mesh_dir, {"main.hcl": MINIMAL})
    child = (
        "import os, signal, sys, types\n"
        "sys.argv = ['meshctl', 'validate', '.']\n"
        "from meshctl.__main__ import run\n"
        "def main():\n"
        "    class Field:\n"
        "        def __set_name__(self, owner, name):\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "    class Scope:\n"
        "        field = Field()\n"
        "fake = types.ModuleType('meshctl.cli.main')\n"
        "fake.main = main\n"
        "sys.modules['meshctl.cli.main'] = fake\n"
        "run()\n"
    )
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, cwd=mesh_dir, timeout=60)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 130, (proc.returncode, proc.stderr)
    assert proc.stderr.strip() == "interrupted: nothing was changed"


def test_a_rewrapped_signal_inside_a_command_is_an_interrupt_not_an_internal_error() -> None:
    import click

    from meshctl import interrupt
    from meshctl.cli.errors import handle_errors

    @handle_errors
    def command() -> None:
        interrupt._received.append(signal.SIGTERM)
        try:
            raise interrupt.Interrupted(signal.SIGTERM)
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance 'field' in 'Scope'") from exc

    try:
        with click.Context(click.Command("report")):
            with pytest.raises(SystemExit) as done:
                command()
        assert done.value.code == 143
        assert interrupt.wrapped_signal(RuntimeError("unrelated")) is None
    finally:
        interrupt.reset()
    assert interrupt.wrapped_signal(RuntimeError("no signal received")) is None
