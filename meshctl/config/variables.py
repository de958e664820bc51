"""Input variables: `variable` blocks bound to their values.

Precedence, lowest first: the declared default, the selected environment's `variables`, a
saved plan's value, `MESHCTL_VAR_<name>`, the mesh directory's auto-loaded var files
(`meshctl.meshvars`, then each `*.auto.meshvars` in name order), each `--var-file` in order,
each `--var` in order.
A value that fails its type, a variable without a value and a value for an undeclared
variable are diagnostics; the message never shows a sensitive value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from meshctl.config import ast, hcl
from meshctl.config.evaluate import EvalError, Namespace, Scope, evaluate
from meshctl.config.language import VARIABLE
from meshctl.config.schema import decode, type_problem
from meshctl.config.types import ConversionError, TypeSpec, convert, structural_type
from meshctl.config.validation import Validation, read_validations
from meshctl.config.validation import check as check_validations
from meshctl.errors import Diagnostic, Diagnostics, SourceRange, error

ENV_VAR_PREFIX = "MESHCTL_VAR_"


@dataclass(frozen=True)
class VariableValue:
    value: object
    sensitive: bool
    # "default", "saved plan", "environment MESHCTL_VAR_x", "auto var file", "--var-file", "--var x"
    origin: str


@dataclass(frozen=True)
class VariableInputs:
    """Every value given from outside the configuration, with what the user gave it as."""

    vars: Sequence[str] = ()  # `--var name=value`, in order
    var_files: Sequence[ast.Body] = ()  # each --var-file, read and parsed, in order
    # A saved plan's non-sensitive values, and the sensitive names it did not store.
    saved_variables: Mapping[str, object] = field(default_factory=dict)
    saved_sensitive: frozenset[str] = frozenset()
    env: Mapping[str, str] = field(default_factory=dict)
    # The selected environment's `variables = { ... }` (config.environments), and where it is.
    environment_values: Mapping[str, object] = field(default_factory=dict)
    environment_src: SourceRange | None = None
    environment_origin: str = "environment variables"
    # The mesh directory's auto-loaded var files (config.stages.auto_var_files), read and parsed.
    auto_var_files: Sequence[ast.Body] = ()


@dataclass(frozen=True)
class BoundVariables:
    """The declared variables with a value, and the error to repeat where one without is read."""

    values: Mapping[str, VariableValue]
    unset: Mapping[str, Diagnostic]

    def namespace(self) -> Namespace:
        """`var.*` as expressions read it."""
        return _Variables({n: v.value for n, v in self.values.items()}, self.unset)

    @property
    def secrets(self) -> tuple[object, ...]:
        """The values of variables declared `sensitive = true`: no output may show them."""
        return tuple(v.value for v in self.values.values() if v.sensitive)


@dataclass(frozen=True)
class _Declared:
    name: str
    type: str
    default: object
    has_default: bool
    sensitive: bool
    src: SourceRange
    validations: tuple[Validation, ...] = ()
    spec: TypeSpec | None = None  # a structural type (object, optional, nested): converted by config.types

    def problem(self, value: object) -> tuple[object, str]:
        """`value` as the type makes it, and why it does not fit ("" when it does)."""
        if self.spec is not None:
            try:
                return convert(value, self.spec), ""
            except ConversionError as exc:
                return value, f"var.{self.name}{exc.path}: {exc.message}"
        return value, type_problem(value, self.type) if self.type != "any" else ""


def bind(blocks: Sequence[ast.Block], inputs: VariableInputs, bare: Scope, diags: Diagnostics) -> BoundVariables:
    """Each declared variable's value from `inputs` (expressions evaluated in `bare`)."""
    decls = _declarations(blocks, bare, diags)
    values: dict[str, object] = {n: v.default for n, v in decls.items() if v.has_default}
    origins = dict.fromkeys(values, "default")
    where: dict[str, SourceRange | None] = {n: d.src for n, d in decls.items()}  # for validation errors

    def assign(name: str, raw: object, src: SourceRange | None, given_as: str, typed: bool = False) -> None:
        from_file = given_as in _FILE_ORIGINS
        origin = "auto var file" if given_as == "auto-var-file" else given_as  # as messages name it
        decl = decls.get(name)
        if decl is None:
            diags.error(
                f"{origin}: no variable {name!r} is declared",
                src,
                hint=f'declare it with variable "{name}" {{}}'
                if not decls
                else f"declared: {', '.join(sorted(decls))}",
            )
            return
        value = raw
        problem = ""
        if typed:
            value, problem = decl.problem(raw)
        if problem:  # reported where the value is written, not at the declaration
            shown = "(sensitive value hidden)" if decl.sensitive else problem
            diags.error(f"{origin}: value of {name!r} is not a valid {decl.type}", src, detail=shown)
            return
        if isinstance(raw, str) and not typed and not from_file and decl.type not in ("string", "any"):
            try:
                value = evaluate(hcl.parse_expression(raw, origin, 1), bare)
            except (hcl.HclSyntaxError, EvalError):
                shown = "(sensitive value hidden)" if decl.sensitive else f"got {raw!r}"
                diags.error(f"{origin}: value of {name!r} is not a valid {decl.type}", src, detail=shown)
                return
        values[name] = value
        origins[name] = _FILE_ORIGINS.get(given_as, given_as)
        where[name] = src

    # The selected environment's `variables`: written in HCL (typed, like a var file's), above
    # the defaults and below a saved plan's values, which were made from them.
    for name, value in inputs.environment_values.items():
        assign(name, value, inputs.environment_src, inputs.environment_origin, typed=True)
    for name, value in inputs.saved_variables.items():
        if name in decls and not decls[name].sensitive:
            values[name], origins[name] = value, "saved plan"
    _assign_given(inputs, decls, bare, diags, assign)
    unset = _check_values(decls, values, origins, inputs.saved_sensitive, diags)
    for name, decl in decls.items():
        if decl.validations and name in values and name not in unset and not _type_fails(decl, values[name]):
            origin = origins[name] + (f" ({where[name]})" if where.get(name) and origins[name] != "default" else "")
            check_validations(name, values[name], decl.sensitive, origin, decl.validations, bare, diags)
    bound = {n: VariableValue(values[n], decls[n].sensitive, origins[n]) for n in decls if n in values}
    return BoundVariables(bound, unset)


