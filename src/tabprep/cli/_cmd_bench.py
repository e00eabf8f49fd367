"""``tabprep bench SPEC DATA [--json] [--compare BASELINE.json --max-slowdown 1.2]``: time a pipeline.

For users' own CI: fit the spec's pipeline on DATA and apply it, a few rounds, and report the
median wall time, rows per second and peak memory of each part, in pytest-benchmark's JSON format
(``--json``), so a later run can be compared with a saved one (``--compare``: exit 1 when a part
got slower than ``--max-slowdown`` times its baseline median).

What is timed, each round:

- ``read``: DATA into memory (the input of the transforms below);
- ``fit``: ``Pipeline.fit`` streaming from DATA, as ``tabprep fit`` does (its fused statistics
  passes; without the lineage fingerprint, timed on its own as ``lineage``);
- ``fit phase K: steps``: one entry per statistics pass (``FittedPipeline.fit_phases``). The fit
  fuses its steps into passes, so a step has no fit time of its own; a phase is timed as the
  public API runs it: ``Pipeline(steps of the phase).fit_transform`` on the lazy output of the
  previous phases (the training rows as the fused fit sees them: out-of-fold values after a
  target encoder). With one phase, the phase is the fit: not run twice;
- ``lineage``: the training data's fingerprint that ``tabprep fit`` records;
- ``transform``: the fitted pipeline applied to DATA in memory (as to new rows), collected;
- ``transform step: NAME``: each fitted step applied alone to the previous step's output, as a
  one-step :class:`~tabprep.FittedPipeline`, collected. The whole ``transform`` nests consecutive
  one-to-one steps into one query, so the steps' sum may exceed it.

Peak RSS: on Linux the resident high-water mark is reset before each measurement, so each part
reports the peak during it (``peak_rss_mb``, ``peak_rss_scope = "part"``) and how far above the
resident size at its start that went (``peak_rss_extra_mb``); elsewhere it is the process's
high-water mark so far (``resource.getrusage``; ``"process"``).
"""

from __future__ import annotations

import argparse

from tabprep.cli._options import add_read_options, number, positive_int

NAME = "bench"
_SLOWER_EXIT = 1


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        NAME,
        help="time fitting and applying a pipeline spec on data, per phase and per step (for CI)",
        description="Fit the pipeline of SPEC on DATA and apply it, --rounds times; report the "
        "median wall time, rows per second and peak RSS of reading DATA, the fit and each of its "
        "statistics passes, the lineage fingerprint, the transform and each of its steps. --json "
        "prints pytest-benchmark's JSON format; --compare BASELINE.json (a saved --json output) "
        "exits 1 when a part is slower than --max-slowdown times its baseline median, naming it.",
    )
    p.add_argument("spec", metavar="SPEC", help="pipeline spec (.toml)")
    p.add_argument("data", metavar="DATA", help="data to fit and transform: a file, folder or glob pattern (quote it)")
    p.add_argument("--target", metavar="COL", help="target column (overrides the spec's `target`)")
    p.add_argument("--batch-size", type=positive_int, metavar="N", help="rows per batch of each statistics pass")
    p.add_argument("--rounds", type=positive_int, default=3, metavar="N",
                   help="measurements of each part (default 3); the median is reported and compared")
    p.add_argument("--compare", metavar="BASELINE.json", help="a previous 'tabprep bench --json' output to compare with")
    p.add_argument("--max-slowdown", type=number, default=None, metavar="X",
                   help="with --compare: fail when a part's median exceeds X times its baseline median (default 1.2)")
    add_read_options(p)
    p.add_argument("--json", action="store_true", help="print pytest-benchmark's JSON format instead of text")
    return p


