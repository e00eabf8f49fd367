"""TOML pipeline specs: the Python API written down, one to one.

A spec names the same step classes with the same parameters as the Python API and is validated
by the same code (:func:`tabprep.pipeline.make_step`: registered classes only, the same
``validate_params`` wording), with the spec file and the step added in front of the message::

    target = "arr_delay"                      # optional
    description = "free text"                 # optional

    [[steps]]
    name = "impute"
    type = "SimpleImputer"
    columns = ["dep_delay", "distance"]       # or "dep_delay", or "^num_.*$" (whole-name regex)
    params = { strategy = "median" }

    [[steps]]
    name = "scale"
    type = "StandardScaler"
    columns = { dtype = "numeric", exclude = ["year"] }

``columns`` may be (as in ``Pipeline([(name, step, columns)])``):

- absent: every column except the target;
- a name, a list of names, or a regex string ``"^...$"`` matched against whole names;
- ``{ regex = "PATTERN" }``: names in which PATTERN is found (``re.search``; anchor it with
  ``^``/``$`` as needed);
- ``{ dtype = "numeric" }``: a dtype group (numeric, integer, signed_integer, unsigned_integer,
  float, decimal, string, boolean, categorical, temporal, date, datetime, duration, time,
  binary, nested) or a Polars dtype name (``"Float64"``, ``"Datetime(us)"``), or a list of them;
- either of the two tables with ``exclude = [names]``.

TOML arrays become lists, or tuples where the parameter's default is a tuple (so a spec and the
equivalent Python code give the same fitted pipeline and the same fingerprint). TOML has no null:
a parameter that takes ``None`` (and not the string ``"None"``) reads the string ``"None"`` as
``None``, e.g. exact quantile bins ``params = { strategy = "quantile", subsample = "None" }``;
:func:`spec_to_toml` writes ``None`` that way.
"""

from __future__ import annotations

import inspect
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.errors import ConfigError, TabprepError
from tabprep.pipeline._pipeline import Pipeline
from tabprep.pipeline._registry import make_step, step_class
from tabprep.pipeline._toml import parse_toml, read_toml_text, toml_error as _error, toml_value as _toml_value
from tabprep.pipeline._toml import unknown_keys as _unknown_keys

__all__ = ["PipelineSpec", "read_spec", "parse_spec", "spec_from_dict", "spec_to_toml"]

_TOP_KEYS = ("target", "description", "steps")
_STEP_KEYS = ("name", "type", "columns", "params")
_COLUMN_KEYS = ("dtype", "regex", "exclude")
_GROUPS = (
    "numeric", "integer", "signed_integer", "unsigned_integer", "float", "decimal", "string",
    "boolean", "categorical", "temporal", "date", "datetime", "duration", "time", "binary", "nested",
)
# `{regex = P}` becomes this whole-name regex, which Pipeline matches with re.fullmatch: the same
# as re.search(P, name). spec_to_toml recognises the shape and writes `{regex = P}` back.
_SEARCH_PREFIX, _SEARCH_SUFFIX = "^(?s:.*?)(?:", ")(?s:.*)$"
# repr of each selector this module built -> its TOML form, so spec_to_toml can write it back
# (a selector's repr is Polars' full description of it; bounded by the specs parsed)
_BUILT: dict[str, dict] = {}


@dataclass(frozen=True)
class PipelineSpec:
    """A parsed spec: the (unfitted) pipeline, the target column and where it came from."""

    pipeline: Any
    target: str | None = None
    description: str | None = None
    path: Path | None = None

    def fit(self, data, *, target: str | None = None, batch_size: int | None = None):
        """``self.pipeline.fit(data, target=target or self.target, batch_size=...)``."""
        return self.pipeline.fit(data, target if target is not None else self.target, batch_size=batch_size)

    def fit_transform(self, data, *, target: str | None = None, batch_size: int | None = None):
        """``self.pipeline.fit_transform(...)``: ``(fitted, training rows transformed, out-of-fold
        for cross-fitting steps)``."""
        return self.pipeline.fit_transform(data, target if target is not None else self.target,
                                           batch_size=batch_size)




def read_spec(path: str | os.PathLike[str]) -> PipelineSpec:
    """Read a TOML pipeline spec file.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    PipelineSpec

    Raises
    ------
    ConfigError
        Missing file, invalid TOML, unknown key, unknown step type or parameter, invalid value;
        the message names the file and the step (``steps[1] 'scale'``).

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "spec.toml")
    >>> with open(path, "w") as f:
    ...     _ = f.write('[[steps]]\\nname = "scale"\\ntype = "StandardScaler"\\ncolumns = ["a"]\\n')
    >>> read_spec(path).pipeline.steps
    [('scale', StandardScaler(), ['a'])]
    """
    return parse_spec(read_toml_text(path, "spec"), path=Path(path))


