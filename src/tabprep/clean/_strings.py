"""StringNormalizer: trim, case, Unicode normalization and whitespace collapsing of text columns."""

from __future__ import annotations

from tabprep._base.params import Options
from tabprep._base.step import Step, register_step
from tabprep.errors import SchemaError

__all__ = ["StringNormalizer"]


@register_step
class StringNormalizer(Step):
    """Normalize text columns, one to one, lazily (nothing is learned at fit).

    Parameters
    ----------
    strip : bool, default=True
        Remove surrounding whitespace.
    case : {"lower", "upper"} or None, default=None
        Change the case (Unicode-aware).
    unicode_form : {"NFC", "NFKC", "NFD", "NFKD"} or None, default="NFKC"
        Unicode normalization (NFKC folds compatibility forms: "ﬁ" → "fi", full-width "Ａ" → "A").
    collapse_whitespace : bool, default=True
        Turn each run of whitespace into one space.

    Nulls stay null and an empty string stays empty (turn null-like strings into nulls with
    :class:`Cleaner`). The steps run in the order normalization, collapse, strip, case.

    Examples
    --------
    >>> import polars as pl
    >>> from tabprep.clean import StringNormalizer
    >>> df = pl.DataFrame({"s": ["  Ｈello\\t\\n World ", "ﬁne", "", None]})
    >>> StringNormalizer(case="lower").fit_transform(df)["s"].to_list()
    ['hello world', 'fine', '', None]
    """

    _parameter_constraints = {
        "strip": ["boolean"],
        "case": [Options(("lower", "upper")), None],
        "unicode_form": [Options(("NFC", "NFKC", "NFD", "NFKD")), None],
        "collapse_whitespace": ["boolean"],
    }

    def __init__(self, *, strip=True, case=None, unicode_form="NFKC", collapse_whitespace=True):
        self.strip = strip
        self.case = case
        self.unicode_form = unicode_form
        self.collapse_whitespace = collapse_whitespace

    def fit_exprs(self, schema, columns, target):
        import polars as pl

        for c in columns:
            if schema[c] != pl.String:
                raise SchemaError("StringNormalizer works on text columns", column=c, found=str(schema[c]),
                                  hint="select String columns (e.g. polars.selectors.string())")
        return {}

    def _finalize(self, stats, schema, columns):
        pass

    def _normalized(self, x):
        if self.unicode_form is not None:
            x = x.str.normalize(self.unicode_form)
        if self.collapse_whitespace:
            x = x.str.replace_all(r"\s+", " ")
        if self.strip:
            x = x.str.strip_chars()
        if self.case == "lower":
            x = x.str.to_lowercase()
        elif self.case == "upper":
            x = x.str.to_uppercase()
        return x

    def transform_exprs(self, schema):
        import polars as pl

        return [self._normalized(pl.col(c)).alias(c) for c in self._input_names()]

    def inline_exprs(self, schema, inputs):
        import polars as pl

        return [self._normalized(inputs.get(c, pl.col(c))).alias(c) for c in self._input_names()]

    def planned_output_schema(self, schema, columns):
        return {c: schema[c] for c in columns}

    def _array_params(self):
        return {"array_dtype": None, "ensure_all_finite": "allow-nan"}
