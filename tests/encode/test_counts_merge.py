"""The category tables of a statistics pass, merged block by block as the pass goes."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tabprep.encode import CountEncoder
from tabprep.encode._categorical import column_kind, value_dtype
from tabprep.encode._counts import as_seen, batch_seen

VALUES = {
    pl.String: st.one_of(st.none(), st.sampled_from(["a", "b", "", "é", "bb", "a\x00", "zz"])),
    pl.Int64: st.one_of(st.none(), st.integers(-3, 3), st.just(2**62)),
    pl.Float64: st.one_of(st.none(), st.sampled_from([0.0, -0.0, 1.5, float("nan"), -2.0])),
}


def _block_stats(block: pl.Series) -> dict:
    """A block's partial statistics, as a pass hands them over (a one-row struct Series)."""
    kind = column_kind(block.dtype, block.name)
    struct = batch_seen(kind, value_dtype(block.dtype, kind), block)
    return {"rows": len(block), "cats:x": pl.Series("cats:x", [struct.item()], dtype=struct.dtype)}


def _reference(values: list, dtype):
    """First-seen distinct values and their counts; missing (None, and NaN for floats) apart."""
    def missing(v):
        return v is None or (dtype == pl.Float64 and np.isnan(v))

    keys = [None if missing(v) else (v + 0.0 if dtype == pl.Float64 else v) for v in values]  # -0.0 is 0.0
    seen = list(dict.fromkeys(k for k in keys if k is not None))
    counts = Counter(k for k in keys if k is not None)
    return seen, [counts[k] for k in seen], sum(k is None for k in keys)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(list(VALUES)), every=st.integers(1, 4))
def test_tables_merged_as_they_come_equal_one_table_of_all_rows(data, dtype, every):
    values = data.draw(st.lists(VALUES[dtype], min_size=1, max_size=60))
    cuts = sorted(data.draw(st.lists(st.integers(1, max(1, len(values) - 1)), max_size=6, unique=True)))
    column = pl.Series("x", values, dtype=dtype)
    blocks = [column[a:b] for a, b in zip([0, *cuts], [*cuts, len(values)]) if b > a]
    step = CountEncoder()
    parts, merged_count = [], 0
    for block in blocks:  # as PhasePlan.add does: every `every` blocks the parts become one
        parts.append(_block_stats(block))
        if len(parts) > every:
            parts = [step.merge_stats(parts)]
            merged_count += 1
    at_once = step.merge_stats([_block_stats(b) for b in blocks]) if len(blocks) > 1 else _block_stats(blocks[0])
    running = step.merge_stats(parts) if len(parts) > 1 else parts[0]
    kind = column_kind(dtype, "x")
    a, b = (as_seen(s["cats:x"], kind, value_dtype(dtype, kind)) for s in (running, at_once))
    want_values, want_counts, want_nulls = _reference(values, dtype)
    for got in (a, b):
        assert got.values.to_list() == want_values
        assert got.counts.tolist() == want_counts and got.counts.dtype == np.int64
        assert got.nulls == want_nulls
    assert running["rows"] == at_once["rows"] == len(values)
    assert merged_count == 0 or isinstance(running["cats:x"], type(a))  # merged tables stay compact (no lists)