def parse_spec(text: str, *, path: str | os.PathLike[str] | None = None) -> PipelineSpec:
    """Parse a TOML spec from text (``path`` only names it in errors).

    Examples
    --------
    >>> spec = parse_spec('''
    ... target = "y"
    ... [[steps]]
    ... name = "impute"
    ... type = "SimpleImputer"
    ... columns = { dtype = "numeric" }
    ... params = { strategy = "median" }
    ... ''')
    >>> spec.target, spec.pipeline.steps[0][1]
    ('y', SimpleImputer(strategy='median'))
    >>> parse_spec('[[steps]]\\nname = "i"\\ntype = "SimpleImputer"\\nparams = { strategy = "avg" }', path="p.toml")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: p.toml: steps[0] 'i': The `strategy` parameter of `SimpleImputer` must be one of {'mean', 'median', 'most_frequent', 'constant'}; got 'avg' instead.
    """
    data = parse_toml(text, path, "spec")
    return spec_from_dict(data, path=path)


def spec_from_dict(data: dict, *, path: str | os.PathLike[str] | None = None) -> PipelineSpec:
    """Build a :class:`PipelineSpec` from the parsed TOML (a dict); see the module docstring."""
    label = "<spec>" if path is None else path
    if not isinstance(data, dict):
        raise _error("a spec must be a TOML table", label, found=type(data).__name__)
    _unknown_keys(data, _TOP_KEYS, "", label)
    target = data.get("target")
    if target is not None and (not isinstance(target, str) or not target):
        raise _error("`target` must be a column name (a non-empty string)", label, found=repr(target))
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise _error("`description` must be a string", label, found=repr(description))
    steps_in = data.get("steps")
    if not isinstance(steps_in, list) or not steps_in:
        raise _error("a spec needs at least one [[steps]] table", label,
                     hint='add e.g. [[steps]] name = "scale" type = "StandardScaler"')
    steps, seen = [], {}
    for i, entry in enumerate(steps_in):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"steps[{i}]" + (f" {name!r}" if isinstance(name, str) else "")
        if not isinstance(entry, dict):
            raise _error(f"{where}: a step must be a table ([[steps]])", label, found=repr(entry))
        _unknown_keys(entry, _STEP_KEYS, f"{where}: ", label)
        if not isinstance(name, str) or not name:
            raise _error(f"{where}: `name` must be a non-empty string", label, found=repr(name))
        if name in seen:
            raise _error(f"{where}: step name {name!r} is used twice (also steps[{seen[name]}])", label,
                         hint="give every step its own name")
        seen[name] = i
        type_name = entry.get("type")
        if not isinstance(type_name, str) or not type_name:
            raise _error(f"{where}: `type` must be a step class name such as 'StandardScaler'", label,
                         found=repr(type_name))
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise _error(f"{where}: `params` must be a table, e.g. params = {{ strategy = \"median\" }}", label,
                         found=repr(params))
        try:
            step = _make_step(type_name, params)
            columns = _columns_from_toml(entry["columns"]) if "columns" in entry else None
        except TabprepError as exc:
            raise _error(f"{where}: {exc.message}", label, found=exc.found, hint=exc.hint) from None
        steps.append((name, step, columns))
    try:
        pipeline = Pipeline(steps)
    except TabprepError as exc:
        raise _error(exc.message, label, found=exc.found, hint=exc.hint) from None
    return PipelineSpec(pipeline, target, description, None if path is None else Path(path))


def _make_step(type_name: str, params: dict):
    cls = step_class(type_name)
    if cls is not None:
        # TOML has arrays only: give a tuple where the Python default is one, as Python code would
        defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()}
        params = {k: tuple(v) if isinstance(v, list) and isinstance(defaults.get(k), tuple) else v
                  for k, v in params.items()}
        # and no null: "None" stands for None where the parameter takes None but not that string
        params = {k: None if v == _NONE and _none_spelled(cls, k) else v for k, v in params.items()}
    return make_step(type_name, params)


#: How a spec writes Python's None (TOML has no null), for parameters that take None.
_NONE = "None"


def _none_spelled(cls, name: str) -> bool:
    """Whether the string ``"None"`` stands for ``None`` in parameter ``name`` of step ``cls``:
    the parameter takes None and does not take that string itself."""
    from tabprep._base.params import check_param

    spec = getattr(cls, "_parameter_constraints", {}).get(name)
    if spec is None or isinstance(spec, str):  # undeclared, or "no_validation": kept as written
        return False

    def takes(value) -> bool:
        try:
            check_param(value, spec, name, cls.__name__)
        except (TabprepError, TypeError, ValueError):
            return False
        return True

    return takes(None) and not takes(_NONE)


