"""What ``fit --transform-out`` and ``transform`` write: a table and/or a feature matrix, as a pair.

The matrix holds the pipeline's features (the steps' outputs, ``FittedPipeline.feature_columns``),
never the columns it only passes through (ids, a split column) nor the target, unless the columns
are named with ``--numpy-columns``. Beside every matrix ``X.npy`` a sidecar ``X.npy.json`` lists
its columns and dtype in order. The outputs are written together: all of them or none (each to a
hidden temp file, renamed into place once every one is complete).
"""

from __future__ import annotations

import argparse
import json

__all__ = ["add_output_options", "matrix_columns", "write_outputs", "save_npy", "sidecar_path"]


def add_output_options(p: argparse.ArgumentParser, table_flag: str, table_help: str) -> None:
    """The options of the table and matrix outputs (the same for ``fit`` and ``transform``)."""
    p.add_argument(table_flag, dest="table_out", metavar="OUT", help=table_help)
    p.add_argument("--numpy", metavar="X.npy",
                   help="also write the features as a float matrix (.npy) with a sidecar X.npy.json "
                        "listing its columns")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="matrix dtype (default float32)")
    p.add_argument("--order", choices=("C", "F"), default="C", help="matrix memory order (default C, row-major)")
    p.add_argument(
        "--numpy-columns", metavar="A,B,...",
        help="matrix columns, in this order (default: the pipeline's features, i.e. the outputs of its "
             "steps; columns it only passes through and the target are left out)",
    )
    p.add_argument("--numeric-only", action="store_true",
                   help="matrix of the numeric and boolean features only (the others are listed, not an error)")


def sidecar_path(npy) -> str:
    """``X.npy`` -> ``X.npy.json``."""
    return f"{npy}.json"


def _numeric_features(schema, names) -> tuple[list[str], list[str]]:
    import polars as pl

    keep, skipped = [], []
    for name in names:
        dtype = schema[name]
        (keep if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null) else skipped).append(name)
    return keep, skipped


def matrix_columns(fitted, columns: list[str] | None, numeric_only: bool) -> tuple[list[str], list[str]]:
    """The matrix columns and the features left out, checked against the pipeline's output schema
    before any work starts (so a bad choice writes nothing)."""
    from tabprep.errors import ConfigError, SchemaError

    if columns is not None and numeric_only:
        raise ConfigError("--numpy-columns and --numeric-only cannot be combined")
    if columns is None:
        columns = [c for c in fitted.feature_columns if c != fitted.target]
        if numeric_only:
            return _numeric_features(fitted.output_schema, columns)
    schema = fitted.output_schema
    # the target may be asked for explicitly (y as a matrix); its dtype is the data's, checked later
    named = [c for c in columns if c != fitted.target]
    for name in named:
        if name not in schema:
            raise SchemaError("--numpy-columns names a column the pipeline does not output", column=name,
                              hint="output features: " + ", ".join(fitted.feature_names_out[:20]))
    _, other = _numeric_features(schema, named)
    if other:
        raise SchemaError(
            "expected a numeric or boolean column for the matrix", column=other[0], found=str(schema[other[0]]),
            hint="add an encoder for it to the spec (tabprep.encode), pass --numeric-only to leave the "
                 "non-numeric features out, or choose the columns with --numpy-columns",
        )
    return columns, []


def _save_matrix(stack, matrix, npy, columns, order: str) -> None:
    """``npy`` and its sidecar, each to a temp file of ``stack`` (renamed when it closes)."""
    import numpy as np

    from tabprep.io import atomic_path

    tmp_npy = stack.enter_context(atomic_path(npy))
    with open(tmp_npy, "wb") as f:  # a file object: np.save would append ".npy" to a name
        np.save(f, matrix, allow_pickle=False)
    tmp_side = stack.enter_context(atomic_path(sidecar_path(npy)))
    with open(tmp_side, "w", encoding="utf-8") as f:
        json.dump({"columns": list(columns), "dtype": matrix.dtype.name, "order": order,
                   "shape": list(matrix.shape)}, f, indent=2, ensure_ascii=False)
        f.write("\n")


def save_npy(matrix, npy, columns, order: str = "C") -> None:
    """Write ``matrix`` to ``npy`` (NumPy format, no pickle) with its sidecar, both or neither."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        _save_matrix(stack, matrix, npy, columns, order)


def write_outputs(lf, *, table, npy, columns, dtype: str, order: str, label, progress=None) -> dict:
    """Write the transformed ``lf`` to ``table`` and/or its ``columns`` as a matrix to ``npy``
    (+ sidecar), all or none; returns what was written (for the report). ``progress``: the
    command's bar, relabelled for each output."""
    from contextlib import ExitStack

    from tabprep.handoff import to_numpy
    from tabprep.io import atomic_path, format_from_path, polars_errors, scan, write

    result: dict = {}
    with ExitStack() as stack:  # leaving it renames every temp file into place, or removes them all
        if table is not None:
            written = lf.collect_schema()
            tmp_table = stack.enter_context(atomic_path(table, keep_extension=True))
            if progress is not None:
                progress.stage(f"writing {table}")
            write(lf, tmp_table, fsync=False)  # fsynced by atomic_path before the rename
            result["output"] = str(table)
            # The matrix comes from the written table: no second pass of the pipeline over DATA.
            # Text formats are read back with the schema just written, never with guessed types
            # (a feature that is null in its first rows would otherwise come back as String).
            text = format_from_path(table) in ("csv", "ndjson")
            lf = scan(tmp_table, schema_overrides=dict(written) if text else None)
        if npy is not None:
            if progress is not None:
                progress.stage(f"writing {npy}")
            with polars_errors(label):
                matrix = to_numpy(lf, columns, dtype=dtype, order=order)
            _save_matrix(stack, matrix, npy, columns, order)
            result.update(numpy=str(npy), shape=list(matrix.shape), dtype=dtype, order=order, columns=list(columns))
    return result
