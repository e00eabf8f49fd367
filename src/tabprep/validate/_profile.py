"""``profile(data)``: per-column statistics and mergeable sketches, in one pass over the data.

The data is read once, as ordered batches re-cut into fixed blocks of the global row number
(``tabprep._base.fit``'s blocks: the result does not depend on the source's chunking). Per block:
one Polars ``select`` of the exact statistics (rows, missing, min/max, count/mean/sum of squared
deviations: merged by Chan's formula), and the sketches are updated:

- numbers: a :class:`~tabprep.bin.KLLSketch` of the finite values (quantiles, histogram, and
  the reference distribution of drift with its rank error bound). A block of many values enters
  through the sketch's sampler (:meth:`~tabprep.bin.KLLSketch.update_sampled`: one value of each
  group of ``2**h``, ``h`` the largest whose added error at the block's size is at most half the
  sketch's own), because sorting every value was most of a profile's time; ``rank_error``
  states both parts;
- every column: a :class:`~tabprep.validate._sketches.HyperLogLog` (distinct values);
- every column but floats: a :class:`~tabprep.validate._sketches.MisraGries` summary of
  ``max_exact`` counters (top values; exact, and so is the distinct count, while a column has at
  most ``max_exact`` distinct values).

With ``sample=N`` the profile also keeps a uniform sample of ``N`` rows (without replacement,
drawn from ``seed``): each block's rows get random keys from ``(seed, block number)`` and the
``N`` smallest keys of the whole table are kept (bottom-k sampling, so the sample does not depend
on the source's chunking either). Drift uses it for an exact two-sample KS statistic.

A :class:`Profile` is saved as an artifact (:meth:`Profile.save`, :func:`load_profile`): a folder
with ``manifest.json`` (format ``tabprep.profile``, the statistics, a sha256 fingerprint) and Arrow
IPC tables (the sketches, the frequent values, the sample), each listed with its size and sha256; loading reads
JSON and Arrow only.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tabprep._constraints import Interval, validate_call
from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.errors import ArtifactError, ConfigError
# the artifact's own canonical pieces: a profile is saved the way a fitted pipeline is
from tabprep.pipeline._artifact import _ipc_file_bytes, _sha256, _versions
from tabprep.validate._sketches import HyperLogLog, MisraGries

__all__ = ["ColumnProfile", "Profile", "profile", "load_profile", "FORMAT", "FORMAT_VERSION"]

FORMAT = "tabprep.profile"
FORMAT_VERSION = 1
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
BLOCK_ROWS = 1 << 20


def _kind(dtype) -> str:
    s = dtype_str(dtype)
    if s == "Boolean":
        return "categorical"
    if dtype.is_numeric():
        return "numeric"
    if s == "String" or s.startswith(("Categorical", "Enum")):
        return "categorical"
    if dtype.is_temporal():
        return "temporal"
    return "other"


@dataclass
class ColumnProfile:
    """Statistics of one column (see :func:`profile`).

    ``distinct`` is exact when ``distinct_exact``, else a HyperLogLog estimate (relative standard
    error ``hll.relative_error``). ``top`` holds ``(value, count)`` pairs; each count is at most
    ``top_error`` below the true count (0: exact). ``quantiles`` and ``histogram`` come from the
    KLL sketch: every rank is within ``rank_error`` times the number of values (the sketch's
    bound for all quantiles at once, plus its sampler's per-value bound when it sampled).
    """

    name: str
    dtype: str
    kind: str
    rows: int
    missing: int
    distinct: float  # an int when exact
    distinct_exact: bool
    min: object = None
    max: object = None
    mean: float | None = None
    std: float | None = None
    quantiles: dict = field(default_factory=dict)
    histogram: dict | None = None
    top: list = field(default_factory=list)
    top_error: int = 0
    rank_error: float | None = None
    sketch: object = None  # KLLSketch or None
    hll: object = None
    frequent: object = None  # MisraGries or None

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    def to_dict(self) -> dict:
        """The JSON statistics (sketches are left out: they are saved as Arrow tables)."""
        return {"name": self.name, "dtype": self.dtype, "kind": self.kind, "rows": self.rows,
                "missing": self.missing, "distinct": self.distinct, "distinct_exact": self.distinct_exact,
                "min": _json_scalar(self.min), "max": _json_scalar(self.max), "mean": self.mean, "std": self.std,
                "quantiles": {str(q): v for q, v in self.quantiles.items()}, "histogram": self.histogram,
                "top": [[_json_scalar(v), c] for v, c in self.top], "top_error": self.top_error,
                "rank_error": self.rank_error}


def _json_scalar(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


class Profile:
    """The profile of a table: a :class:`ColumnProfile` per column, saved and loaded as an artifact.

    Attributes
    ----------
    columns : dict {name: ColumnProfile}
    n_rows : int
    source : str or None
    params : dict
        The :func:`profile` parameters it was made with.
    sample : polars.DataFrame or None
        ``profile(sample=N)``: a uniform sample of ``N`` rows (all of them when fewer), in row
        order.
    """

    def __init__(self, columns, n_rows: int, source=None, params=None, sample=None) -> None:
        self.columns = dict(columns)
        self.n_rows = int(n_rows)
        self.source = source
        self.params = dict(params or {})
        self.sample = sample

    def __repr__(self) -> str:
        return f"Profile(n_rows={self.n_rows}, columns={list(self.columns)})"

    def to_dict(self) -> dict:
        """JSON-able statistics (no sketches)."""
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "n_rows": self.n_rows, "source": self.source,
                "params": self.params, "columns": [c.to_dict() for c in self.columns.values()]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)

    def to_frame(self):
        """One row per column: dtype, rows, missing, distinct, min, max, mean, std (min/max as text)."""
        import polars as pl

        cols = list(self.columns.values())
        return pl.DataFrame({
            "column": [c.name for c in cols], "dtype": [c.dtype for c in cols], "rows": [c.rows for c in cols],
            "missing": [c.missing for c in cols], "distinct": [float(c.distinct) for c in cols],
            "distinct_exact": [c.distinct_exact for c in cols],
            "min": [None if c.min is None else str(c.min) for c in cols],
            "max": [None if c.max is None else str(c.max) for c in cols],
            "mean": [c.mean for c in cols], "std": [c.std for c in cols]},
            schema={"column": pl.String, "dtype": pl.String, "rows": pl.Int64, "missing": pl.Int64,
                    "distinct": pl.Float64, "distinct_exact": pl.Boolean, "min": pl.String, "max": pl.String,
                    "mean": pl.Float64, "std": pl.Float64})

    def __str__(self) -> str:
        head = ("column", "dtype", "missing", "distinct", "min", "max", "mean", "std")
        rows = []
        for c in self.columns.values():
            distinct = f"{int(c.distinct):,}" if c.distinct_exact else f"~{c.distinct:,.0f}"
            rows.append((c.name, c.dtype, f"{c.missing_share:.2%}", distinct, _short(c.min), _short(c.max),
                         _short(c.mean), _short(c.std)))
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        lines = [f"{self.source or 'data'}: {self.n_rows:,} rows, {len(self.columns)} columns"]
        lines += ["  ".join(f"{str(v):<{w}}" for v, w in zip(r, widths)).rstrip() for r in [head, *rows]]
        return "\n".join(lines)

    # ------------------------------------------------------------------ artifact
    def _files(self) -> tuple[dict, dict[str, bytes]]:
        import pyarrow as pa

        files: dict[str, bytes] = {}

        def add(rel: str, table) -> dict:
            files[rel] = _ipc_file_bytes(table)
            return {"file": rel, "bytes": len(files[rel]), "sha256": _sha256(files[rel]), "rows": table.num_rows}

        cols = list(self.columns.values())
        sketches = pa.table({
            "column": pa.array([c.name for c in cols], pa.string()),
            "kll": pa.array([None if c.sketch is None else c.sketch.to_bytes() for c in cols], pa.binary()),
            "hll": pa.array([c.hll.registers.tobytes() for c in cols], pa.binary()),
            "hll_p": pa.array([c.hll.p for c in cols], pa.int32()),
        })
        tables = {"sketches": add("tables/0-0.arrow", sketches)}
        if self.sample is not None:
            tables["sample"] = add("tables/0-1.arrow", self.sample.to_arrow())
        columns = []
        for i, c in enumerate(cols):
            entry = c.to_dict()
            if c.frequent is not None:
                entry["frequent"] = {"capacity": c.frequent.capacity, "n": c.frequent.n, "exact": c.frequent.exact,
                                     "table": add(f"tables/{i + 1}-0.arrow", c.frequent.frame.to_arrow())}
            columns.append(entry)
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "versions": _versions(),
                    "n_rows": self.n_rows, "source": self.source, "params": self.params, "columns": columns,
                    "tables": tables}
        return manifest, files

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical content (statistics and sketch tables; not the time it was saved
        nor the data's path)."""
        from tabprep._base.codec import canonical_json

        manifest, _ = self._files()
        return _sha256(canonical_json(_content(manifest)))

    def save(self, path) -> Path:
        """Write the profile to the folder ``path`` atomically (JSON manifest + Arrow tables).

        Examples
        --------
        >>> import tempfile, polars as pl
        >>> p = profile(pl.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]}))
        >>> out = p.save(tempfile.mkdtemp() + "/profile")
        >>> q = load_profile(out)
        >>> q.fingerprint == p.fingerprint, q.columns["c"].top
        (True, [('a', 2), ('b', 1)])
        """
        from tabprep._base.codec import canonical_json
        from tabprep.io import atomic_path
        from tabprep.pipeline._artifact import _created

        dest = Path(path)
        if dest.exists() and not (dest.is_dir() and (not any(dest.iterdir()) or _is_profile(dest))):
            raise ConfigError("the output path exists and is not a tabprep profile; refusing to replace it",
                              path=dest, hint="choose a new folder name, or remove it first")
        manifest, files = self._files()
        manifest = {**manifest, "fingerprint": _sha256(canonical_json(_content(manifest))), "created": _created()}
        with atomic_path(dest) as tmp:
            (tmp / "tables").mkdir(parents=True)
            for rel, data in files.items():
                (tmp / rel).write_bytes(data)
            (tmp / "manifest.json").write_text(json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False,
                                                          allow_nan=False) + "\n", encoding="utf-8")
        return dest

    # ------------------------------------------------------------------ HTML
    def _html_title(self) -> str:
        return "tabprep profile"

    def _html_body(self) -> str:
        from tabprep.validate._plots import profile_body

        return profile_body(self)