def _names(value, what: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise ConfigError(f"{what} must be a name or a list of names", found=repr(value))
    return list(items)


def _columns_from_toml(value):
    """The Python-API column selection for a spec's ``columns`` value."""
    import polars.selectors as cs

    if isinstance(value, str):
        if value.startswith("^") and value.endswith("$"):
            _check_regex(value)
        return value
    if isinstance(value, list):
        return _names(value, "`columns`")
    if not isinstance(value, dict):
        raise ConfigError("`columns` must be a name, a list of names or a table such as { dtype = \"numeric\" }",
                          found=repr(value))
    _unknown_keys(value, _COLUMN_KEYS, "`columns`: ", None)
    if ("dtype" in value) == ("regex" in value):
        raise ConfigError("`columns` as a table needs exactly one of `dtype` or `regex`", found=repr(value))
    exclude = _names(value["exclude"], "`exclude`") if "exclude" in value else []
    if "regex" in value:
        pattern = value["regex"]
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError("`regex` must be a non-empty string", found=repr(pattern))
        _check_regex(pattern)
        # an excluded name is refused by a lookahead, so the result stays a plain regex string
        guard = f"(?!(?:{'|'.join(re.escape(n) for n in exclude)})$)" if exclude else ""
        return f"^{guard}{_SEARCH_PREFIX[1:]}{pattern}{_SEARCH_SUFFIX}"
    wanted = value["dtype"]
    items = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise ConfigError("`dtype` must be a dtype group or name, or a list of them", found=repr(wanted))
    groups = [v for v in items if v.lower() in _GROUPS]
    exact = [_parse_dtype(v) for v in items if v.lower() not in _GROUPS]
    if not groups and not exclude:
        return exact[0] if len(exact) == 1 else set(exact)
    selector = None
    for part in [getattr(cs, g.lower())() for g in groups] + ([cs.by_dtype(exact)] if exact else []):
        selector = part if selector is None else selector | part
    if exclude:
        selector = selector - cs.by_name(exclude, require_all=False)
    _BUILT[repr(selector)] = dict(value)
    return selector


def _parse_dtype(text: str):
    try:
        return parse_dtype(text)
    except ConfigError:
        raise ConfigError(f"unknown dtype or dtype group {text!r} in `columns`",
                          hint="dtype groups: " + ", ".join(_GROUPS) + "; or a Polars dtype name such as 'Float64'") from None


def _check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"invalid regular expression {pattern!r}: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Pipeline -> TOML
def _columns_to_toml(columns):
    import polars as pl
    import polars.selectors as cs

    if columns is None:
        return None
    if isinstance(columns, str):
        if columns.startswith(_SEARCH_PREFIX) and columns.endswith(_SEARCH_SUFFIX):
            return {"regex": columns[len(_SEARCH_PREFIX):-len(_SEARCH_SUFFIX)]}
        return columns
    if isinstance(columns, (list, tuple)) and all(isinstance(c, str) for c in columns):
        return list(columns)
    if isinstance(columns, (pl.DataType, type)) and not cs.is_selector(columns):
        return {"dtype": dtype_str(columns)}
    if isinstance(columns, (set, frozenset)):
        return {"dtype": sorted(dtype_str(c) for c in columns)}
    if cs.is_selector(columns):
        if repr(columns) in _BUILT:
            return _BUILT[repr(columns)]
        for group in _GROUPS:
            if columns.meta.eq(getattr(cs, group)()):
                return {"dtype": group}
    raise ConfigError(f"cannot write the column selection {columns!r} in a TOML spec",
                      hint="use column names, a regex '^...$', a dtype, or a single dtype group selector")


def spec_to_toml(pipeline, target: str | None = None, *, description: str | None = None) -> str:
    """Write a (fitted or not) Pipeline as a TOML spec that :func:`parse_spec` reads back.

    Parameters that equal the step's defaults are left out.

    Examples
    --------
    >>> from tabprep import Pipeline
    >>> from tabprep.clean import SimpleImputer
    >>> print(spec_to_toml(Pipeline([("impute", SimpleImputer(strategy="median"), ["a", "b"])]), target="y"))
    target = "y"
    <BLANKLINE>
    [[steps]]
    name = "impute"
    type = "SimpleImputer"
    columns = ["a", "b"]
    params = { strategy = "median" }
    <BLANKLINE>
    """
    lines = []
    if target is not None:
        lines.append(f"target = {_toml_value(target)}")
    if description is not None:
        lines.append(f"description = {_toml_value(description)}")
    for name, step, columns in pipeline.steps:
        lines += ["", "[[steps]]", f"name = {_toml_value(name)}", f"type = {_toml_value(type(step).__name__)}"]
        cols = _columns_to_toml(columns)
        if cols is not None:
            lines.append(f"columns = {_toml_value(cols)}")
        defaults = type(step)().get_params(deep=False)
        params = {}
        for key, value in step.get_params(deep=False).items():
            if _same(value, defaults.get(key)):
                continue
            if value is None:
                if not _none_spelled(type(step), key):
                    raise ConfigError(f"step {name!r}: parameter `{key}` is None but its default is not; "
                                      "TOML cannot write None")
                value = _NONE
            try:
                _toml_value(value)
            except ConfigError:
                raise ConfigError(f"step {name!r}: cannot write parameter `{key}` = {value!r} in TOML") from None
            params[key] = value
        if params:
            lines.append(f"params = {_toml_value(params)}")
    return "\n".join(lines) + "\n"


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):
        return False
