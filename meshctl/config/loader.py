"""Load a mesh directory: the stages of `config.stages`, run in order, behind one call.

The result is a `Mesh` model plus warnings. Each line of stages runs whole and its problems
are reported together, as one `ConfigError`; a later line runs only when the earlier ones
found no error. The sensitive values the stages find are registered for redaction here, the
moment their stage returns, before anything could show them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from meshctl import redaction
from meshctl.config import hcl, stages
from meshctl.config.environments import Environment, declared_names
from meshctl.config.functions import make_functions
from meshctl.config.parse_cache import ParseCache
from meshctl.config.variables import ENV_VAR_PREFIX, VariableInputs, VariableValue
from meshctl.errors import ConfigError, Diagnostic
from meshctl.mesh.model import Mesh

__all__ = ["ENV_VAR_PREFIX", "LoadOptions", "LoadedConfig", "VariableValue", "environment_names", "load"]

T = TypeVar("T")


@dataclass
class LoadOptions:
    vars: list[str] = field(default_factory=list)  # `--var name=value`, in order
    var_files: list[Path] = field(default_factory=list)
    # A saved plan's non-sensitive values (above defaults, below everything the user gives, so a
    # conflicting value can be told apart), and the sensitive names it did not store.
    saved_variables: Mapping[str, object] = field(default_factory=dict)
    saved_sensitive: frozenset[str] = frozenset()  # given explicitly when planning: needed again
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # The parse cache's root in the user's cache directory (config.parse_cache); None: parse every time.
    cache_dir: Path | None = None
    # The environment to load (`-e`, MESHCTL_ENVIRONMENT); None: none chosen, which a mesh with
    # environment blocks refuses (config.environments).
    environment: str | None = None
    # The date exceptions expire against (mesh.exceptions); None: the system's. Tests set it.
    today: date | None = None


@dataclass
class LoadedConfig:
    mesh: Mesh
    warnings: list[Diagnostic]
    files: dict[str, str]  # display path -> text, for hashing and fmt
    variables: dict[str, VariableValue] = field(default_factory=dict)
    environment: Environment = field(default_factory=Environment)


def load(directory: Path, options: LoadOptions | None = None) -> LoadedConfig:
    options = options or LoadOptions()
    cache = ParseCache.open(options.cache_dir, directory, hcl.parse)
    run = _Run()

    sources = run.take(stages.read_sources(directory))
    cache.prefetch(sources.texts)  # a cold parse of many files is spread over the cores
    bodies = run.take(stages.parse_sources(sources, cache.parse))
    run.stop_on_errors()

    functions = make_functions(directory)
    collected = run.take(stages.collect_blocks(bodies))
    selection = run.take(stages.select_environment(collected, options.environment, functions))
    run.stop_on_errors()  # a wrong or missing environment: nothing else is worth reporting
    blocks, environment = selection.blocks, selection.environment
    var_files = run.take(stages.read_var_files(options.var_files))
    auto_paths = run.take(stages.auto_var_files(directory))
    auto_var_files = run.take(stages.read_var_files(auto_paths, "auto var file "))
    inputs = VariableInputs(
        options.vars,
        var_files,
        options.saved_variables,
        options.saved_sensitive,
        options.env,
        environment.variables,
        environment.variables_src,
        f'environment "{environment.name}" variables',
        auto_var_files,
    )
    variables = run.take(stages.bind_variables(blocks["variable"], inputs, functions))
    scope = run.take(stages.evaluate_locals(blocks["locals"], variables, functions, environment))
    decoded = run.take(stages.decode_blocks(blocks, scope))
    decoded = run.take(stages.decode_module_mesh(decoded, blocks["module"], scope, directory, cache.parse))
    run.stop_on_errors()

    mesh = run.take(stages.build_model(decoded, directory))
    mesh = run.take(stages.place_in_environment(mesh, environment))
    mesh = run.take(stages.validate_model(mesh, options.today))
    run.stop_on_errors()

    # Modules see the validated mesh: they run once it is known to be whole.
    mesh = run.take(stages.expand_modules(blocks["module"], mesh, scope, cache.parse))
    mesh = run.take(stages.validate_expanded(mesh))
    sensitive_vars = {name for name, v in variables.values.items() if v.sensitive}
    mesh = run.take(stages.evaluate_root_outputs(blocks["output"], mesh, scope, sensitive_vars))
    run.stop_on_errors()

    cache.prune()  # after the modules' files, so their entries are kept too
    return LoadedConfig(mesh, run.warnings, dict(sources.texts), dict(variables.values), environment)


def environment_names(directory: Path, options: LoadOptions | None = None) -> tuple[str, ...]:
    """The environments the mesh declares, in file order (() for none): what `validate` checks
    one after the other when none is selected. Syntax errors are raised as `load` raises them."""
    options = options or LoadOptions()
    cache = ParseCache.open(options.cache_dir, directory, hcl.parse)
    run = _Run()
    sources = run.take(stages.read_sources(directory))
    bodies = run.take(stages.parse_sources(sources, cache.parse))
    blocks = run.take(stages.collect_blocks(bodies))
    run.stop_on_errors()
    return tuple(declared_names(blocks))


class _Run:
    """The diagnostics of the stages run so far; the one place their secrets are registered."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def take(self, staged: stages.Staged[T]) -> T:
        _register_secrets(staged.secrets)
        # One problem reached by two stages (a variable without a value, referenced) is one error.
        earlier = set(self.diagnostics)
        self.diagnostics += [d for d in staged.diagnostics if d not in earlier]
        return staged.value

    def stop_on_errors(self) -> None:
        if any(d.severity == "error" for d in self.diagnostics):
            raise ConfigError(self.diagnostics)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def _register_secrets(values: tuple[object, ...]) -> None:
    """Sensitive values the configuration gave (variables, modules' inputs and outputs) are
    masked in every output from now on: log records, error messages, tracebacks."""
    redaction.register(*values)
