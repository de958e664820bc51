"""Errors a user can act on.

Configuration problems are values (`Diagnostic`), collected and reported together;
runtime problems raise one `MeshError` family. The CLI turns both into one clear
message and exit code 1; only `--debug` shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRange:
    file: str
    line: int
    # The block instance the range belongs to, e.g. `data_product.orders["eu"]`, when the block
    # has for_each or count: its instances share the block's lines, errors name the instance.
    instance: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" or "warning"
    summary: str
    detail: str = ""
    hint: str = ""
    source: SourceRange | None = None

    def format(self) -> str:
        where = f"{self.source}: " if self.source else ""
        instance = f"{self.source.instance}: " if self.source and self.source.instance else ""
        lines = [f"{where}{self.severity}: {instance}{self.summary}"]
        if self.detail:
            lines.append(f"  {self.detail}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def error(summary: str, source: SourceRange | None = None, detail: str = "", hint: str = "") -> Diagnostic:
    return Diagnostic("error", summary, detail, hint, source)


def warning(summary: str, source: SourceRange | None = None, detail: str = "", hint: str = "") -> Diagnostic:
    return Diagnostic("warning", summary, detail, hint, source)


class MeshError(Exception):
    """A failure the user can act on; printed as one message, exit code 1."""

    exit_code = 1

    def format(self) -> str:
        return f"error: {self}"


class ConfigError(MeshError):
    """One or more configuration diagnostics with severity error."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=_diag_sort_key)
        super().__init__(f"{len(self.errors)} configuration error(s)")

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def format(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


def _diag_sort_key(d: Diagnostic) -> tuple[str, int, str, str]:
    if d.source is None:
        return ("", 0, "", d.summary)
    return (d.source.file, d.source.line, d.source.instance, d.summary)


class Diagnostics:
    """Collects diagnostics across a pass; `raise_if_errors` ends the pass."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def add(self, diag: Diagnostic) -> None:
        if diag not in self.items:  # one problem reached twice (a variable without a value, referenced) is one error
            self.items.append(diag)

    def error(self, summary: str, source: SourceRange | None = None, detail: str = "", hint: str = "") -> None:
        self.items.append(error(summary, source, detail, hint))

    def warning(self, summary: str, source: SourceRange | None = None, detail: str = "", hint: str = "") -> None:
        self.items.append(warning(summary, source, detail, hint))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise ConfigError(self.items)