def _declarations(blocks: Sequence[ast.Block], bare: Scope, diags: Diagnostics) -> dict[str, _Declared]:
    decls: dict[str, _Declared] = {}
    for block in blocks:
        type_expr = block.body.attributes.get("type")  # `type = string` is a keyword, not a reference
        validations, block = read_validations(block, diags)
        rest = ast.Body({k: a for k, a in block.body.attributes.items() if k != "type"}, block.body.blocks)
        d = decode(ast.Block(block.type, block.labels, rest, block.src), VARIABLE, bare, diags)
        if d is None:
            continue
        name = d.labels[0]
        if name in decls:
            diags.error(f'duplicate variable "{name}"', block.src, detail=f"first declared at {decls[name].src}")
            continue
        spec = structural_type(type_expr, bare, diags) if type_expr else None
        type_ = str(spec) if spec else _type_keyword(type_expr, diags) if type_expr else "any"
        decls[name] = _Declared(
            name,
            type_,
            d.get("default"),
            "default" in d.values,
            bool(d.get("sensitive", False)),
            block.src,
            tuple(validations),
            spec,
        )
    return decls


def _assign_given(
    inputs: VariableInputs,
    decls: Mapping[str, _Declared],
    bare: Scope,
    diags: Diagnostics,
    assign: Callable[[str, object, SourceRange | None, str], None],
) -> None:
    """The environment, then each auto var file, then each var file, then each --var: a later one wins."""
    for key, raw in sorted(inputs.env.items()):
        if key.startswith(ENV_VAR_PREFIX) and key[len(ENV_VAR_PREFIX) :] in decls:
            assign(key[len(ENV_VAR_PREFIX) :], raw, None, f"environment {key}")
    files = [(b, "auto-var-file") for b in inputs.auto_var_files] + [(b, "var-file") for b in inputs.var_files]
    for body, origin in files:
        for attr in body.attributes.values():
            try:
                value = evaluate(attr.expr, bare)
            except EvalError as exc:
                diags.add(exc.diagnostic)
                continue
            assign(attr.name, value, attr.src, origin)
    for item in inputs.vars:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            diags.error(f"--var {item!r}: expected NAME=VALUE", hint="e.g. --var env=prod")
            continue
        assign(name.strip(), raw, None, f"--var {name.strip()}")


