"""Count / frequency encoding (category_encoders' CountEncoder), on the shared categorical core.

The fit's statistics are exactly what this encoder outputs (how often each value was seen), so
the fitted table is the counts themselves; transform is one lookup pass and one gather.
"""

from __future__ import annotations

import numbers

import numpy as np
import polars as pl

from tabprep.errors import DataError
from tabprep._base.params import Constraint, Options, check_param
from tabprep._base.step import register_step
from tabprep.encode._counts import CountFitEncoder, Rule, build_cats

__all__ = ["CountEncoder"]


class _UnknownOption(Constraint):
    def is_satisfied_by(self, value) -> bool:
        if isinstance(value, str):
            return _UNKNOWN_OPTIONS.is_satisfied_by(value)
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))

    def __str__(self) -> str:
        return "one of {'error', 'return_nan', 'value'} or a number"


@register_step
class CountEncoder(CountFitEncoder):
    """Replace each category by how often it was seen in fit (or its share of the rows).

    Parameter names and numbers follow ``category_encoders.CountEncoder`` where their formulas
    coincide.

    Parameters
    ----------
    normalize : bool, default False
        Output the share of training rows (count / rows, Float64) instead of the count (Int64).
    handle_unknown : {"value", "return_nan", "error"} or number, default "value"
        A value not seen in fit becomes 0, null (NaN in NumPy/pandas output), an error naming the
        column, row and value, or the given number.
    handle_missing : {"value", "return_nan", "error"}, default "value"
        A missing value (null, or NaN in a float column) is counted as a category of its own
        (its training count; 0 if fit saw none), becomes null, or is an error (in fit too).

    Attributes
    ----------
    counts_ : list of dict
        Per column ``{category: training count}`` (the missing group under ``None``).
    n_rows_ : int
        Rows seen in fit (the denominator of ``normalize``).

    Notes
    -----
    Deliberate differences from category_encoders 2.11, where its behaviour follows from
    implementation details: with ``handle_missing="return_nan"`` an unseen value still follows
    ``handle_unknown`` (category_encoders returns NaN), and a missing value is never replaced by
    a number given as ``handle_unknown``. No ``min_group_size`` (use
    :class:`~tabprep.encode.RareCategoryGrouper` first).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import CountEncoder
    >>> df = pl.DataFrame({"city": ["Oslo", "Lima", "Oslo", None]})
    >>> CountEncoder().fit(df).transform(pl.DataFrame({"city": ["Oslo", "Rome", None]}))["city"].to_list()
    [2, 0, 1]
    >>> CountEncoder(normalize=True).fit_transform(df)["city"].to_list()
    [0.5, 0.25, 0.5, 0.25]
    """

    _parameter_constraints = {
        "normalize": ["boolean"],
        "handle_unknown": [_UnknownOption()],
        "handle_missing": [Options(("value", "return_nan", "error"))],
    }

    def __init__(self, normalize=False, handle_unknown="value", handle_missing="value"):
        self.normalize = normalize
        self.handle_unknown = handle_unknown
        self.handle_missing = handle_missing

    # ---------------------------------------------------------------- fit
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # outputs counts, whatever the input dtype
        return tags

    def _make_cats(self, i, name, kind, vdtype, seen, n_rows):
        if self.handle_missing == "error" and seen.nulls:
            raise DataError("a column to count-encode has missing values (handle_missing='error')", column=name,
                            found=f"{seen.nulls} missing", hint="impute them first or use handle_missing='value'")
        return build_cats(name, kind, vdtype, seen, n_rows, order="first_seen", owner="CountEncoder")

    def _float_out(self) -> bool:
        return bool(self.normalize) or "return_nan" in (self.handle_unknown, self.handle_missing) \
            or isinstance(self.handle_unknown, (float, np.floating))

    def _derive(self) -> None:
        self._tables = []
        as_float = self._float_out()
        for cats in self._cats:
            n = len(cats)
            counts = cats.counts[:n].astype(np.float64 if as_float else np.int64)
            null_count = int(cats.counts[-1]) if cats.has_null else 0
            scale = cats.n_rows if self.normalize else 1
            unknown = {"value": 0, "return_nan": np.nan, "error": 0}.get(self.handle_unknown, self.handle_unknown) \
                if isinstance(self.handle_unknown, str) else self.handle_unknown
            null = {"value": null_count / scale if self.normalize else null_count, "return_nan": np.nan,
                    "error": 0}[self.handle_missing]
            table = np.concatenate([[unknown, null], counts / scale if self.normalize else counts])
            self._tables.append([table.astype(np.float64 if as_float else np.int64)])
        self.n_rows_ = self._cats[0].n_rows if self._cats else 0

    @property
    def counts_(self) -> list:
        """Per column ``{category: training count}`` (the missing group under ``None``)."""
        if "_cats" not in self.__dict__:
            raise AttributeError("CountEncoder has no counts_ before fit")
        return [dict(zip(c.values.to_list() + ([None] if c.has_null else []), c.counts.tolist()))
                for c in self._cats]

    # ---------------------------------------------------------------- transform
    def _unknown_fix(self):
        return "pass handle_unknown='value' (count 0) or 'return_nan'" if self.handle_unknown == "error" else None

    def _missing_fix(self):
        return "impute it first, or pass handle_missing='value'" if self.handle_missing == "error" else None

    def _pl_dtype(self):
        return pl.Float64 if self.normalize else pl.Int64

    def _layout(self):
        return True, self._pl_dtype()

    def planned_output_schema(self, schema, columns):
        return {c: self._pl_dtype() for c in columns}

    def _validate_extra(self) -> None:
        if not self.normalize:
            check_param(self.handle_unknown, [_UNKNOWN_OPTIONS, _WHOLE_COUNT], "handle_unknown", "CountEncoder")


_UNKNOWN_OPTIONS = Options(("error", "return_nan", "value"))
_WHOLE_COUNT = Rule(lambda v: isinstance(v, numbers.Real) and float(v).is_integer(), "an integer when normalize=False")
