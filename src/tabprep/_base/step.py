"""The Step contract: a scikit-learn transformer on the outside, lazy Polars inside.

A step is a scikit-learn estimator (``__init__`` stores parameters, ``fit`` returns ``self``,
fitted attributes end in ``_``, ``get_feature_names_out``, ``set_output``), so it drops into a
scikit-learn ``Pipeline``/``ColumnTransformer``. Under that face it is lazy:

``fit_exprs(schema, columns, target) -> {key: expr}``
    one-value aggregation expressions giving *mergeable* partial statistics; the planner fuses
    the expressions of many steps into one ``select`` (keys are local to the step).
``merge_stats(parts) -> stats``
    merges partial statistics of several batches (default: by key prefix, see
    :mod:`tabprep._base.stats`). Steps whose statistics cannot be merged exactly (median,
    quantiles, mode) have ``mergeable = False``: the planner computes them in one exact query.
    It must be a left fold, ``merge_stats([merge_stats(a), *b]) == merge_stats(a + b)``
    bit for bit: a pass merges its partials as it goes (``tabprep._base.fit.PhasePlan.add``).
    A statistic whose value holds lists arrives as a one-row Polars Series.
``fit_finalize(stats, schema, columns) -> self``
    records ``feature_names_in_``/``n_features_in_`` and calls the subclass hook ``_finalize``.
``transform_exprs(schema) -> [expr]``
    named expressions producing the step's output columns from its input columns.
``output_schema(schema) -> pl.Schema``
    output names and dtypes (default: the schema of ``transform_exprs`` on an empty frame).

Table statistics: a step whose fit needs a whole-table statistic that is no one-value
aggregation (per-(category, fold) sums of a target encoder) implements instead of
``fit_exprs``/``_finalize``

``fit_columns(columns, target) -> [name]``
    the columns it reads besides its inputs and the target (a fold or sample-weight column);
``fit_table(frame, columns, target, *, cross_fit=False) -> pl.DataFrame | None``
    fits on ``frame`` (an in-memory ``pl.DataFrame`` holding the input columns, the target and
    ``fit_columns``, rows in data order), sets every fitted attribute itself (also
    ``feature_names_in_``/``n_features_in_``) and, with ``cross_fit=True``, returns the training
    rows' *out-of-fold* output columns (named as ``transform_exprs`` names them, one row per row
    of ``frame``) if it cross-fits (target/WoE encoders), None if it does not.

The planner buffers those columns in the phase's single pass (the non-mergeable path) and calls
``fit_table`` once at the end. ``Pipeline.fit_transform`` (and ``Pipeline.fit``) ask for
out-of-fold values, and the output and the fit of every later phase use them for the training
rows, as scikit-learn's ``Pipeline.fit_transform`` chains ``fit_transform``; the fitted
pipeline's ``transform`` on new rows uses the full fit.

What the planner can read off the step it does not ask for: whether it fits from a table (it
overrides ``fit_table``), whether a statistic skips NaN itself (the expression is marked, see
``tabprep._base.stats.skipping_nan``), whether a transform calls a compiled kernel (the plan shows
a Python call, see ``tabprep._base.fit.collect_engine``).

A subclass writes: ``_parameter_constraints``, ``__init__``, ``fit_exprs``, ``_finalize``,
``transform_exprs``, ``_get_state``/``_set_state`` (JSON-able dict; large state goes to
``_get_tables`` as pyarrow Tables), and optionally ``_names_out`` (feature names when not
one-to-one), ``planned_output_schema`` (output schema known before fitting, lets the planner fuse
more), ``explain_failure`` (turn a Polars runtime error into a :class:`~tabprep.errors.DataError`
with column and row), ``_array_params`` (how array input is validated), ``fills_missing``/``fill_constants`` and
``stats_skip_missing`` (let the planner fuse a fill and the statistics read after it into one
pass), ``inline_exprs`` (lets a transform nest consecutive one-to-one steps into one layer). It
registers itself with ``@register_step``. Everything else (serialization, registry) lives here;
the scikit-learn face, which imports no scikit-learn, in :mod:`tabprep._base.estimator`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import polars as pl

from tabprep import errors
from tabprep._base.estimator import Estimator, sklearn_config
from tabprep._base.fit import collect_engine, collect_explained, empty_frame, explaining, fit_single_step
from tabprep._base.codec import from_json_value, to_json_value
from tabprep._base.params import check_param_names, validate_params
from tabprep._base.stats import merge_by_prefix
from tabprep.errors import ArtifactError, ConfigError, SchemaError, TabprepError
from tabprep.io._dispatch import OUTPUT_CONFIGS, coerce, convert_output, positional_names

__all__ = ["Step", "register_step", "registered_steps", "is_step"]

_REGISTRY: dict[str, type] = {}


def register_step(cls):
    """Class decorator: make ``cls`` loadable by name from artifacts and specs.

    Only registered classes can be built by :meth:`Step.from_dict` or :func:`make_step`
    (no import-by-name, no ``eval``).
    """
    if not (isinstance(cls, type) and issubclass(cls, Step)):
        raise TypeError("register_step decorates Step subclasses")
    other = _REGISTRY.get(cls.__name__)
    if other is not None and other is not cls and (other.__module__, other.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"a step named {cls.__name__!r} is already registered ({other.__module__})")
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_steps() -> dict[str, type]:
    """``{class name: class}`` of the steps registered so far (their modules imported).

    ``tabprep.pipeline.step_registry()`` imports every built-in step package first.
    """
    return dict(_REGISTRY)


class Step(Estimator):
    """Base class of every tabprep step (see the module docstring for the contract).

    Class attributes
    ----------------
    mergeable : bool
        Whether partial statistics of batches merge exactly (may be a property when it depends
        on parameters, e.g. ``SimpleImputer(strategy="median")`` is not mergeable).
    uses_target : bool
        Whether ``fit_exprs`` reads the target column (supervised steps).
    negative_weights : bool
        Sample weights: a step takes them when its ``fit`` has a ``sample_weight`` parameter
        (``fit(X, y=None, sample_weight=None)``, only where scikit-learn's class takes it;
        scikit-learn's ``has_fit_parameter`` test). Its ``fit_exprs`` (or ``fit_table``) then
        also takes ``sample_weight=<column name>``: a column of the frame holding one finite
        weight per row, which its statistics must weigh (``run_phase(..., weights=)`` passes it;
        left out means unweighted). A pipeline routes ``sample_weight`` to such steps. Weights
        are checked as finite, >= 0 and not all zero, unless ``negative_weights`` (scikit-learn's
        StandardScaler takes negative weights; its own checks and messages then apply).
    stats_skip_missing : bool
        Whether every ``fit_exprs`` statistic reads exactly one input column and skips its
        missing cells (null and NaN), and ``merge_stats`` merges statistics of any split of the
        rows, one column at a time. Such a step can be fitted in the same pass as an earlier
        step that fills those columns' missing cells with constants (``fills_missing``): the
        planner computes its statistics on the raw column and merges in the filled cells as a
        block of identical values (may be a property).
    _version : int
        Version of the serialized state; bump it when ``_get_state`` changes.

    Examples
    --------
    A minimal step (a real one also declares parameters, state and ``@register_step``):

    >>> import polars as pl
    >>> from tabprep.pipeline import Step
    >>> class ShiftToZero(Step):
    ...     def fit_exprs(self, schema, columns, target):
    ...         return {f"min:{c}": pl.col(c).min() for c in columns}  # mergeable by prefix
    ...     def _finalize(self, stats, schema, columns):
    ...         self.min_ = [stats[f"min:{c}"] for c in columns]
    ...     def transform_exprs(self, schema):
    ...         return [(pl.col(c) - m).alias(c) for c, m in zip(self._input_names(), self.min_)]
    >>> ShiftToZero().fit_transform(pl.DataFrame({"a": [3, 5], "b": [-1, 1]})).rows()
    [(0, 0), (2, 2)]
    """

    mergeable: ClassVar[bool] = True
    uses_target: ClassVar[bool] = False
    negative_weights: ClassVar[bool] = False
    stats_skip_missing: ClassVar[bool] = False

    _version: ClassVar[int] = 1
    _parameter_constraints: ClassVar[dict] = {}

    # ------------------------------------------------------------------ lazy protocol
    def fit_exprs(self, schema, columns: list[str], target: str | None) -> dict:
        """Aggregation expressions (one value each) whose results ``_finalize`` needs."""
        raise NotImplementedError

    def fit_columns(self, columns: list[str], target: str | None) -> list[str]:
        """Columns besides ``columns`` and the target that ``fit_table`` reads (default: none)."""
        return []

    def fit_table(self, frame, columns: list[str], target: str | None, *, cross_fit: bool = False):
        """Fit from a whole in-memory table (a step that overrides this fits on tables).

        Returns the out-of-fold output columns of the training rows (a ``pl.DataFrame``) when
        ``cross_fit`` is true and the step cross-fits, else None.
        """
        raise NotImplementedError

    fit_table.default_hook = True  # not overridden: the step fits from fit_exprs (fits_on_table)

    def merge_stats(self, parts: list[dict]) -> dict:
        """Merge partial statistics of several batches, in order (default: by key prefix).

        A left fold: merging the merge of the first parts with the rest gives the merge of all
        of them, bit for bit (a pass merges as it goes)."""
        if not self.mergeable:
            raise ConfigError(f"{type(self).__name__} statistics cannot be merged across batches")
        return merge_by_prefix(parts)

    def fit_finalize(self, stats: dict, schema, columns: list[str]):
        """Set the fitted attributes from (merged) statistics; returns ``self``."""
        self.feature_names_in_ = np.asarray(list(columns), dtype=object)
        self.n_features_in_ = len(columns)
        self._finalize(stats, schema, list(columns))
        return self

    def _finalize(self, stats: dict, schema, columns: list[str]) -> None:
        raise NotImplementedError

    def transform_exprs(self, schema) -> list:
        """Named Polars expressions giving this step's output columns (fitted state inlined)."""
        raise NotImplementedError

    def output_schema(self, schema):
        """Output column names and dtypes, in output order, for input ``schema``."""
        return empty_frame(schema).select(self.transform_exprs(schema)).collect_schema()

    output_schema.default_hook = True  # not overridden: resolved from transform_exprs (transform_plan)

    def planned_output_schema(self, schema, columns: list[str]):
        """Output ``{name: dtype}`` known *before* fitting, or None if it depends on the data.

        The planner uses it to resolve later dtype/regex selectors without waiting for this step
        to be fitted; None (the default) is always correct, only less fused.
        """
        return None

    def inline_exprs(self, schema, inputs: dict):
        """``transform_exprs(schema)`` with ``inputs[c]`` (an expression) in place of ``pl.col(c)``
        for each input column ``c`` in ``inputs``, or None if the step cannot.

        Only for steps whose output columns are exactly their input columns (same names, one
        each). ``FittedPipeline.transform`` uses it to put consecutive such steps into one
        ``with_columns`` of nested expressions (Polars does not merge two layers itself, and
        each layer materializes its columns). Default: None.
        """
        return None

    def fills_missing(self, schema, columns: list[str]) -> frozenset:
        """The columns whose transform will only replace missing cells (null and NaN) by one
        fitted constant per column, keeping the column's name and dtype; known before fitting.

        Later steps with ``stats_skip_missing`` that read only such columns (of this phase) are
        fitted in the same pass. Default: none.
        """
        return frozenset()

    def fill_constants(self, stats: dict) -> dict:
        """After fitting on ``stats`` (the statistics given to ``fit_finalize``), for each column
        of ``fills_missing``: ``(constant, cells filled in the training data)``, or None when the
        column turned out not to be a plain fill (e.g. it is dropped). Only called on steps
        whose ``fills_missing`` was not empty."""
        raise NotImplementedError(f"{type(self).__name__} declares fills_missing but not fill_constants")

    def explain_failure(self, lf, schema) -> TabprepError | None:
        """Given the step's input ``lf`` after a Polars error, return an error naming column/row."""
        return None

    def _names_out(self, names: list[str]) -> list[str]:
        """Output feature names for input feature names ``names`` (default: one-to-one)."""
        return list(names)

    def _array_params(self) -> dict:
        """How array-like input is validated (``sklearn.utils.check_array`` keywords; a step that
        takes SciPy sparse input adds ``accept_sparse`` and implements ``_transform_sparse``)."""
        return {"array_dtype": "numeric", "ensure_all_finite": "allow-nan"}

    def _transform_sparse(self, X):
        """The transform of a checked SciPy sparse matrix ``X`` (a copy already when the input
        must be kept), sparse again (steps whose ``_array_params`` accept sparse input)."""
        raise NotImplementedError(f"{type(self).__name__} takes no sparse input")

    # ------------------------------------------------------------------ scikit-learn face
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "n_features_in_")

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            # errors.NotFittedError subclasses scikit-learn's: made (imported) when first raised
            raise errors.NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator.")

    def _input_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        return list(names) if names is not None else positional_names(self.n_features_in_)

    def fit(self, X, y=None):
        """Fit on ``X`` (Polars/pandas/pyarrow frame or 2-D array); every column is an input.

        Returns
        -------
        self
        """
        self._fit_stats(X, y)
        return self

    def _fit_stats(self, X, y=None, sample_weight=None) -> dict:
        """``fit``'s work (``sample_weight``: steps whose ``fit`` takes it); returns the
        statistics the step was fitted on."""
        validate_params(self)
        data = coerce(X, **self._array_params())
        return fit_single_step(self, data, y, sample_weight)

    def transform(self, X):
        """Transform ``X``; the output container follows the input unless ``set_output`` says so.

        A LazyFrame stays lazy; an array comes back as an array (columns as in
        ``get_feature_names_out()``).
        """
        return self._transform(X)

    def _transform(self, X, *, copy: bool = True):
        """``transform``'s work. ``copy=False`` gives scikit-learn's in-place semantics to array
        input: a writeable float ndarray of the output's dtype and shape receives the output and
        is returned (a sparse input is changed in place); other inputs are never modified."""
        self._check_fitted()
        data = coerce(X, **self._array_params(), copy=copy)
        if data.kind == "sparse":
            return self._transform_sparse(data.sparse)
        return write_back(X, self._transformed(data), copy)

    def _transformed(self, data):
        """The transform of a coerced input, in its container (see ``transform``)."""
        lf = self._align(data)
        schema = lf.collect_schema()
        exprs = self.transform_exprs(schema)
        # no output column (every feature dropped): dropping the inputs keeps the rows, where a
        # select of nothing has none (scikit-learn: shape (n, 0))
        out = lf.select(exprs) if exprs else lf.drop(schema.names())
        if data.kind not in ("lazy", "path"):
            out = collect_explained(out, lambda: [(self, lf)], engine=collect_engine(out)).lazy()
            return convert_output(out, data, self._output_config())
        out = convert_output(out, data, self._output_config())
        # lazy: the hand-offs that run it can name the row of a failure (explains_failures)
        return explaining(out, lambda: [(self, lf)]) if isinstance(out, pl.LazyFrame) else out

    def _align(self, data):
        """Return the input LazyFrame with exactly the fitted input columns (by name or position)."""
        names = self._input_names()
        schema = data.lf.collect_schema()
        have = schema.names()
        if data.named and hasattr(self, "feature_names_in_"):
            missing = [n for n in names if n not in schema]
            if missing:
                raise SchemaError(f"{type(self).__name__} was fitted with this column but the data lacks it",
                                  column=missing[0], hint="pass the same columns as in fit")
            return data.lf.select(names)
        if len(have) != len(names):
            raise SchemaError(f"X has {len(have)} features, but {type(self).__name__} is expecting "
                              f"{len(names)} features as input.")
        return data.lf.rename(dict(zip(have, names))) if have != names else data.lf

    def get_feature_names_out(self, input_features=None):
        """Output feature names (scikit-learn semantics for ``input_features``)."""
        self._check_fitted()
        names = _feature_names_in(self, input_features)
        return np.asarray(self._names_out([str(n) for n in names]), dtype=object)

    def set_output(self, *, transform=None):
        """Choose the output container: ``"default"`` (like the input), ``"pandas"``, ``"polars"``."""
        if transform is None:
            return self
        if transform not in OUTPUT_CONFIGS:
            raise ConfigError(f"set_output(transform=...) must be one of {OUTPUT_CONFIGS}", found=repr(transform))
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _output_config(self) -> str:
        # scikit-learn's rule (sklearn.utils._set_output._get_output_config): the step's own
        # setting, else scikit-learn's global transform_output
        config = getattr(self, "_sklearn_output_config", {})
        return config.get("transform") or sklearn_config("transform_output", "default")

    # ------------------------------------------------------------------ serialization
    def _get_state(self) -> dict:
        """Fitted state as JSON-able values (subclass hook)."""
        return {}

    def _get_tables(self) -> dict:
        """Large fitted state as ``{name: pyarrow.Table}`` (subclass hook)."""
        return {}

    def _set_state(self, state: dict, tables: dict) -> None:
        """Restore what ``_get_state``/``_get_tables`` returned (subclass hook)."""

    def _param_to_json(self, name: str, value):
        """How parameter ``name`` is saved (hook): default the codec, which knows numbers,
        strings, tuples, NaN, Polars and NumPy dtypes and registered data classes (tabprep's
        splitters). A subclass overrides it for a parameter that is not data (it must then say
        how the value is recorded, never drop it silently)."""
        try:
            return to_json_value(value)
        except TypeError:
            raise ConfigError(f"`{type(self).__name__}({name}=...)` cannot be saved: its value is no data",
                              found=f"{type(value).__name__}: {value!r}",
                              hint="use a value tabprep can store: numbers, strings, dtypes or a "
                                   "tabprep splitter (tabprep.split)") from None

    def to_dict(self) -> dict:
        """``{"type", "version", "params", "state", "tables"}``: config + fitted state as data.

        Examples
        --------
        >>> import polars as pl
        >>> from tabprep.scale import MaxAbsScaler
        >>> d = MaxAbsScaler().fit(pl.DataFrame({"a": [-2.0, 1.0]})).to_dict()
        >>> d["type"], d["state"]["feature_names_in"], d["state"]["max_abs"]
        ('MaxAbsScaler', ['a'], [2.0])
        >>> Step.from_dict(d).max_abs_
        array([2.])
        """
        params = {k: self._param_to_json(k, v) for k, v in self.get_params(deep=False).items()}
        state: dict[str, Any] = {}
        tables: dict[str, Any] = {}
        if hasattr(self, "n_features_in_"):
            names = getattr(self, "feature_names_in_", None)
            state["n_features_in"] = int(self.n_features_in_)
            state["feature_names_in"] = None if names is None else [str(n) for n in names]
            state.update(to_json_value(self._get_state()))
            tables.update(self._get_tables())
        return {"type": type(self).__name__, "version": self._version, "params": params,
                "state": state, "tables": tables}

    @classmethod
    def from_dict(cls, d: dict):
        """Rebuild a step from :meth:`to_dict` output (only registered classes; no code runs).

        Raises
        ------
        ArtifactError
            Unknown type, unsupported version, missing keys or state that does not fit.
        """
        if not isinstance(d, dict) or not {"type", "version", "params", "state"} <= set(d):
            found = sorted(d) if isinstance(d, dict) else type(d).__name__
            raise ArtifactError("a step entry needs the keys type, version, params, state", found=found)
        target = _REGISTRY.get(d["type"])
        if target is None:
            raise ArtifactError(f"unknown step type {d['type']!r}",
                                hint="the artifact was written by a newer tabprep or was edited "
                                     "(tabprep.load knows every built-in step)")
        if cls is not Step and not issubclass(target, cls):
            raise ArtifactError(f"step type {d['type']!r} is not a {cls.__name__}")
        if not isinstance(d["version"], int) or not 1 <= d["version"] <= target._version:
            raise ArtifactError(f"unsupported {d['type']} state version {d['version']!r}",
                                hint=f"this tabprep reads versions 1..{target._version}")
        try:
            params = from_json_value(d["params"])
            check_param_names(target, params)
            step = target(**params)
            validate_params(step)
        except (ConfigError, TypeError) as exc:
            raise ArtifactError(f"invalid parameters for {d['type']}: {exc}") from None
        state = from_json_value(d["state"])
        if state:
            try:
                step.n_features_in_ = int(state.pop("n_features_in"))
                names = state.pop("feature_names_in")
                if names is not None:
                    if len(names) != step.n_features_in_:
                        raise ValueError("feature_names_in does not match n_features_in")
                    step.feature_names_in_ = np.asarray(names, dtype=object)
                step._set_state(state, dict(d.get("tables") or {}))
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise ArtifactError(f"invalid state for {d['type']}: {exc!r}") from None
        return step



