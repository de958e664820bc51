"""The Java clients (`java/*.java`): jars fetched once with Maven into meshctl's cache, beside
the sandbox's Kafka jars, compiled with javac once per session, each program run as a
subprocess with the password in `KAFKA_SASL_PASSWORD`.

A program prints JSON lines on stdout and, on failure, exits non-zero with one line on stderr:
`error: <Kafka error code> <exception class>: <message>` (`error: TIMEOUT ...` when it ran out
of time).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from meshctl_sandbox.kafka import KAFKA_VERSION
from meshctl_sandbox.process import SandboxError, default_cache_dir, file_lock, output_tail

SOURCES = Path(__file__).with_name("java")
POM = SOURCES / "pom.xml"
PROGRAMS = ("Produce", "Consume", "Enrich")
# Small and quick: the suite shares two cores. C1 only: the programs live for seconds.
JVM_OPTIONS = (
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.logFile=System.err",
)
_MARKER = ".complete"


@dataclass(frozen=True)
class Outcome:
    """What a program did: exit code, its JSON lines, stderr, and the Kafka error code of the
    failure line (`TOPIC_AUTHORIZATION_FAILED`, `TIMEOUT`, ...) or None."""

    exit_code: int
    lines: list[dict[str, object]]
    stderr: str
    error: str | None = None
    error_class: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def values(self) -> list[object]:
        return [line["value"] for line in self.lines if "value" in line]

    def __str__(self) -> str:  # what an assertion message shows
        return f"exit {self.exit_code}, error {self.error} ({self.error_class})\n{self.stderr[-3000:]}"


def _fetch_jars(cache: Path) -> Path:
    """`<cache>/lib`, filled by Maven once; the marker holds the pom's digest, so a changed pom
    fetches again and an interrupted fetch is redone."""
    lib = cache / "lib"
    marker = cache / _MARKER
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if marker.exists() and marker.read_text().strip() == digest:
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SandboxError("Maven ('mvn') is needed to fetch the Java clients' jars; it is not on PATH")
    cache.mkdir(parents=True, exist_ok=True)
    with file_lock(cache / ".lock"):
        if marker.exists() and marker.read_text().strip() == digest:
            return lib
        shutil.rmtree(lib, ignore_errors=True)
        cmd = [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies", "-DincludeScope=runtime",
               f"-DoutputDirectory={lib}", f"-Dkafka.version={KAFKA_VERSION}"]  # fmt: skip
        result = subprocess.run(cmd, cwd=cache, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SandboxError(f"fetching the Java clients' jars with Maven failed (exit {result.returncode})",
                               output_tail(result))  # fmt: skip
        if not (lib / f"kafka-streams-{KAFKA_VERSION}.jar").exists():
            raise SandboxError(f"Maven finished but {lib} holds no kafka-streams {KAFKA_VERSION} jar")
        marker.write_text(digest + "\n")
    return lib


def _tool(name: str) -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / name).exists():
        return str(Path(java_home) / "bin" / name)
    found = shutil.which(name)
    if found is None:
        raise SandboxError(f"'{name}' (a JDK 17+) is needed to build and run the Java clients; it is not on PATH")
    return found


@dataclass
class JavaClients:
    """Produce, Consume and Enrich, built into `workdir`."""

    workdir: Path
    cache_dir: Path | None = None
    classpath: str = field(init=False, default="")
    java: str = field(init=False, default="")

    def build(self) -> None:
        self.java = _tool("java")
        javac = _tool("javac")
        lib = _fetch_jars((self.cache_dir or default_cache_dir()) / f"java-clients-{KAFKA_VERSION}")
        classes = self.workdir / "classes"
        sources = sorted(str(p) for p in SOURCES.glob("*.java"))
        result = subprocess.run(
            [javac, "-nowarn", "-cp", f"{lib}/*", "-d", str(classes), *sources],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise SandboxError("javac failed on the Java clients", output_tail(result))
        self.classpath = f"{classes}{os.pathsep}{lib}/*"

    def run(
        self,
        program: str,
        config: Path,
        *args: str,
        password: str | None,
        overrides: dict[str, str] | None = None,
        timeout: float = 180,
    ) -> Outcome:
        """Run `program CONFIG ARGS...` with `KAFKA_SASL_PASSWORD=password` (None: the variable is
        not set, e.g. for a file that reads the password with FileConfigProvider); `overrides`
        become `--set k=v` on top of the file (denial tests only; the file is never edited)."""
        if program not in PROGRAMS:
            raise ValueError(program)
        sets = [a for k, v in (overrides or {}).items() for a in ("--set", f"{k}={v}")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "MESHCTL_"))}
        if password is not None:
            env["KAFKA_SASL_PASSWORD"] = password
        with tempfile.TemporaryDirectory(prefix="java-client-") as cwd:
            result = subprocess.run(
                [self.java, *JVM_OPTIONS, "-cp", self.classpath, program, str(config), *args, *sets],
                cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=timeout, check=False,
            )  # fmt: skip
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        error = error_class = None
        for line in result.stderr.splitlines():
            if line.startswith("error: "):
                code, _, rest = line.removeprefix("error: ").partition(" ")
                error, error_class = code, rest.split(":", 1)[0] if code != "TIMEOUT" else None
        return Outcome(result.returncode, lines, result.stderr, error, error_class)