# ------------------------------------------------------------------------------ measuring
def _reset_peak() -> bool:
    """Reset this process's resident high-water mark (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _status_bytes(field: str) -> int | None:
    """A memory field of ``/proc/self/status`` (Linux: ``VmRSS``, ``VmHWM``) in bytes, or None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_bytes(since_reset: bool) -> int | None:
    """The resident high-water mark: since the last reset, or of the whole process."""
    import sys

    if since_reset:
        peak = _status_bytes("VmHWM")
        if peak is not None:
            return peak
    try:
        import resource
    except ImportError:  # Windows
        return None
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class _Part:
    """The measurements of one reported part (an entry of the JSON)."""

    def __init__(self, name: str, group: str, **info) -> None:
        self.name, self.group, self.info = name, group, info
        self.seconds: list[float] = []
        self.peak: int | None = None   # resident high-water mark during the part
        self.extra: int | None = None  # ... above the resident size when the part started
        self.scope = "part"

    def measure(self, func):
        """Run ``func()`` once, timed; return its result."""
        import time

        reset = _reset_peak()
        before = _status_bytes("VmRSS") if reset else None
        start = time.perf_counter()
        result = func()
        self.seconds.append(time.perf_counter() - start)
        peak = _peak_bytes(reset)
        if not reset:
            self.scope = "process"
        if peak is not None:
            self.peak = peak if self.peak is None else max(self.peak, peak)
            if before is not None:
                self.extra = max(self.extra or 0, peak - before)
        return result

    def copy_of(self, other: _Part) -> None:
        """Report ``other``'s measurements (a part that is the same work)."""
        self.seconds, self.peak, self.extra, self.scope = list(other.seconds), other.peak, other.extra, other.scope
        self.info["same_as"] = other.name

    def stats(self) -> dict:
        import statistics

        data = sorted(self.seconds)
        n = len(data)
        q1, q3 = (statistics.quantiles(data, n=4, method="inclusive")[::2] if n > 1 else (data[0], data[0]))
        mean = statistics.fmean(data)
        return {
            "min": data[0], "max": data[-1], "mean": mean, "stddev": statistics.stdev(data) if n > 1 else 0.0,
            "rounds": n, "median": statistics.median(data), "iqr": q3 - q1, "q1": q1, "q3": q3,
            "iterations": 1, "total": sum(data), "ops": 1 / mean if mean > 0 else 0.0, "data": list(self.seconds),
        }


def _run_rounds(spec, lf, target, *, lineage_of, batch_size, rounds: int, show) -> tuple[list[_Part], int, object]:
    """Measure every part ``rounds`` times; ``(parts, rows, fitted pipeline)``. ``lineage_of`` is
    what ``tabprep fit`` fingerprints: the path itself, or the scan when read options change it."""
    import gc

    from tabprep.pipeline import FittedPipeline, Pipeline, data_fingerprint

    unfitted = {name: step for name, step, _ in spec.pipeline.steps}
    read, fit, lineage = _Part("read", "read"), _Part("fit", "fit"), _Part("lineage", "fit")
    transform = _Part("transform", "transform")
    phases: list[_Part] = []
    phase_pipelines: list = []  # phase k's steps as a Pipeline of their own (columns resolved by the fit)
    steps: list[_Part] = []
    rows = 0
    fitted = None
    for i in range(rounds):
        show(f"round {i + 1}/{rounds}")
        gc.collect()  # the previous round's cyclic garbage is not this round's memory or time
        frame = read.measure(lf.collect)
        rows = frame.height
        fitted = fit.measure(lambda: spec.pipeline.fit(lf, target, batch_size=batch_size, lineage=False))
        if not phases:
            columns = {name: cols for name, _, cols in fitted.steps}
            for k, names in enumerate(fitted.fit_phases):
                phases.append(_Part(f"fit phase {k + 1}: {', '.join(names)}", "fit", phase=k + 1, steps=list(names)))
                phase_pipelines.append(Pipeline([(n, unfitted[n], columns[n]) for n in names]))
            steps = [_Part(f"transform step: {name}", "transform", step=name, type=type(step).__name__,
                           columns=list(cols)) for name, step, cols in fitted.steps]
        if len(phases) > 1:
            data = lf  # lazy throughout, as inside the fused fit
            for part, pipe in zip(phases, phase_pipelines):
                _, data = part.measure(lambda: pipe.fit_transform(data, target, batch_size=batch_size, lineage=False))
        lineage.measure(lambda: data_fingerprint(lineage_of))
        transform.measure(lambda: fitted.transform(frame))
        # each fitted step alone, on what the steps before it gave
        current, schema = frame, fitted.input_schema
        for part, entry in zip(steps, fitted.steps):
            one = FittedPipeline([entry], schema, fitted.target, {})
            current = part.measure(lambda: one.transform(current))
            schema = one.output_schema
        del frame, current
    if len(phases) == 1:
        phases[0].copy_of(fit)
    return [read, fit, *phases, lineage, transform, *steps], rows, fitted


