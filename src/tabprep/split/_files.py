"""One file per split: the parts of a train/valid/test split written as a set of files."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import polars as pl

from tabprep._base.params import validate_call
from tabprep.errors import ConfigError
from tabprep.io import scan, source_files, write_all
from tabprep.io._dispatch import as_table
from tabprep.split._frame import add_split_column
from tabprep.split._ratio import RATIOS, as_ratios, random_split_ids

__all__ = ["write_splits", "split_file_path", "default_split_names"]


def default_split_names(n: int) -> list[str]:
    """``train,test`` / ``train,valid,test`` / ``split0..``: the names of ``n`` parts' files."""
    return {2: ["train", "test"], 3: ["train", "valid", "test"]}.get(n, [f"split{i}" for i in range(n)])


def split_file_path(output: str | os.PathLike[str], name: str) -> str:
    """``output`` with ``{split}`` replaced by ``name``, or ``_name`` inserted before the
    extension(s) (a compression suffix stays with its format).

    Examples
    --------
    >>> split_file_path("out/data.parquet", "train")
    'out/data_train.parquet'
    >>> split_file_path("a.v2.csv.gz", "test"), split_file_path("x/{split}/d.csv", "valid")
    ('a.v2_test.csv.gz', 'x/valid/d.csv')
    """
    output = os.fspath(output)
    if "{split}" in output:
        return output.replace("{split}", name)
    folder, base = os.path.split(output)
    parts = base.split(".")
    if len(parts) == 1:
        return os.path.join(folder, f"{base}_{name}")
    n_ext = 2 if len(parts) > 2 and parts[-1] in ("gz", "zst") else 1
    stem, ext = ".".join(parts[:-n_ext]), ".".join(parts[-n_ext:])
    return os.path.join(folder, f"{stem}_{name}.{ext}")


@validate_call({"ratios": RATIOS, "names": [list, tuple, None]})
def write_splits(
    data,
    output,
    ratios=(0.8, 0.1, 0.1),
    *,
    names=None,
    strategy: str = "random",
    by: str | None = None,
    group: str | None = None,
    time: str | None = None,
    gap=None,
    cutoffs=None,
    bins: int | str | None = "auto",
    seed: int = 0,
    **write_options,
) -> dict[str, Path]:
    """Split ``data`` as :func:`add_split_column` does and write each part to its own file.

    The part of every row is computed once, from the columns the strategy reads; then each part
    is streamed from ``data`` to its file. The files are written as a set (all or none, see
    :func:`tabprep.io.write_all`); rows a time split leaves out (a null time, ``gap``) go to no
    file, and a ``UserWarning`` says how many.

    Parameters
    ----------
    data : path, polars LazyFrame/DataFrame, pandas DataFrame, pyarrow Table or 2-D NumPy array
        A path (file, folder or glob) is scanned lazily; no output may be one of its files.
    output : str or os.PathLike
        Where the parts go: ``{split}`` in it is replaced by each part's name, else ``_<name>``
        is inserted before the extension (``out.parquet`` → ``out_train.parquet``, ...).
    ratios, strategy, by, group, time, gap, cutoffs, bins, seed
        As for :func:`add_split_column`.
    names : sequence of str, optional
        One distinct name per part (default :func:`default_split_names`).
    **write_options
        Passed to :func:`tabprep.io.write_all` (``compression``, ``row_group_size``...).

    Returns
    -------
    dict
        ``{part name: path written}``, in part order.

    Examples
    --------
    >>> import os, tempfile
    >>> import polars as pl
    >>> from tabprep.split import write_splits
    >>> df = pl.DataFrame({"x": range(10), "y": [0, 1] * 5})
    >>> paths = write_splits(df, os.path.join(tempfile.mkdtemp(), "d.parquet"), (0.6, 0.4),
    ...                      strategy="stratified", by="y", seed=0)
    >>> {k: pl.read_parquet(p).height for k, p in paths.items()}
    {'train': 6, 'test': 4}
    """
    owner = "write_splits"
    n_parts = len(as_ratios(ratios))
    names = default_split_names(n_parts) if names is None else [str(n) for n in names]
    if len(names) != n_parts or len(set(names)) != n_parts:
        raise ConfigError(f"{owner}: `names` needs {n_parts} distinct names, one per part", found=repr(names))
    if isinstance(data, (str, os.PathLike)):
        inputs = set(source_files(data))
        lf = scan(data)
    else:
        inputs, lf = set(), as_table(data, what=f"the data of {owner}").lf
    targets = {name: split_file_path(output, name) for name in names}
    for target in targets.values():
        # each part re-reads the input: writing over an input file would corrupt the next parts
        if Path(target).resolve() in inputs:
            raise ConfigError("an output file is also an input file (each part re-reads the input)", path=target,
                              hint="write the split files to other names (e.g. another folder)")
    column = "\x1fsplit"
    if strategy == "random" and gap is None and cutoffs is None:
        n_rows = lf.select(pl.len()).collect().item()
        ids = pl.Series(column, random_split_ids(n_rows, ratios, seed=seed), dtype=pl.Int8)
    else:  # only the columns the strategy reads are read to compute the parts
        needed = [c for c in (by, group, time) if c]
        ids = add_split_column(lf.select(needed), ratios, strategy=strategy, by=by, group=group, time=time,
                               gap=gap, cutoffs=cutoffs, bins=bins, seed=seed,
                               name=column).select(column).collect().to_series()
        if strategy == "time" and ids.null_count():  # rows no file gets: say how many and why
            no_time = lf.select(pl.col(time).null_count()).collect().item()
            why = [f"{no_time:,} with a null time ({time!r})" if no_time else "",
                   f"{ids.null_count() - no_time:,} within the gap before a cut" if ids.null_count() > no_time else ""]
            warnings.warn(f"{ids.null_count():,} of {ids.len():,} rows are in no split and go to no file: "
                          + " and ".join(w for w in why if w), UserWarning, stacklevel=2)
    with_ids = lf.with_columns(ids.alias(column))
    parts = [(with_ids.filter(pl.col(column) == j).drop(column), targets[name]) for j, name in enumerate(names)]
    return dict(zip(names, write_all(parts, **write_options)))
