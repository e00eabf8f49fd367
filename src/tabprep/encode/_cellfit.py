"""A cross-fitted encoder fitted from per-block cells: the fit of a distributed (Ray) pass.

The local fit (:mod:`tabprep.encode._crossfit`) factorizes whole columns and counts each row
into its (category, fold) cell. Here each block of rows does that for itself and returns small
tables; a driver merges them in block order and fits from the merged cells with the same code
as the local fit (``CrossFitEncoder._column_result`` / ``_set_fit``). Nothing of the rows but
those tables leaves a block. Three parts:

- :meth:`CellFit.partial` (per block): per input column its distinct keys (first-seen order,
  :func:`tabprep.kernels.factorize`) and its cells ``[rows, W, target sums]`` (plus ``[mean,
  M2]`` for a continuous target with ``smooth="auto"``) from
  :func:`tabprep.kernels._target.target_stats`, per (key, fold; 4-byte counts for unweighted
  class targets); the per-fold totals; and what
  the checks of the target, folds and weights need (first bad row of the block, the block's
  labels and fold values). The class and fold axes are the block's own (its sorted labels, its
  sorted fold values): the global ones are not known yet.
- :meth:`CellFit.finish` (driver): the global labels decide the target kind and classes
  exactly as :func:`~tabprep.encode._folds.target_from` does on all rows (it is called on their
  union); the global fold values give the fold ids as the local ``cv="<fold column>"`` does
  (sorted distinct values); each block's cells are moved onto the global (key, fold, class) axes
  and added in block order (M2 by Chan's formula), so the categories come out in the first-seen
  order of the whole data, as locally. Then the local code fits.
- :class:`OutOfFold` (per block again): the training rows' out-of-fold encodings, from the
  fitted per-fold tables and each row's fold (its fold column, or the hash of its key).

The folds must be known per row without the other rows: ``cv`` names a fold column, or is a
:class:`~tabprep.split.HashKFold` (a hash of a key column). Counts are exact, hence 0/1 and
class targets without weights give the local fit bit for bit; float sums (weights, continuous
targets) are added per block, so they may differ from the local fit in the last bits.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from tabprep.encode._categorical import column_kind, keys, missing_error, value_dtype
from tabprep.encode._folds import Target, fold_column, target_from
from tabprep.errors import DataError

__all__ = ["fits_on_cells", "CellFit", "OutOfFold"]

#: distinct labels of a block beyond which a float target that looks integral is taken as
#: continuous in that block (a class target has far fewer classes)
_MAX_LABELS = 4096


def fits_on_cells(step) -> bool:
    """Whether the cross-fitted encoder ``step`` can be fitted from per-block cells: its folds
    come from each row alone (``cv`` a fold column or a :class:`~tabprep.split.HashKFold`) and
    its categories are found in fit (``categories="auto"``)."""
    return fold_column(step.cv) is not None and getattr(step, "categories", "auto") == "auto"


def _first(mask: pl.Series) -> int:
    return int(mask.arg_true()[0]) if mask.any() else -1


def _merge_m2(acc_w, acc_m2, w, m2):
    """Chan's merge of weighted ``[mean, M2]`` cells (``acc`` updated in place)."""
    tot = acc_w + w
    seen = w > 0  # an empty cell adds nothing (whatever its mean holds)
    share = np.where(seen, w / np.where(seen, tot, 1.0), 0.0)
    delta = np.where(seen, m2[..., 0] - acc_m2[..., 0], 0.0)
    acc_m2[..., 1] += np.where(seen, m2[..., 1] + delta * delta * acc_w * share, 0.0)
    acc_m2[..., 0] += delta * share


