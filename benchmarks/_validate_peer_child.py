"""A peer that cannot live in tabprep's environment, run in its own venv by test_bench_validate.

    PEER_PYTHON benchmarks/_validate_peer_child.py ydata DATA.parquet
    PEER_PYTHON benchmarks/_validate_peer_child.py evidently REF.parquet CUR.parquet

Prints one JSON line: ``seconds`` (the peer's own work, timed here: after the imports and after
reading the Parquet files into pandas) and what it found, for the benchmark to check.

- ``ydata``: ``ProfileReport(df, minimal=True).get_description()`` (the statistics, no HTML);
- ``evidently``: ``Report([DataDriftPreset()]).run(current, reference)``, the drifted columns as
  the preset decides them (its default method and threshold per column).
"""

from __future__ import annotations

import json
import sys
import time
import warnings


def _pandas(path):
    import polars as pl

    return pl.read_parquet(path).to_pandas()


def ydata(path: str) -> dict:
    from ydata_profiling import ProfileReport

    df = _pandas(path)
    start = time.perf_counter()
    description = ProfileReport(df, minimal=True, progress_bar=False).get_description()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": int(description.table["n"]), "columns": int(description.table["n_var"])}


def evidently(ref_path: str, cur_path: str) -> dict:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    ref, cur = _pandas(ref_path), _pandas(cur_path)
    numbers = [c for c in ref.columns if pd.api.types.is_numeric_dtype(ref[c]) and not pd.api.types.is_bool_dtype(ref[c])]
    cats = [c for c in ref.columns if c not in numbers and not pd.api.types.is_datetime64_any_dtype(ref[c])]
    definition = DataDefinition(numerical_columns=numbers, categorical_columns=cats)
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(cur, data_definition=definition),
                                               Dataset.from_pandas(ref, data_definition=definition))
    result = snapshot.dict()
    seconds = time.perf_counter() - start
    drifted, methods = [], {}
    for metric in result["metrics"]:
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            methods[config["column"]] = config["method"]
            # distances drift at or above the threshold, p-values (tests) below it
            value, threshold = float(metric["value"]), float(config["threshold"])
            is_test = "test" in config["method"].lower() or "p_value" in config["method"].lower()
            if (value < threshold) if is_test else (value >= threshold):
                drifted.append(config["column"])
    return {"seconds": seconds, "drifted": drifted, "methods": methods}


def main(argv: list[str]) -> int:
    warnings.simplefilter("ignore")
    what, *paths = argv
    out = {"ydata": ydata, "evidently": evidently}[what](*paths)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
