"""Rare-category grouping: values seen too seldom in fit become one ``other`` label."""

from __future__ import annotations

import numpy as np
import polars as pl

from tabprep.errors import ConfigError
from tabprep._base.params import Interval
from tabprep._base.step import Step, register_step
from tabprep.encode._categorical import conform
from tabprep.encode._counts import CountFitEncoder, build_cats

__all__ = ["RareCategoryGrouper"]


@register_step
class RareCategoryGrouper(CountFitEncoder):
    """Group the rare values of categorical columns into one label (output: String columns).

    A value is *frequent* when fit saw it at least ``min_count`` times and in at least
    ``min_share`` of the rows (both conditions when both are given); every other value, including
    values never seen in fit, becomes ``other``. Nulls stay null.

    Parameters
    ----------
    min_count : int, default None
        Minimum number of training rows for a value to keep its label.
    min_share : float in (0, 1], default None
        Minimum share of training rows (nulls included in the row count) to keep its label.
    other : str, default "__other__"
        Label of the grouped values (if a frequent value has this label, they merge).

    Attributes
    ----------
    frequent_categories_ : list of ndarray
        Per column, the values that keep their label (first-seen order).
    rare_categories_ : list of ndarray
        Per column, the values seen in fit that become ``other``.

    Notes
    -----
    Output columns are String whatever the input dtype (Categorical, Enum, integers...): the
    kept values are cast to text with Polars' casting rules (booleans become ``"true"``).

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.encode import RareCategoryGrouper
    >>> df = pl.DataFrame({"city": ["Oslo", "Oslo", "Lima", "Oslo", "Rome", None]})
    >>> RareCategoryGrouper(min_count=2).fit(df).transform(df)["city"].to_list()
    ['Oslo', 'Oslo', '__other__', 'Oslo', '__other__', None]
    """

    _parameter_constraints = {
        "min_count": [Interval(int, 1, None, closed="left"), None],
        "min_share": [Interval(float, 0, 1, closed="right"), None],
        "other": [str],
    }

    def __init__(self, min_count=None, min_share=None, other="__other__"):
        self.min_count = min_count
        self.min_share = min_share
        self.other = other

    def _validate_extra(self) -> None:
        if self.min_count is None and self.min_share is None:
            raise ConfigError("RareCategoryGrouper needs `min_count` or `min_share` (else nothing is rare)",
                              hint="e.g. RareCategoryGrouper(min_count=10) or min_share=0.01")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # outputs text, whatever the input dtype
        return tags

    def _make_cats(self, i, name, kind, vdtype, seen, n_rows):
        return build_cats(name, kind, vdtype, seen, n_rows, order="first_seen", owner="RareCategoryGrouper")

    def _derive(self) -> None:
        self._keep = []
        for cats in self._cats:
            counts = cats.counts[:len(cats)]
            keep = np.ones(len(cats), dtype=bool)
            if self.min_count is not None:
                keep &= counts >= self.min_count
            if self.min_share is not None:
                keep &= counts >= self.min_share * cats.n_rows
            self._keep.append(keep)

    def _split(self, keep: bool) -> list:
        if "_keep" not in self.__dict__:
            raise AttributeError("RareCategoryGrouper has no fitted categories before fit")
        return [c.values.filter(pl.Series(k if keep else ~k)).to_numpy() for c, k in zip(self._cats, self._keep)]

    @property
    def frequent_categories_(self) -> list:
        """Per column, the values that keep their label (first-seen order)."""
        return self._split(True)

    @property
    def rare_categories_(self) -> list:
        """Per column, the values seen in fit that become ``other``."""
        return self._split(False)

    def transform(self, X):
        """Group rare values of ``X`` (Polars expressions: faster here than a lookup kernel, since
        the output is text and Polars keeps the kept strings as views)."""
        return Step.transform(self, X)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit, then transform ``X``."""
        return self.fit(X, y).transform(X)

    def transform_exprs(self, schema) -> list:
        """``when(is_in(frequent)) then value otherwise other`` per column (Polars hash set)."""
        self._check_fitted()
        exprs = []
        for i, name in enumerate(self._input_names()):
            cats = self._cats[i]
            dtype = schema[name] if name in schema else cats.vdtype
            # the core's dtype rule, at plan time: a column of another kind is a SchemaError
            conform(pl.Series(name, [], dtype=dtype), cats.kind, cats.vdtype, "RareCategoryGrouper")
            col = pl.col(name)
            if isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype == pl.Null or cats.kind == "float" \
                    or (cats.kind == "temporal" and dtype != cats.vdtype):
                col = col.cast(cats.vdtype)
            if cats.kind == "float":
                col = col.fill_nan(None)
            frequent = cats.values.filter(pl.Series(self._keep[i]))
            exprs.append(
                pl.when(col.is_null()).then(pl.lit(None, dtype=pl.String))
                .when(col.is_in(frequent.implode())).then(col.cast(pl.String))
                .otherwise(pl.lit(self.other, dtype=pl.String))
                .alias(name)
            )
        return exprs

    def output_schema(self, schema):
        return pl.Schema({n: pl.String for n in self._input_names()})

    def planned_output_schema(self, schema, columns):
        return {c: pl.String for c in columns}