class CellFit:
    """The per-block statistics of one cross-fitted encoder and their merge (module docstring).

    ``columns`` are its categorical inputs, ``target`` the label column, ``weight`` the
    sample-weight column or None, ``schema`` the schema the step sees.
    """

    def __init__(self, step, columns, target, weight, schema) -> None:
        self.step, self.columns, self.target, self.weight = step, list(columns), target, weight
        self.cv = step.cv
        self.fold_col = fold_column(step.cv)
        self.hashed = not isinstance(step.cv, str)
        self.target_dtype = schema[target] if target is not None else None
        self.kinds = [column_kind(schema[c], c) for c in self.columns]
        self.vdtypes = [value_dtype(schema[c], k) for c, k in zip(self.columns, self.kinds)]
        tt = step._target_type()
        floats = self.target_dtype is not None and self.target_dtype.is_float()
        # which cells a block computes: class cells, continuous cells, or (a float target whose
        # kind only all rows decide) both
        self.modes = (("continuous",) if tt == "continuous" else
                      ("labels", "continuous") if floats and tt == "auto" and not step._binary_only else
                      ("labels",))
        self.moments = step._rule(Target(np.empty(0), "continuous", None, None))[2]

    # ------------------------------------------------------------------ per block
    @staticmethod
    def _labels_of(s: pl.Series) -> pl.Series:
        return s.cast(pl.String) if isinstance(s.dtype, (pl.Categorical, pl.Enum)) else s

    def _labels(self, s: pl.Series) -> pl.Series:
        """The block's distinct labels, sorted (as :func:`target_from` orders classes)."""
        return self._labels_of(s).unique().sort()

    def block_folds(self, df: pl.DataFrame, fold_values: pl.Series | None):
        """The rows' fold ids (int8) and the number of folds: the hash of the key, or the fold
        column's values mapped onto ``fold_values`` (sorted)."""
        if self.hashed:
            return self.cv.fold_ids(df.get_column(self.fold_col)), self.cv.get_n_splits()
        col = df.get_column(self.fold_col)
        ids = col.replace_strict(fold_values, pl.int_range(len(fold_values), eager=True), return_dtype=pl.Int8)
        return np.ascontiguousarray(ids.to_numpy()), len(fold_values)

    def partial(self, df: pl.DataFrame) -> dict:
        """One block's cells and check data (the block holds the step's columns, the target,
        the fold/key column and the weight column)."""
        from tabprep.kernels import factorize
        from tabprep.kernels._target import target_stats

        n = df.height
        part: dict = {"rows": n}
        if n == 0:
            return part
        y = df.get_column(self.target)
        part["y_null"] = _first(y.is_null())
        part["y_bad"] = _first(~y.is_finite()) if y.dtype.is_float() else -1
        weight = None
        if self.weight is not None:
            w = df.get_column(self.weight).cast(pl.Float64)
            part["w_bad"] = _first(w.is_null() | ~w.is_finite() | (w < 0))
            weight = np.ascontiguousarray(w.fill_null(0.0).to_numpy())
        fold_values = None
        if not self.hashed:
            col = df.get_column(self.fold_col)
            part["fold_null"] = _first(col.is_null())
            fold_values = part["fold_values"] = col.drop_nulls().unique().sort()
        if max(part["y_null"], part["y_bad"], part.get("w_bad", -1), part.get("fold_null", -1)) >= 0:
            return part  # the driver raises the first error; no cells
        folds, k = self.block_folds(df, fold_values)
        ys = {}
        if "labels" in self.modes:
            labels = self._labels(y)
            integral = not y.dtype.is_float() or bool((y == y.floor()).all())
            if self.modes == ("labels",) or (integral and labels.len() <= _MAX_LABELS):
                part["labels"] = labels
                idx = labels.search_sorted(self._labels_of(y))  # each row's label's position
                ys["labels"] = (np.ascontiguousarray(idx.cast(pl.Int32).to_numpy()), labels.len(), False)
            else:
                part["labels"] = None  # not a class target in this block
        if "continuous" in self.modes:
            yc = y if y.dtype in (pl.Float32, pl.Float64) else y.cast(pl.Float64)
            ys["continuous"] = (yc.to_numpy(), 0, self.moments)
        part["totals"] = {m: target_stats(None, 1, v, weight=weight, folds=folds, n_folds=k, n_classes=c, moments=mo)
                          for m, (v, c, mo) in ys.items()}
        cols = []
        for name, kind in zip(self.columns, self.kinds):
            s = df.get_column(name)
            miss = -1
            if self.step.handle_missing == "error":
                miss = _first(s.is_null() | s.is_nan()) if kind == "float" else _first(s.is_null())
            codes, uniques = factorize(keys(s, kind), null="code")
            cells = {m: target_stats(codes, len(uniques), v, weight=weight, folds=folds, n_folds=k, n_classes=c,
                                     moments=mo, compact=True, check=False) for m, (v, c, mo) in ys.items()}
            cols.append({"missing": miss, "uniques": uniques, "cells": cells})
        part["columns"] = cols
        return part

    # ------------------------------------------------------------------ driver
    def finish(self, parts: list[dict], offsets: list[int], cross_fit: bool):
        """Fit the step from the blocks' ``parts`` (in row order; ``offsets``: each block's first
        row); returns an :class:`OutOfFold` with ``cross_fit``, else None."""
        from tabprep.kernels import factorize
        from tabprep.kernels._split import MAX_FOLDS

        step, owner = self.step, self.step._owner()
        if sum(p["rows"] for p in parts) == 0:
            raise DataError(f"{owner}: no rows to fit on", found="0 rows")
        parts_all, offsets_all = parts, offsets

        def first(key):
            for p, off in zip(parts_all, offsets_all):
                if p.get(key, -1) >= 0:
                    return off + p[key]
            return -1

        if (row := first("y_null")) >= 0:
            raise DataError("the target has a null", column=self.target, row=row,
                            hint="drop the rows without a target, or impute it, before encoding")
        if (row := first("y_bad")) >= 0:
            raise DataError("the target must be finite", column=self.target, row=row,
                            hint="drop or fix rows whose target is NaN or infinite")
        if (row := first("w_bad")) >= 0:
            raise DataError("sample_weight must be finite and >= 0", column=self.weight, row=row)
        if (row := first("fold_null")) >= 0:
            raise DataError("the fold column has a null", column=self.fold_col, row=row)
        # blocks without rows add nothing
        keep = [i for i, p in enumerate(parts) if p["rows"]]
        parts, offsets = [parts[i] for i in keep], [offsets[i] for i in keep]
        # the target's kind and classes: target_from on the union of the blocks' labels
        labels = [p.get("labels") for p in parts]
        if "labels" in self.modes and all(lab is not None for lab in labels):
            union = pl.concat(labels).unique().sort().rename(self.target)
            target = target_from(union, union.len(), step._target_type(), binary_only=step._binary_only,
                                 owner=owner, warn_many=True)
        else:
            if step._binary_only:
                raise DataError(f"{owner} needs a binary target", column=self.target,
                                found="a continuous target", hint="binarize the target first (e.g. y > threshold)")
            if self.modes == ("labels",):
                raise DataError("the target has too many distinct values for a class target", column=self.target)
            target = Target(np.empty(0), "continuous", None, self.target)
        mode = "continuous" if target.kind == "continuous" else "labels"
        # the folds
        if self.hashed:
            k = self.cv.get_n_splits()
            fold_maps = [np.arange(k) for _ in parts]
        else:
            values = pl.concat([p["fold_values"] for p in parts]).unique().sort()
            k = values.len()
            if k < 2:
                raise DataError("the fold column needs at least 2 distinct folds", column=self.fold_col, found=k)
            if k > MAX_FOLDS:
                raise DataError(f"the fold column has more than {MAX_FOLDS} folds", column=self.fold_col, found=k)
            fold_maps = [np.asarray(values.search_sorted(p["fold_values"]), dtype=np.intp) for p in parts]
        n_out = max(target.n_classes, 1)
        class_maps = [self._class_map(p.get("labels"), target) for p in parts] if mode == "labels" else None
        for i, name in enumerate(self.columns):
            if (row := next((off + p["columns"][i]["missing"] for p, off in zip(parts, offsets)
                             if p["columns"][i]["missing"] >= 0), -1)) >= 0:
                raise missing_error(name, row, step._missing_fix())
        rule = step._rule(target)
        moments = rule[2]
        width = 2 + n_out

        def merged(cells_of, n_slots, slot_maps):
            stats = np.zeros((n_slots, k, width))
            m2 = np.zeros((n_slots, k, 2)) if moments else None
            for b, p in enumerate(parts):
                s, m = cells_of(p)[mode]
                s = self._onto_classes(s, class_maps[b] if class_maps else None, width)
                ix = np.ix_(slot_maps[b], fold_maps[b])
                if moments:
                    acc_m2 = m2[ix]
                    _merge_m2(stats[ix][..., 1], acc_m2, s[..., 1], m)
                    m2[ix] = acc_m2
                stats[ix] += s
            return stats, m2

        from tabprep.kernels._target import train_stats

        tot, tot_m2 = merged(lambda p: p["totals"], 1, [np.zeros(1, dtype=np.intp)] * len(parts))
        totals, totals_m2 = train_stats(tot, tot_m2)
        step._check_totals(totals, k, cross_fit)
        results, tables = [], []
        for i, (name, kind, vdtype) in enumerate(zip(self.columns, self.kinds, self.vdtypes)):
            blocks = [p["columns"][i]["uniques"] for p in parts]
            gcodes, uniques = factorize(pa.concat_arrays(blocks), null="code")
            bounds = np.cumsum([0] + [len(u) for u in blocks])
            slot_maps = [gcodes[bounds[j]:bounds[j + 1]].astype(np.intp) for j in range(len(blocks))]
            null_seen = uniques.null_count > 0
            null_slot = int(np.flatnonzero(np.asarray(uniques.is_null()))[0]) if null_seen else len(uniques)
            n_slots = len(uniques) + (0 if null_seen else 1)
            stats, m2 = merged(lambda p, i=i: p["columns"][i]["cells"], n_slots, slot_maps)
            coded = (None, uniques, kind, vdtype, null_seen, null_slot, name)
            res, table = step._column_result(coded, stats, m2, k, totals, totals_m2, rule, cross_fit=cross_fit)
            results.append(res)
            tables.append((uniques, kind, np.ascontiguousarray(table)))
        step._set_fit(self.columns, len(self.columns), target, totals, k, results, cross_fit)
        if not cross_fit:
            return None
        fold_values = None if self.hashed else values
        return OutOfFold(self, tables, fold_values, step._names_out(self.columns), step._layout()[0], n_out)

    @staticmethod
    def _class_map(labels, target: Target):
        """Per label of a block, the global output it adds to (-1: none)."""
        if labels is None or labels.len() == 0:
            return np.zeros(0, dtype=np.intp)
        index = {v: i for i, v in enumerate(target.classes.tolist())}
        vals = labels.to_list()
        if target.kind == "binary":
            hi = len(target.classes) - 1
            return np.array([0 if hi > 0 and index.get(v) == hi else -1 for v in vals], dtype=np.intp)
        return np.array([index[v] for v in vals], dtype=np.intp)

    @staticmethod
    def _onto_classes(s, class_map, width):
        """A block's cells with its own label sums moved onto the global outputs (uint32
        ``[rows, sums...]`` count cells, sent for unweighted class targets, made float64
        ``[rows, W, sums...]`` first)."""
        if s.dtype == np.uint32:
            s = np.concatenate([s[..., :1], s], axis=-1).astype(np.float64)
        if class_map is None:
            return s
        out = np.zeros((*s.shape[:2], width))
        out[..., :2] = s[..., :2]
        for j, g in enumerate(class_map):
            if g >= 0:
                out[..., 2 + g] += s[..., 2 + j]
        return out


