"""The hashing trick: each value goes to one of ``n_features`` columns by a deterministic hash.

The hash is scikit-learn's (MurmurHash3 x86 32-bit of the UTF-8 text, seed 0; bucket
``abs(h) % n_features``, sign ``+1``/``-1`` from ``h``), computed by a compiled kernel straight
from the Arrow string buffers/views, so a column hashes the same here, in scikit-learn's
``FeatureHasher`` and on any machine. Nothing is learned: ``fit`` only records the columns.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import polars as pl

from tabprep.errors import SchemaError
from tabprep.io._dispatch import coerce, convert_output
from tabprep._base.params import Interval, validate_params
from tabprep._base.step import Step, register_step
from tabprep.encode._categorical import column_kind
from tabprep.encode._output import (
    SMALL_BATCH,
    BatchCache,
    OutputDType,
    frame_of,
    numpy_out_dtype,
    out_dtype,
    output_float_dtypes,
    polars_dtype,
    unnested_outputs,
)

__all__ = ["HashingEncoder"]


@register_step
class HashingEncoder(Step):
    """Encode categorical columns with the hashing trick (scikit-learn's FeatureHasher hash).

    Each input column becomes ``n_features`` output columns ``{column}_hash_{j}``: the row's value
    sets column ``j = abs(h) % n_features`` to 1 (or to the sign of ``h`` with ``signed=True``);
    a null gives a row of zeros. Equal to
    ``FeatureHasher(n_features, input_type="string", alternate_sign=signed)`` applied to each
    column's values.

    Parameters
    ----------
    n_features : int, default 8
        Output columns per input column.
    signed : bool, default False
        Write the hash's sign (+1/-1) instead of 1, so collisions tend to cancel out
        (scikit-learn's ``alternate_sign``).
    dtype : numeric dtype, default np.float64
        Output dtype (``np.int8`` is enough for signed indicators, ``np.uint8`` for unsigned).

    Notes
    -----
    Non-text columns are hashed through their Polars text (``1``, ``2.5``, ``true``). Nothing is
    fitted, so unseen values need no special handling. The memory of the output is
    ``n_rows * n_columns * n_features`` values: dense by design.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import HashingEncoder
    >>> enc = HashingEncoder(n_features=4).fit(pl.DataFrame({"city": ["Oslo"]}))
    >>> enc.transform(pl.DataFrame({"city": ["Oslo", "Cairo", None]})).rows()
    [(0.0, 0.0, 0.0, 1.0), (0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 0.0, 0.0)]
    >>> HashingEncoder(n_features=4, signed=True).fit_transform(pl.DataFrame({"city": ["Oslo"]})).row(0)
    (0.0, 0.0, 0.0, -1.0)
    >>> enc.get_feature_names_out().tolist()
    ['city_hash_0', 'city_hash_1', 'city_hash_2', 'city_hash_3']
    """

    _parameter_constraints = {
        "n_features": [Interval(int, 1, 2**31 - 1, closed="both")],
        "signed": ["boolean"],
        "dtype": [OutputDType("iuf")],
    }

    def __init__(self, n_features=8, signed=False, dtype=np.float64):
        self.n_features = n_features
        self.signed = signed
        self.dtype = dtype

    def _array_params(self) -> dict:
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = output_float_dtypes(self.dtype)
        return tags

    # ---------------------------------------------------------------- fit (records the columns)
    def fit_exprs(self, schema, columns, target):
        for c in columns:
            column_kind(schema[c], c)
        return {}

    def _finalize(self, stats, schema, columns) -> None:
        for c in columns:
            column_kind(schema[c], c)
        self._setup()

    def _setup(self) -> None:
        self._np_dtype = numpy_out_dtype(self.dtype)
        self._cache = BatchCache()

    def fit(self, X, y=None):
        """Record the input columns (no pass over the data).

        Returns
        -------
        self
        """
        validate_params(self)
        data = coerce(X, **self._array_params())
        schema = data.lf.collect_schema()
        self.fit_finalize({}, schema, list(schema.names()))
        if not data.named:
            del self.feature_names_in_
        return self

    # ---------------------------------------------------------------- transform
    def _names_out(self, names: list[str]) -> list[str]:
        key = tuple(names)
        cached = self.__dict__.get("_names_cache")
        if cached is None or cached[0] != key:
            cached = self._names_cache = (key, [f"{n}_hash_{j}" for n in names for j in range(self.n_features)])
        return list(cached[1])

    def _fill(self, columns: list, out: np.ndarray) -> None:
        from tabprep.kernels import hash_buckets, indicator_dense

        k = self.n_features
        for i, s in enumerate(columns):
            bucket, sign = hash_buckets(s, k)
            indicator_dense(bucket, out, i * k, k, sign=sign if self.signed else None, check=False)

    def transform(self, X):
        """Hash every column of ``X`` (a LazyFrame stays lazy)."""
        self._check_fitted()
        names = self._input_names()
        if isinstance(X, pl.DataFrame) and self._output_config() == "default" and hasattr(self, "feature_names_in_"):
            # in-memory Polars frame: straight to the kernel (no query plan; matters for small frames)
            missing = [n for n in names if n not in X.columns]
            if missing:
                raise SchemaError("HashingEncoder was fitted with this column but the data lacks it",
                                  column=missing[0], hint="pass the same columns as in fit")
            return self._frame([X.get_column(n) for n in names])
        data = coerce(X, **self._array_params())
        if data.kind in ("lazy", "path"):
            return super().transform(X)
        df = self._align(data).collect()
        columns = [df.get_column(n) for n in names]
        config = self._output_config()
        if data.kind == "numpy" and config == "default":
            out = np.empty((df.height, len(names) * self.n_features), dtype=self._np_dtype)
            self._fill(columns, out)
            return out
        return convert_output(self._frame(columns).lazy(), data, config)

    def _frame(self, columns: list) -> pl.DataFrame:
        n = columns[0].len() if columns else 0
        names = self._names_out([s.name for s in columns])
        strings = all(s.dtype == pl.String for s in columns)
        if not strings:
            for s in columns:
                column_kind(s.dtype, s.name)
        if 0 < n <= SMALL_BATCH and strings:
            return self._small_frame(columns, names)
        out = np.empty((n, len(columns) * self.n_features), dtype=self._np_dtype, order="F")
        self._fill(columns, out)
        return frame_of(out, names)

    def _small_frame(self, columns: list, names: list[str]) -> pl.DataFrame:
        """Serving-size frames: hash Python strings one by one and build the rows directly (no
        Arrow export, no NumPy buffers: at one row those fixed costs dominate)."""
        from tabprep.kernels import murmurhash3_32

        k = self.n_features
        zero, one = (0.0, 1.0) if self._np_dtype.kind == "f" else (0, 1)
        rows = [[zero] * (k * len(columns)) for _ in range(columns[0].len())]
        for i, s in enumerate(columns):
            for r, value in enumerate(s.to_list()):
                if value is None:
                    continue
                h = murmurhash3_32(value)
                # FeatureHasher's bucket rule (abs(-2**31) defined as in scikit-learn)
                bucket = (2**31 - 1 - (k - 1)) % k if h == -(2**31) else abs(h) % k
                rows[r][i * k + bucket] = (one if h >= 0 else -one) if self.signed else one
        df = pl.DataFrame(rows, schema=names, orient="row")
        dt = polars_dtype(self._np_dtype)
        return df if df.dtypes[0] == dt else df.cast(dt)

    def _buckets(self, s: pl.Series):
        from tabprep.kernels import hash_buckets

        return hash_buckets(s, self.n_features)

    def _columns_of(self, i: int, s: pl.Series) -> list:
        """One batch of input column ``i``: its ``n_features`` output columns."""
        bucket, sign = self._cache.get(i, s, self._buckets)
        out = []
        for j in range(self.n_features):
            hit = bucket == j
            out.append((np.where(hit, sign, 0) if self.signed else hit).astype(self._np_dtype))
        return out

    def transform_exprs(self, schema) -> list:
        """One expression per column, its ``n_features`` outputs unnested from one struct per
        batch: each batch is hashed once (see ``unnested_outputs``)."""
        self._check_fitted()
        dt = polars_dtype(self._np_dtype)
        names = self._input_names()
        out_names = iter(self._names_out(names))
        return [unnested_outputs(name, [next(out_names) for _ in range(self.n_features)], dt,
                                 partial(self._columns_of, i)) for i, name in enumerate(names)]

    def output_schema(self, schema):
        dt = polars_dtype(self._np_dtype)
        return pl.Schema({n: dt for n in self._names_out(self._input_names())})

    def planned_output_schema(self, schema, columns):
        dt = polars_dtype(out_dtype(self))
        return {n: dt for n in self._names_out(list(columns))}

    # ---------------------------------------------------------------- serialization
    def _set_state(self, state: dict, tables: dict) -> None:
        self._setup()

