"""Every malformed configuration in tests/corpus/malformed: exit 1, `file:line: error:`,
the expected summary, and no traceback. Each file's first line says what to expect."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run

CORPUS = Path(__file__).parents[1] / "corpus" / "malformed"
CASES = sorted(CORPUS.glob("*.hcl"))
EXPECT = re.compile(r"^# expect: (\d+): (.+)$")


def _expectation(path: Path) -> tuple[int, str]:
    m = EXPECT.match(path.read_text().splitlines()[0])
    assert m, f"{path.name} must start with '# expect: LINE: text'"
    return int(m.group(1)), m.group(2)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_malformed_configuration(case: Path, mesh_dir: Path) -> None:
    line, text = _expectation(case)
    shutil.copy(case, mesh_dir / case.name)
    result = run("validate", ".")
    assert result.exit_code == 1, result.output
    assert f"{case.name}:{line}: error: {text}" in result.stderr, result.stderr
    assert "hint:" in result.stderr or "  " in result.stderr  # a line of detail or a hint follows
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("case", ["parent_cycle.hcl", "syntax_unclosed_brace.hcl"])
def test_a_real_process_prints_no_traceback_and_exits_1(case: str, tmp_path: Path) -> None:
    shutil.copy(CORPUS / case, tmp_path / case)
    proc = subprocess.run(
        [sys.executable, "-m", "meshctl", "plan", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{case}:" in proc.stderr and ": error: " in proc.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    shutil.copy(CORPUS / "parent_cycle.hcl", tmp_path / "parent_cycle.hcl")
    proc = subprocess.run(
        [sys.executable, "-m", "meshctl", "--debug", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
