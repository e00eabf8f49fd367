"""FittedPipeline: fitted steps + the schema they expect; transform is lazy and schema-checked."""

from __future__ import annotations

import polars as pl

from tabprep._base.backends import backend_for
from tabprep._base.fit import (
    apply_out_of_fold,
    apply_step,
    collect_engine,
    collect_explained,
    explained,
    explaining,
    fits_on_table,
    schema_after,
)
from tabprep._base.step import Step, is_step
from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.errors import ArtifactError, ConfigError, DataError, SchemaError
from tabprep.io._dispatch import coerce, convert_output
from tabprep.pipeline import _artifact

__all__ = ["FittedPipeline"]


class FittedPipeline:
    """The result of :meth:`Pipeline.fit`: plain data (step configs and states) and a transform.

    Parameters
    ----------
    steps : list of (name, fitted step, resolved input column names)
    input_schema : polars.Schema or mapping
        Columns (and dtypes) the pipeline was fitted on, target excluded.
    target : str or None
        Target column name; carried through ``transform`` when present in the data.
    lineage : dict
        JSON-able provenance (training data fingerprint, versions...).

    Attributes
    ----------
    feature_names_out : list of str
        Output columns of ``transform`` when the data has every fitted column (the target, if
        present, comes after them): the steps' outputs and the columns passed through.
    output_schema : polars.Schema
        Output names and dtypes (target excluded).
    feature_columns : list of str
        The steps' outputs only, in output order: what a feature matrix holds by default.
    passthrough : list of str
        Columns of the training data no step reads: carried through ``transform`` when the data
        has them, not required (new rows to score need not carry ids or a split column).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep import Pipeline
    >>> from tabprep.scale import MinMaxScaler
    >>> fitted = Pipeline([("mm", MinMaxScaler(), ["a"])]).fit(pl.DataFrame({"a": [0.0, 4.0], "b": ["u", "v"]}))
    >>> fitted.feature_names_out, fitted.output_schema
    (['a', 'b'], Schema([('a', Float64), ('b', String)]))
    >>> fitted.transform(pl.DataFrame({"b": ["w"], "a": [1.0]})).row(0)
    (0.25, 'w')
    >>> fitted.feature_columns, fitted.passthrough, fitted.transform(pl.DataFrame({"a": [2.0]})).row(0)
    (['a'], ['b'], (0.5,))
    >>> fitted.transform(pl.DataFrame({"a": [1], "b": ["w"]}))
    Traceback (most recent call last):
    ...
    tabprep.errors.SchemaError: column 'a': dtype differs from the one the pipeline was fitted on; found Int64, expected Float64. Hint: cast the column to Float64 before transform (e.g. pl.col('a').cast(pl.Float64)) or refit the pipeline
    """

    def __init__(self, steps, input_schema, target, lineage, *, outputs=None) -> None:
        # outputs: each step's output schema, if the caller resolved them already (the fit has)

        self.steps = [(str(n), s, [str(c) for c in cols]) for n, s, cols in steps]
        for name, step, _ in self.steps:
            if not is_step(step) or not hasattr(step, "n_features_in_"):
                raise ArtifactError(f"step {name!r} is not a fitted tabprep step")
        self.input_schema = pl.Schema(input_schema)
        self.target = target
        self.lineage = dict(lineage or {})
        schema = self.input_schema
        self._schemas = []  # schema each step sees
        self._outputs = []  # each step's output schema
        for k, (name, step, cols) in enumerate(self.steps):
            self._schemas.append(schema)
            self._outputs.append(step.output_schema(schema) if outputs is None else outputs[k])
            schema = schema_after(schema, cols, self._outputs[-1], name)
        self.output_schema = schema
        self.feature_names_out = list(schema.names())
        read = {c for _, _, cols in self.steps for c in cols}
        self.passthrough = [c for c in self.input_schema.names() if c not in read and c in schema]
        self.feature_columns = [c for c in self.feature_names_out if c not in self.passthrough]

    @property
    def cross_fitted_steps(self) -> list[str]:
        """Names of the steps that gave their training rows out-of-fold values (target and WoE
        encoders): on the training data, ``transform`` gives those rows in-sample values
        instead, which leaks each row's own target into its features."""
        return [name for name, step, _ in self.steps if fits_on_table(step) and step.uses_target]

    @property
    def named_steps(self) -> dict:
        """``{name: fitted step}``."""
        return {n: s for n, s, _ in self.steps}

    def __repr__(self) -> str:
        names = ", ".join(n for n, _, _ in self.steps)
        return (f"FittedPipeline(steps=[{names}], n_features_in={len(self.input_schema)}, "
                f"n_features_out={len(self.feature_names_out)}, target={self.target!r})")

    def check_schema(self, schema) -> None:
        """Raise SchemaError unless ``schema`` has every column a step reads, with the fitted
        dtype (a pass-through column may be absent; present, it must keep its dtype)."""
        for name, dtype in self.input_schema.items():
            if name not in schema and name in self.passthrough:
                continue
            if name not in schema:
                raise SchemaError("column missing: the pipeline was fitted with it", column=name,
                                  found=f"columns {list(schema.names())[:20]}",
                                  hint=f"add the column (dtype {dtype}) to the data")
            if schema[name] != dtype:
                raise SchemaError(
                    "dtype differs from the one the pipeline was fitted on", column=name,
                    found=f"{schema[name]}, expected {dtype}",
                    cli_hint=f"read it as {dtype}: --schema-overrides '{name}={dtype}', or refit the pipeline",
                    hint=f"cast the column to {dtype} before transform (e.g. pl.col({name!r}).cast(pl.{dtype!r})) "
                         "or refit the pipeline")

    def conform(self, data):
        """``data`` (any table, or a path) as a LazyFrame whose columns have the fitted dtypes
        wherever that is safe, for new data read with other types (a CSV guesses them):

        - integers into a float or a wider integer column, and a column with no value (all
          null, e.g. an empty CSV column read as String) into any dtype: cast;
        - text into a number, boolean, date, datetime or time column, and integers into a
          narrower integer column (a CSV reads Int64 where the training data had Int8): converted
          when every value parses or fits, else a DataError naming the column, the first row that
          does not and its value (one read of those columns, only when such a conversion is
          needed);
        - anything else (a float into an integer column...) is left for :meth:`transform` to
          refuse with a SchemaError.

        Examples
        --------
        >>> import polars as pl
        >>> from tabprep import Pipeline
        >>> from tabprep.scale import StandardScaler
        >>> fitted = Pipeline([("s", StandardScaler(), ["a"])]).fit(pl.DataFrame({"a": [1.0, 3.0]}))
        >>> fitted.conform(pl.DataFrame({"a": ["2", "4"]})).collect_schema()
        Schema([('a', Float64)])
        >>> fitted.conform(pl.DataFrame({"a": ["2", "x"]}))
        Traceback (most recent call last):
        ...
        tabprep.errors.DataError: column 'a', row 1: expected Float64 values (the dtype the pipeline was fitted on); found 'x'. Hint: fix the value, or make it empty (a missing value)
        """
        lf = coerce(data, allow_path=True, array_dtype=None).lf
        schema = lf.collect_schema()
        casts, parsed = {}, []
        for name, want in self.input_schema.items():
            have = schema.get(name)
            if have is None or have == want:
                continue
            if have == pl.Null or (have.is_integer() and (want.is_float() or (want.is_integer() and _widens(have, want)))):
                casts[name] = want
            elif (have == pl.String and (want.is_numeric() or want == pl.Boolean
                                         or isinstance(want, (pl.Datetime, pl.Date, pl.Time)))) \
                    or (have.is_integer() and want.is_integer()):
                # text parsed, or integers into a narrower integer dtype: every value checked first
                casts[name] = want
                parsed.append(name)
        if not casts:
            return lf
        for name in parsed:
            bad = (lf.select(pl.col(name)).with_row_index("row")
                   .filter(pl.col(name).is_not_null() & _converted(name, casts[name], strict=False).is_null())
                   .head(1).collect())
            if bad.height:
                raise DataError(f"expected {casts[name]} values (the dtype the pipeline was fitted on)",
                                column=name, row=int(bad["row"][0]), found=repr(bad[name][0]),
                                hint="fix the value, or make it empty (a missing value)")
        return lf.with_columns(_converted(n, t, strict=True) if n in parsed else pl.col(n).cast(t, strict=True)
                               for n, t in casts.items())

    def transform(self, data):
        """Apply the fitted steps to ``data`` (same kind out as in; a LazyFrame stays lazy).

        The data's schema is checked first (missing column or changed dtype → SchemaError);
        columns not seen in fit are ignored; the target column and the pass-through columns are
        carried through when present. The output holds ``feature_names_out`` (then the target),
        less the pass-through columns the data lacks. Consecutive steps that map
        columns one to one (``Step.inline_exprs``: imputers, scalers) are nested into one
        ``with_columns``, so their intermediate columns are never materialized.
        """

        backend = backend_for(data)
        if backend is not None:  # another engine's data (a Ray Dataset): transformed there, same kind out
            return backend.transform(self, data)
        return self._transform(coerce(data, allow_path=True, array_dtype=None))

    def explain_failure(self, data):
        """After a lazy transform of ``data`` failed as it ran (while it was collected, sunk or
        written): the error naming the column and the row that made it fail, or None.

        A step's check of its batches (an infinity where a scaler expects numbers, a category
        an encoder refuses) runs inside the query and cannot know the row; the error the query
        raises names neither (Polars rebuilds it from its message). An eager transform asks the
        steps itself; this asks them for a lazy one (``tabprep transform`` does when a write fails;
        the hand-offs given the transform's output ask it themselves). Reads ``data`` again, step by step, up to the first step that can tell.
        """
        source = coerce(data, allow_path=True, array_dtype=None)
        inputs: list = []
        self._plan(source, {}, inputs)
        return explained(lambda: inputs)

    def _transform(self, source, out_of_fold=None):
        """:meth:`transform` of a coerced input; ``out_of_fold`` (``Pipeline.fit_transform`` on the
        training rows) maps a cross-fitted step's name to its out-of-fold output frame, which
        takes the place of its transform."""
        inputs: list = []
        lf = self._plan(source, out_of_fold or {}, inputs)
        if source.kind not in ("lazy", "path"):
            lf = collect_explained(lf, lambda: inputs, engine=collect_engine(lf)).lazy()
            return convert_output(lf, source)
        # lazy: the hand-offs that run it can name the row of a failure (explains_failures)
        return explaining(convert_output(lf, source), lambda: inputs)

    def _plan(self, source, out_of_fold: dict, inputs: list):
        """The lazy transform of ``source``; appends each step's ``(step, input LazyFrame)`` to
        ``inputs`` (what explains a failure)."""
        schema = source.lf.collect_schema()
        self.check_schema(schema)
        has_target = self.target is not None and self.target in schema
        absent = {c for c in self.passthrough if c not in schema}
        lf = source.lf.select([*(c for c in self.input_schema.names() if c not in absent),
                               *([self.target] if has_target else [])])
        layer: dict = {}  # column -> expression of consecutive one-to-one steps, not yet applied
        for (name, step, cols), sch, outputs in zip(self.steps, self._schemas, self._outputs):
            oof = out_of_fold.get(name)
            exprs = None if oof is not None else step.inline_exprs(sch, {c: layer[c] for c in cols if c in layer})
            if exprs is not None and [e.meta.output_name() for e in exprs] == list(cols):
                # the step's input, for explaining a failure, is the frame with the layer so far
                inputs.append((step, lf.with_columns(layer.values()) if layer else lf))
                layer.update(zip(cols, exprs))  # nested into the layer: no intermediate columns
                continue
            if layer:
                lf, layer = lf.with_columns(layer.values()), {}
            inputs.append((step, lf))
            if oof is None:
                lf = apply_step(lf, step, cols, sch, outputs)
            else:
                lf = apply_out_of_fold(lf, oof, cols, outputs)
        if layer:
            lf = lf.with_columns(layer.values())
        out = [*(c for c in self.feature_names_out if c not in absent), *([self.target] if has_target else [])]
        # no output column (every one dropped): dropping keeps the rows, a select of nothing has none
        return lf.select(out) if out else lf.drop(lf.collect_schema().names())

    def raw_inputs(self) -> list:
        """``[(name, step, [(i, column)])]``: per step, the columns it reads straight from the
        input data (its ``i``-th input column, not written by an earlier step), whose fitted
        statistics describe the training data itself (what contracts and drift use)."""
        out, written = [], set()
        for (name, step, cols), outputs in zip(self.steps, self._outputs):
            out.append((name, step, [(i, c) for i, c in enumerate(cols) if c not in written]))
            written.update(outputs.names())
        return out

    def input_contract(self):
        """The :class:`~tabprep.validate.Contract` new input data must meet to be transformed.

        From what the pipeline already knows, without reading data:

        - every column a step reads is required with its fitted dtype (error level); pass-through
          columns are optional but keep their dtype;
        - a categorical encoder that reads a raw input column gives it ``allowed`` = the categories
          seen in fit: an ``error`` check when the encoder refuses unseen values
          (``handle_unknown="error"``), a ``warn`` check when it encodes them; and
          ``nullable=False`` when it refuses missing values it did not see in fit;
        - a float column a step refuses +-inf in (imputers, scalers) gets the range
          ``(-inf, inf)``, bounds excluded: finite values only (error level).

        Examples
        --------
        >>> import polars as pl
        >>> from tabprep import Pipeline
        >>> from tabprep.encode import OneHotEncoder
        >>> df = pl.DataFrame({"city": ["Paris", "Lyon"], "x": [1.0, 2.0]})
        >>> contract = Pipeline([("oh", OneHotEncoder(), ["city"])]).fit(df).input_contract()
        >>> contract.columns["city"]
        Column(dtype='String', nullable=False, allowed=['Lyon', 'Paris'])
        >>> contract.validate(pl.DataFrame({"city": ["Rome"], "x": [0.5]})).errors[0].message
        "1 row: values outside the allowed set {'Lyon', 'Paris'}"
        """
        import math

        from tabprep._base.stats import infinity_checks
        from tabprep.pipeline._contract import Column, Contract

        rules: dict[str, dict] = {name: {"dtype": dtype_str(dtype), "required": name not in self.passthrough}
                                  for name, dtype in self.input_schema.items()}
        for (_, step, raw), sch in zip(self.raw_inputs(), self._schemas):
            with infinity_checks() as checked:  # the columns its transform refuses +-inf in
                step.transform_exprs(sch)
            for col in {c for _, c in raw} & set(checked):
                if col in rules and "min" not in rules[col]:
                    rules[col].update(min=-math.inf, min_inclusive=False, max=math.inf, max_inclusive=False)
            cats = getattr(step, "categories_", None)
            if cats is not None and hasattr(step, "_refusal"):
                for i, col in raw:
                    if col not in rules or i >= len(cats):
                        continue
                    values = [v.item() if hasattr(v, "item") else v for v in cats[i]]
                    seen = [v for v in values if not (v is None or (isinstance(v, float) and math.isnan(v)))]
                    if step._refusal(i, -2):
                        rules[col]["allowed"] = seen
                    elif "allowed" not in rules[col]:
                        rules[col]["allowed"] = seen
                        rules[col].setdefault("levels", {})["allowed"] = "warn"
                    if len(seen) == len(values) and step._refusal(i, -1):
                        rules[col]["nullable"] = False
        return Contract({name: Column(**rule) for name, rule in rules.items()},
                        description="the input of a fitted tabprep pipeline")

    # ------------------------------------------------------------------ artifact
    def to_dict(self) -> dict:
        """Plain-data form (tables stay pyarrow Tables inside each step's dict).

        ``{"steps": [{"name", "columns", "step": Step.to_dict()}], "input_schema":
        [[name, dtype_str]], "target": ..., "lineage": {...}}``
        """

        return {
            "steps": [{"name": n, "columns": list(c), "step": s.to_dict()} for n, s, c in self.steps],
            "input_schema": [[n, dtype_str(d)] for n, d in self.input_schema.items()],
            "target": self.target,
            "lineage": dict(self.lineage),
        }

    @classmethod
    def from_dict(cls, d: dict):
        """Inverse of :meth:`to_dict` (builds only registered steps; no code is run).

        Raises
        ------
        ArtifactError
            On anything that does not fit the format (unknown step, bad dtype, missing key...).
        """

        try:
            steps = [(e["name"], Step.from_dict(e["step"]), list(e["columns"])) for e in d["steps"]]
            schema = {str(n): parse_dtype(t) for n, t in d["input_schema"]}
            return cls(steps, schema, d["target"], d.get("lineage") or {})
        except ArtifactError:
            raise
        except ConfigError as exc:
            raise ArtifactError(f"invalid dtype in input_schema: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactError(f"invalid pipeline description: {exc!r}") from None

    def save(self, path):
        """Write the artifact (JSON manifest + Arrow files); see ``tabprep.pipeline._artifact``."""

        return _artifact.save(self, path)

    @property
    def fingerprint(self) -> str:
        """sha256 over the canonical content (see ``tabprep.pipeline._artifact``)."""

        return _artifact.fingerprint(self)


def _widens(have, want) -> bool:
    """Whether every value of integer dtype ``have`` fits integer dtype ``want``."""
    import numpy as np

    a, b = np.iinfo(str(have).lower()), np.iinfo(str(want).lower())
    return b.min <= a.min and a.max <= b.max


def _converted(name: str, want, *, strict: bool):
    """Text column ``name`` as ``want``: dates and times are parsed (Polars casts no text into
    them), numbers and Booleans cast."""
    col = pl.col(name)
    if isinstance(want, pl.Datetime):
        return col.str.to_datetime(time_unit=want.time_unit, time_zone=want.time_zone, strict=strict)
    if isinstance(want, pl.Date):
        return col.str.to_date(strict=strict)
    if isinstance(want, pl.Time):
        return col.str.to_time(strict=strict)
    return col.cast(want, strict=strict)