class OutOfFold:
    """The out-of-fold encodings of training rows, block by block: ``frame(df)`` gives a block's
    rows the output ``fit_transform`` gives them locally (``df`` holds the step's input
    columns and the fold or key column)."""

    def __init__(self, fit: CellFit, tables, fold_values, names_out, null_nan: bool, n_out: int) -> None:
        self.columns, self.fold_col, self.hashed, self.cv = fit.columns, fit.fold_col, fit.hashed, fit.cv
        self.tables, self.fold_values, self.names_out = tables, fold_values, names_out
        self.null_nan, self.n_out = null_nan, n_out
        self._vocabs = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_vocabs"] = None  # rebuilt where it is used
        return state

    def frame(self, df: pl.DataFrame) -> pl.DataFrame:
        from tabprep.kernels import Vocabulary
        from tabprep.kernels._target import gather_encodings

        if self._vocabs is None:
            self._vocabs = [Vocabulary(uniques) for uniques, _, _ in self.tables]
        if self.hashed:
            folds = self.cv.fold_ids(df.get_column(self.fold_col))
        else:
            col = df.get_column(self.fold_col)
            folds = np.ascontiguousarray(col.replace_strict(self.fold_values, pl.int_range(len(self.fold_values),
                                                                                             eager=True),
                                                            return_dtype=pl.Int8).to_numpy())
        out = np.empty((df.height, len(self.columns) * self.n_out), dtype=np.float64, order="F")
        for j, (name, vocab, (_, kind, table)) in enumerate(zip(self.columns, self._vocabs, self.tables)):
            codes = vocab.encode(keys(df.get_column(name), kind))
            gather_encodings(codes, table, folds=folds, out=out[:, j * self.n_out:(j + 1) * self.n_out])
        frame = pl.DataFrame({nm: out[:, i] for i, nm in enumerate(self.names_out)})
        return frame.with_columns(pl.all().fill_nan(None)) if self.null_nan else frame