def _content(manifest: dict) -> dict:
    """What the fingerprint covers: everything but the save time and where the data lay (the
    same rows profiled from another path give the same fingerprint)."""
    return {k: v for k, v in manifest.items() if k not in ("created", "fingerprint", "source")}


def _short(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)[:24]


def _is_profile(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    names = {p.name for p in folder.iterdir()}
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT and names <= {"manifest.json", "tables"}


# ---------------------------------------------------------------------------------------------
@validate_call({"max_exact": [Interval(int, 1, None)], "top_k": [Interval(int, 0, None)],
                "bins": [Interval(int, 1, None)], "k": [Interval(int, 8, 65535)],
                "sample": [Interval(int, 0, None)], "seed": [Interval(int, 0, None)]})
def profile(data, *, max_exact: int = 10_000, top_k: int = 10, bins: int = 20, k: int = 200, sample: int = 0,
            seed: int = 0) -> Profile:
    """Profile every column of ``data`` in one pass.

    Parameters
    ----------
    data : table or path
    max_exact : int, default 10_000
        Up to this many distinct values per column the frequent values and the distinct count are
        exact (Misra-Gries counters that never had to be decremented); above it the top values
        carry an error bound and the distinct count is a HyperLogLog estimate.
    top_k : int, default 10
        Frequent values kept in the report (non-float columns).
    bins : int, default 20
        Equal-width histogram bins between min and max of number columns (counts from the sketch).
    k : int, default 200
        KLL sketch size (normalized rank error ``tabprep.bin.rank_error_bound(k)``, 1.33% at 200).
    sample : int, default 0
        Keep a uniform sample of this many rows (``Profile.sample``, saved with the profile):
        :func:`drift` then computes the exact two-sample KS statistic between it and the data
        instead of the sketch estimate. 0: no sample.
    seed : int, default 0
        Seed of the sample.

    Returns
    -------
    Profile

    Examples
    --------
    >>> import polars as pl
    >>> p = profile(pl.DataFrame({"x": [1.0, None, 3.0, 4.0], "c": ["a", "b", "a", None]}))
    >>> x, c = p.columns["x"], p.columns["c"]
    >>> (x.missing, x.min, x.max, x.mean), (c.distinct, c.distinct_exact, c.top)
    ((1, 1.0, 4.0, 2.6666666666666665), (2, True, [('a', 2), ('b', 1)]))
    """
    from tabprep.io._dispatch import as_table

    coerced = as_table(data, allow_path=True)
    source = str(data) if coerced.kind == "path" else None
    params = {"max_exact": max_exact, "top_k": top_k, "bins": bins, "k": k}
    if sample:
        params |= {"sample": sample, "seed": seed}
    return scan_profile(coerced.lf, params=params, source=source)[0]


def scan_profile(lf, *, params: dict, source=None, edges: dict | None = None, columns=None, sketches_of=None,
                 points: dict | None = None):
    """The one pass behind :func:`profile`; also counts, exactly, the values of ``edges``'
    columns in the bins those edges define (drift's PSI on a reference's bins).

    ``points`` (drift's exact KS): ``{column: sorted distinct float64 values}``; the second
    result then also holds ``{(column, "le"): counts of values <= each point, (column, "lt"):
    counts of values < each point, (column, "n"): [number of finite values]}``.

    ``sketches_of`` (drift): ``{column: {"kll", "frequent"}}``, the only sketches to build (no
    HyperLogLog then); by default every sketch of every column.

    Returns ``(Profile, {column: int64 array of len(edges) + 1 counts})``; bin ``i`` holds the
    values in ``(edges[i-1], edges[i]]`` (first bin ``<= edges[0]``, last ``> edges[-1]``), the
    finite values only.
    """
    import polars as pl

    from tabprep._base.fit import _blocks
    from tabprep._config import run_tasks
    from tabprep._base.stats import merge_by_prefix
    from tabprep.bin import KLLSketch
    from tabprep.bin._sketch import rank_error_bound, sampling_error_bound
    from tabprep.io import polars_errors
    from tabprep.kernels._moments import column_moments

    edges = edges or {}
    points = points or {}
    with polars_errors(source, frame=lf):
        schema = lf.collect_schema()
    names = list(schema.names()) if columns is None else list(columns)
    kinds = {n: _kind(schema[n]) for n in names}
    exprs = [pl.len().alias("count_rows:")]
    general = {}  # float column -> its statistics over the finite values (a block with NaN or inf)
    for n in names:
        dtype, c = schema[n], pl.col(n)
        # a float column's missing count is its nulls plus its NaN (added up after the select)
        exprs.append(c.null_count().cast(pl.Int64).alias(f"count_missing:{n}"))
        if kinds[n] in ("numeric", "temporal") or dtype_str(dtype) == "String":
            exprs += [c.min().alias(f"min:{n}"), c.max().alias(f"max:{n}")]
        if kinds[n] == "numeric" and dtype_str(dtype) != "Boolean":
            # every value finite (integers; floats of a block without NaN or inf, told by the NaN
            # count and min/max): plain aggregations, ~6x faster than filtering the finite values;
            # a float column's moments come from the moments kernel (one read, after the select)
            if not dtype.is_float():
                exprs += [c.count().cast(pl.Int64).alias(f"n:{n}"), c.cast(pl.Float64).mean().alias(f"mean:{n}"),
                          (c.cast(pl.Float64).var(ddof=0) * c.count()).fill_null(0.0).alias(f"m2:{n}")]
            if dtype.is_float():
                exprs.append(c.is_nan().sum().cast(pl.Int64).alias(f"nan:{n}"))
                v, f = c.filter(c.is_not_nan()), c.filter(c.is_finite())
                general[n] = [v.min().alias(f"min:{n}"), v.max().alias(f"max:{n}"),
                              f.len().cast(pl.Int64).alias(f"n:{n}"), f.mean().alias(f"mean:{n}"),
                              ((f - f.mean()) ** 2).sum().alias(f"m2:{n}")]
    wanted = (lambda n, what: True) if sketches_of is None else (lambda n, what: what in sketches_of.get(n, ()))
    sketches = {n: KLLSketch(k=params["k"], seed=0) for n in names
                if kinds[n] == "numeric" and dtype_str(schema[n]) != "Boolean" and wanted(n, "kll")}
    hlls = {n: HyperLogLog() for n in names} if sketches_of is None else {}
    freq = {n: MisraGries(params["max_exact"], pl.String if kinds[n] == "categorical" and dtype_str(schema[n]) != "Boolean"
                          else schema[n]) for n in names if not schema[n].is_float() and wanted(n, "frequent")}
    bin_counts = {n: np.zeros(len(e) + 1, dtype=np.int64) for n, e in edges.items()}
    for n, u in points.items():
        bin_counts[(n, "le")] = np.zeros(len(u), dtype=np.int64)
        bin_counts[(n, "lt")] = np.zeros(len(u), dtype=np.int64)
        bin_counts[(n, "n")] = np.zeros(1, dtype=np.int64)
    # the sampler's level per block size: the largest whose added error is at most half the sketch's
    eps = rank_error_bound(params["k"])
    sampler_log2 = lambda size: max([0] + [h for h in range(1, 24) if sampling_error_bound(size, h) <= eps / 2])  # noqa: E731
    sampled = {n: 0 for n in sketches}  # sum over sampled values of their weight (the sampler's error)
    keep = params.get("sample", 0)
    kept = None  # bottom-k sample: the rows with the smallest keys so far
    acc = None
    with polars_errors(source, frame=lf):
        batches = lf.select(names).collect_batches(chunk_size=BLOCK_ROWS, maintain_order=True)
        # every float column in one chunk per block: Polars sums chunk by chunk, so the same
        # rows must give the same rounding however the source is chunked
        for number, block in enumerate(_blocks(batches, BLOCK_ROWS, whole=[n for n in names if schema[n].is_float()])):
            part = block.select(exprs).row(0, named=True)
            for n in general:
                part[f"count_missing:{n}"] += part[f"nan:{n}"]
                if not part[f"nan:{n}"]:  # (a block with NaN takes the finite values' moments below)
                    m = column_moments(block.get_column(n))
                    part[f"n:{n}"], part[f"mean:{n}"], part[f"m2:{n}"] = m.n, m.mean, m.m2 if m.n else 0.0
            nan_now = {n for n in general if part[f"nan:{n}"]}
            redo = [n for n in general if part.pop(f"nan:{n}")
                    or (part[f"min:{n}"] is not None and not math.isfinite(part[f"min:{n}"]))
                    or (part[f"max:{n}"] is not None and not math.isfinite(part[f"max:{n}"]))]
            if redo:
                part.update(block.select([e for n in redo for e in general[n]]).row(0, named=True))
            general_now = set(redo)
            acc = part if acc is None else merge_by_prefix([acc, part])
            if keep:
                kept = _bottom_k(kept, block, keep, params["seed"], number)

            def update(j: int, block=block, general_now=general_now, nan_now=nan_now) -> None:
                # one column's sketches only: columns run on the pool's threads, each task writes
                # its own objects, so the result does not depend on the threads
                n = names[j]
                s = block[n]
                if s.dtype.is_float():
                    # NaN counts as missing; a float column's sketches only see its non-missing
                    # values: one copy of them serves the HyperLogLog and the KLL sketch
                    s = (s.fill_nan(None) if n in nan_now else s).drop_nulls()
                if n in freq:
                    mg = freq[n]
                    before = mg.frame["value"] if mg.exact else None
                    mg.update(s.cast(pl.String) if kinds[n] == "categorical" and s.dtype != pl.Boolean else s)
                    if not mg.exact and n in hlls:
                        # HyperLogLog depends on the set of values only: while the counters are
                        # exact they hold that set, so the registers are filled from them once,
                        # when the counters first overflow (or at the end), not block by block
                        if before is not None:
                            hlls[n].update(before)
                        hlls[n].update(s)
                elif n in hlls:
                    hlls[n].update(s)
                if n in sketches or n in edges or n in points:
                    values = s.cast(pl.Float64).drop_nulls().to_numpy()
                    if n in general_now:  # NaN are nulls by now; inf only where the block had some
                        values = values[np.isfinite(values)]
                    if n in sketches:
                        h = sampler_log2(values.size)
                        sketches[n].update_sampled(values, h)
                        if h:
                            sampled[n] += (values.size >> h << h) << h
                    if n in edges:
                        idx = np.searchsorted(np.asarray(edges[n], dtype=np.float64), values, side="left")
                        bin_counts[n] += np.bincount(idx, minlength=len(edges[n]) + 1)
                    if n in points:
                        u = points[n]
                        # u[idx - 1] < v <= u[idx]: the values equal to a point are split off
                        idx = np.searchsorted(u, values, side="left")
                        equal = np.zeros(values.size, dtype=bool)
                        inside = idx < u.size
                        equal[inside] = u[idx[inside]] == values[inside]
                        le = np.cumsum(np.bincount(idx, minlength=u.size + 1)[: u.size])
                        bin_counts[(n, "le")] += le
                        bin_counts[(n, "n")] += values.size
                        bin_counts[(n, "lt")] += le - np.bincount(idx[equal], minlength=u.size)[: u.size]

            run_tasks(update, len(names))
    if acc is None:  # no rows at all
        acc = lf.clear().select(exprs).collect().row(0, named=True)
        for n in general:
            acc.pop(f"nan:{n}")
    n_rows = int(acc["count_rows:"])
    for n, mg in freq.items():
        if mg.exact and n in hlls:
            hlls[n].update(mg.frame["value"])
    out = {}
    for n in names:
        out[n] = _finish(n, schema[n], kinds[n], n_rows, acc, sketches.get(n), hlls.get(n), freq.get(n), params)
        if n in sampled and out[n].rank_error is not None and sampled[n]:
            # Hoeffding over the sampled groups of every block (their weights may differ)
            spread = math.sqrt(math.log(200.0) * sampled[n] / 2.0) / out[n].sketch.n
            out[n].rank_error = out[n].rank_error + spread
    sample = None
    if keep:
        sample = (kept if kept is not None else lf.clear().select(names).collect().with_columns(
            pl.lit(0.0).alias(_KEY), pl.lit(0, pl.Int64).alias(_ROWNUM)))
        sample = sample.sort(_ROWNUM).drop(_KEY, _ROWNUM)
    return Profile(out, n_rows, source, params, sample), bin_counts


_KEY, _ROWNUM = "__tabprep_key__", "__tabprep_row__"


def _bottom_k(kept, block, k: int, seed: int, number: int):
    """The ``k`` rows with the smallest random keys among ``kept`` and ``block`` (block ``number``,
    keys from ``(seed, number)``): a uniform sample without replacement of the rows seen."""
    import polars as pl

    keys = np.random.default_rng([seed, number, 0x5A4D]).random(block.height)
    take = np.argpartition(keys, k - 1)[:k] if block.height > k else np.arange(block.height)
    rows = block[take].with_columns(pl.Series(_KEY, keys[take]),
                                    pl.Series(_ROWNUM, take.astype(np.int64) + number * BLOCK_ROWS))
    both = rows if kept is None else pl.concat([kept, rows])
    return both.sort(_KEY, _ROWNUM).head(k) if both.height > k else both


def _finish(name, dtype, kind, n_rows, acc, sketch, hll, mg, params) -> ColumnProfile:
    missing = int(acc[f"count_missing:{name}"])
    if mg is not None and mg.exact:
        distinct, exact = mg.frame.height, True
    elif hll is not None:
        distinct, exact = float(hll.estimate()), False
    else:  # a drift pass builds no HyperLogLog
        distinct, exact = float("nan"), False
    col = ColumnProfile(name, dtype_str(dtype), kind, n_rows, missing, distinct, exact,
                        acc.get(f"min:{name}"), acc.get(f"max:{name}"), hll=hll, sketch=sketch, frequent=mg)
    if f"n:{name}" in acc and acc[f"n:{name}"]:
        count = int(acc[f"n:{name}"])
        col.mean = float(acc[f"mean:{name}"])
        col.std = math.sqrt(acc[f"m2:{name}"] / (count - 1)) if count > 1 else 0.0
    if sketch is not None and sketch.n:
        col.rank_error = sketch.rank_error
        col.quantiles = {q: float(v) for q, v in zip(QUANTILES, sketch.quantiles(QUANTILES))}
        lo, hi = sketch.min, sketch.max
        edges = np.linspace(lo, hi, params["bins"] + 1) if hi > lo else np.array([lo, lo])
        cdf = np.array([0.0] + [sketch.rank(e) for e in edges[1:-1]] + [1.0])
        counts = np.round(np.diff(cdf) * sketch.n).astype(np.int64)
        col.histogram = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    if mg is not None:
        col.top = [(v, int(c)) for v, c in mg.top(params["top_k"]).iter_rows()]
        col.top_error = mg.error_bound
    return col


# ---------------------------------------------------------------------------------------------
def load_profile(path) -> Profile:
    """Load a profile folder written by :meth:`Profile.save` (checksums verified, no code run).

    Raises
    ------
    ArtifactError
        Not a profile, a newer format, a checksum mismatch, a missing or truncated table.
    """
    import polars as pl

    from tabprep.bin import KLLSketch
    from tabprep.pipeline._artifact import read_table

    root = Path(path)
    mpath = root / "manifest.json"
    if not root.is_dir():
        raise ArtifactError("not a tabprep profile: expected a folder holding manifest.json", path=root)
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError("manifest.json is missing: not a tabprep profile", path=root) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ArtifactError(f"manifest.json is malformed JSON ({exc})", path=mpath) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ArtifactError(f"not a tabprep profile; expected format {FORMAT!r}", path=mpath, found=repr(found))
    if not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ArtifactError(f"profile format version {manifest.get('format_version')!r} is not one this tabprep "
                            f"reads (up to {FORMAT_VERSION})", path=mpath, hint="upgrade tabprep")
    from tabprep._base.codec import canonical_json

    try:
        if _sha256(canonical_json(_content(manifest))) != manifest.get("fingerprint"):
            raise ArtifactError("manifest checksum mismatch: manifest.json was edited or corrupted", path=mpath,
                                hint="re-create the profile from the data")
        sketches = pl.from_arrow(read_table(root, "profile", "sketches", manifest["tables"]["sketches"]))
        by_name = {row["column"]: row for row in sketches.iter_rows(named=True)}
        columns = {}
        for entry in manifest["columns"]:
            name = entry["name"]
            row = by_name[name]
            dtype = parse_dtype(entry["dtype"])
            mg = None
            if "frequent" in entry:
                f = entry["frequent"]
                frame = pl.from_arrow(read_table(root, f"column {name!r}", "frequent", f["table"]))
                mg = MisraGries(f["capacity"], frame["value"].dtype, frame, f["n"], f["exact"])
            hll = HyperLogLog(row["hll_p"], np.frombuffer(row["hll"], dtype=np.uint8).copy())
            sketch = None if row["kll"] is None else KLLSketch.from_bytes(row["kll"])
            col = ColumnProfile(name, entry["dtype"], entry["kind"], entry["rows"], entry["missing"],
                                entry["distinct"], entry["distinct_exact"], entry["min"], entry["max"],
                                entry["mean"], entry["std"], {float(q): v for q, v in entry["quantiles"].items()},
                                entry["histogram"], [(v, c) for v, c in entry["top"]], entry["top_error"],
                                entry["rank_error"], sketch, hll, mg)
            if dtype.is_numeric() and col.min is not None and isinstance(col.min, str):
                col.min, col.max = float(col.min), float(col.max)
            columns[name] = col
        sample = None
        if "sample" in manifest["tables"]:
            sample = pl.from_arrow(read_table(root, "profile", "sample", manifest["tables"]["sample"]))
    except ArtifactError:
        raise
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ArtifactError(f"invalid profile manifest: {exc!r}", path=mpath) from None
    return Profile(columns, manifest["n_rows"], manifest.get("source"), manifest.get("params"), sample)