# A value read from a file (already HCL, never re-parsed) and how its origin is shown.
_FILE_ORIGINS = {"var-file": "--var-file", "auto-var-file": "auto var file"}


def _check_values(
    decls: Mapping[str, _Declared],
    values: dict[str, object],
    origins: Mapping[str, str],
    saved_sensitive: frozenset[str],
    diags: Diagnostics,
) -> dict[str, Diagnostic]:
    """Type-check every value; returns the error of each declared variable left without one,
    to be given again (once) where it is referenced."""
    unset: dict[str, Diagnostic] = {}
    for name, decl in decls.items():
        if name in saved_sensitive and origins.get(name, "default") == "default":
            unset[name] = error(
                f'variable "{name}" is sensitive: the saved plan does not store its value',
                decl.src,
                hint=f"give it again when applying the plan: with --var, a --var-file or {ENV_VAR_PREFIX}{name}",
            )
            diags.add(unset[name])
            continue
        if name not in values:
            unset[name] = error(
                f'variable "{name}" has no value',
                decl.src,
                hint=f"pass --var {name}=..., set {ENV_VAR_PREFIX}{name}, or give it a default",
            )
            diags.add(unset[name])
            continue
        converted, problem = decl.problem(values[name])
        if not problem:
            values[name] = converted  # object defaults filled in, primitives converted (structural types)
        if problem:
            shown = "" if decl.sensitive else f": {problem}"  # never echo a secret
            if decl.spec is not None:  # the type can be long: the path that fails first, the type below
                diags.error(f'variable "{name}" has an invalid value{shown}', decl.src, detail=f"its type: {decl.type}")
                continue
            diags.error(f'variable "{name}" must be a {decl.type}{shown}', decl.src)
    return unset


def _type_fails(decl: _Declared, value: object) -> bool:
    return bool(decl.problem(value)[1])


class _Variables(Namespace):
    """`var.*`: a reference to a declared variable without a value repeats the error given at its
    declaration (reported once), not "undeclared"."""

    def __init__(self, values: Mapping[str, object], unset: Mapping[str, Diagnostic]):
        super().__init__(values)
        self.unset = unset

    def get(self, name: str, src: SourceRange) -> object:
        if name in self.unset:
            raise EvalError(self.unset[name])
        return super().get(name, src)


_TYPE_WORDS = {"string": "string", "number": "number", "bool": "bool", "any": "any"}


def _type_keyword(attr: ast.Attribute, diags: Diagnostics) -> str:
    e = attr.expr
    if isinstance(e, ast.Variable) and e.name in _TYPE_WORDS:
        return e.name
    if isinstance(e, ast.Literal) and e.value in _TYPE_WORDS:
        return str(e.value)
    if isinstance(e, ast.Call) and e.name in ("list", "map", "set") and len(e.args) == 1:
        inner = e.args[0]
        word = inner.name if isinstance(inner, ast.Variable) else "any"
        return f"{'list' if e.name == 'set' else e.name}({_TYPE_WORDS.get(word, 'any')})"
    diags.error("unsupported variable type", attr.src, hint="use string, number, bool, list(...) or map(...)")
    return "any"