# ------------------------------------------------------------------------------ output
def _machine_info() -> dict:
    import os
    import platform

    import polars as pl

    from tabprep._version import __version__

    return {
        "node": platform.node(), "processor": platform.processor(), "machine": platform.machine(),
        "python_compiler": platform.python_compiler(), "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(), "release": platform.release(), "system": platform.system(),
        "cpu": {"count": os.cpu_count()}, "tabprep_version": __version__, "polars_version": pl.__version__,
    }


def _document(parts: list[_Part], rows: int, args, fitted) -> dict:
    import datetime

    from tabprep._version import __version__

    benchmarks = []
    for part in parts:
        stats = part.stats()
        info = {"rows": rows, "rows_per_s": round(rows / stats["median"]) if stats["median"] > 0 else None,
                "peak_rss_mb": None if part.peak is None else round(part.peak / 1e6, 1),
                "peak_rss_extra_mb": None if part.extra is None else round(part.extra / 1e6, 1),
                "peak_rss_scope": part.scope, **part.info}
        benchmarks.append({
            "group": part.group, "name": part.name, "fullname": f"tabprep bench {args.spec}::{part.name}",
            "params": None, "param": None, "extra_info": info,
            "options": {"disable_gc": False, "timer": "perf_counter", "min_rounds": args.rounds, "max_time": None,
                        "min_time": None, "warmup": False},
            "stats": stats,
        })
    return {
        "machine_info": _machine_info(),
        "commit_info": {},
        "benchmarks": benchmarks,
        "datetime": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "version": __version__,
        "tabprep_bench": {"spec": str(args.spec), "data": str(args.data), "target": fitted.target,
                          "rows": rows, "rounds": args.rounds, "fit_phases": fitted.fit_phases},
    }


def _seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def _rate(r: float | None) -> str:
    if not r:
        return "-"
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= size:
            return f"{r / size:.1f}{unit} rows/s"
    return f"{r:.0f} rows/s"


def _text(doc: dict) -> str:
    meta = doc["tabprep_bench"]
    lines = [f"tabprep bench: {meta['spec']} on {meta['data']} ({meta['rows']:,} rows, "
             f"{meta['rounds']} round{'s' if meta['rounds'] != 1 else ''}; median, min-max)"]
    labels = [("    " if ("phase" in b["extra_info"] or "step" in b["extra_info"]) else "  ") + b["name"]
              for b in doc["benchmarks"]]
    width = max(map(len, labels)) + 2
    for label, b in zip(labels, doc["benchmarks"]):
        s, info = b["stats"], b["extra_info"]
        rss = "" if info["peak_rss_mb"] is None else f"   peak RSS {info['peak_rss_mb']:,.0f} MB"
        if info["peak_rss_extra_mb"] is not None:
            rss += f" (+{info['peak_rss_extra_mb']:,.0f})"
        same = f"   (= {info['same_as']})" if "same_as" in info else ""
        lines.append(f"{label:<{width}}{_seconds(s['median']):>10}  ({_seconds(s['min'])}-{_seconds(s['max'])})"
                     f"  {_rate(info['rows_per_s']):>16}{rss}{same}")
    scope = doc["benchmarks"][0]["extra_info"]["peak_rss_scope"]
    lines.append("peak RSS: " + ("the process's resident high-water mark during each part (+ above its size when "
                                 "the part started)" if scope == "part" else "the process's high-water mark so far"))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ comparing
def _load_baseline(path: str) -> dict:
    """``{name: (median seconds, rows)}`` of a saved pytest-benchmark JSON file."""
    import json

    from tabprep.errors import ConfigError

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        return {str(b["name"]): (float(b["stats"]["median"]), (b.get("extra_info") or {}).get("rows"))
                for b in doc["benchmarks"]}
    except OSError as exc:
        raise ConfigError("cannot read the baseline", path=path, found=exc.strerror or str(exc),
                          cli_hint="pass a file written by 'tabprep bench ... --json > BASELINE.json'") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError("the baseline is not a pytest-benchmark JSON file", path=path, found=repr(exc),
                          cli_hint="pass a file written by 'tabprep bench ... --json > BASELINE.json'") from None