def write_back(X, out, copy: bool):
    """``out`` written into ``X`` and ``X`` returned when ``copy`` is false and ``X`` can hold it
    (a writeable NumPy float array of ``out``'s dtype and shape: what scikit-learn's
    ``copy=False`` modifies in place); otherwise ``out``."""
    if (not copy and isinstance(X, np.ndarray) and isinstance(out, np.ndarray) and X.dtype == out.dtype
            and X.dtype.kind == "f" and X.shape == out.shape and X.flags.writeable):
        X[...] = out
        return X
    return out


def _feature_names_in(step, input_features) -> np.ndarray:
    """``sklearn.utils.validation._check_feature_names_in``: ``input_features`` checked against
    the fitted names, else the fitted names, else ``x0, x1, ...``."""
    fitted = getattr(step, "feature_names_in_", None)
    n = getattr(step, "n_features_in_", None)
    if input_features is not None:
        input_features = np.asarray(input_features, dtype=object)
        if fitted is not None and not np.array_equal(fitted, input_features):
            raise ValueError("input_features is not equal to feature_names_in_")
        if n is not None and len(input_features) != n:
            raise ValueError(f"input_features should have length equal to number of features ({n}), "
                             f"got {len(input_features)}")
        return input_features
    if fitted is not None:
        return fitted
    return np.asarray([f"x{i}" for i in range(n)], dtype=object)


def is_step(obj) -> bool:
    """True for a tabprep step (by its protocol methods, so a module imported twice, as pytest's
    importlib mode can do, still passes)."""
    return not isinstance(obj, type) and all(
        callable(getattr(obj, m, None)) for m in ("fit_exprs", "fit_finalize", "transform_exprs", "to_dict"))