def compare(doc: dict, baseline: dict, max_slowdown: float) -> dict:
    """Compare ``doc``'s medians with ``baseline`` (``{name: (median, rows)}``); record each
    ratio in the parts' ``extra_info``.

    Returns
    -------
    dict
        ``{"slower": [(name, ratio, median, baseline median)], "new": [names], "gone": [names],
        "rows": (baseline rows, rows) when they differ, else None}``.
    """
    slower, new = [], []
    rows = doc["tabprep_bench"]["rows"]
    base_rows = {r for _, r in baseline.values() if r is not None}
    for b in doc["benchmarks"]:
        if b["name"] not in baseline:
            new.append(b["name"])
            continue
        base = baseline[b["name"]][0]
        median = b["stats"]["median"]
        ratio = median / base if base > 0 else float("inf")
        b["extra_info"].update(baseline_median=base, slowdown=round(ratio, 3))
        if ratio > max_slowdown:
            slower.append((b["name"], ratio, median, base))
    names = {b["name"] for b in doc["benchmarks"]}
    return {"slower": slower, "new": new, "gone": [n for n in baseline if n not in names],
            "rows": (sorted(base_rows), rows) if base_rows and base_rows != {rows} else None}


def _compare_text(result: dict, path: str, max_slowdown: float) -> str:
    lines = [f"compared with {path} (fails above {max_slowdown:g}x the baseline median):"]
    if result["slower"]:
        lines += [f"  SLOWER  {n}: {_seconds(m)} vs {_seconds(b)} ({r:.2f}x)" for n, r, m, b in result["slower"]]
    else:
        lines.append("  no part slower")
    lines += [f"  new     {n} (not in the baseline)" for n in result["new"]]
    lines += [f"  gone    {n} (only in the baseline)" for n in result["gone"]]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ the command
def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from tabprep.cli._options import has_read_options, scan_input
    from tabprep.cli._progress import progress_enabled
    from tabprep.errors import ConfigError
    from tabprep.io import polars_errors, scan
    from tabprep.pipeline import read_spec

    if args.max_slowdown is not None and args.compare is None:
        raise ConfigError("--max-slowdown needs --compare", cli_hint="add --compare BASELINE.json")
    max_slowdown = 1.2 if args.max_slowdown is None else args.max_slowdown
    if not max_slowdown > 0:
        raise ConfigError("--max-slowdown must be > 0", found=repr(args.max_slowdown), cli_hint="e.g. --max-slowdown 1.2")
    baseline = _load_baseline(args.compare) if args.compare is not None else None
    spec = read_spec(args.spec)
    target = args.target if args.target is not None else spec.target
    lf = scan_input(args, args.data) if has_read_options(args) else scan(args.data)
    verbose = progress_enabled(args.json)

    def show(text: str) -> None:
        if verbose:
            print(f"tabprep bench: {text}", file=sys.stderr, flush=True)

    with polars_errors(args.data):
        parts, rows, fitted = _run_rounds(spec, lf, target, lineage_of=lf if has_read_options(args) else args.data,
                                          batch_size=args.batch_size, rounds=args.rounds, show=show)
    doc = _document(parts, rows, args, fitted)
    result = compare(doc, baseline, max_slowdown) if baseline is not None else None
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(_text(doc))
        if result is not None:
            sys.stdout.write(_compare_text(result, args.compare, max_slowdown))
    if result is None:
        return 0
    if result["rows"] is not None:
        base_rows, now = result["rows"]
        print(f"tabprep: warning: the baseline was measured on {', '.join(f'{r:,}' for r in base_rows)} rows, "
              f"this run on {now:,}: the times are not comparable", file=sys.stderr)
    if not result["slower"]:
        return 0
    named = "; ".join(f"{n!r} {r:.2f}x ({_seconds(m)} vs {_seconds(b)})" for n, r, m, b in result["slower"])
    count = len(result["slower"])
    print(f"tabprep: error: {count} part{'s' if count != 1 else ''} slower than {max_slowdown:g}x the baseline "
          f"median of {args.compare}: {named}", file=sys.stderr)
    return _SLOWER_EXIT
