"""Turn a pytest-benchmark JSON file into the markdown tables of BENCHMARKS.md.

Usage: ``python benchmarks/report.py RUN.json [MORE.json ...]``; prints markdown on stdout.
For each group (operation @ size) it lists every implementation's median and, for each peer,
``peer median / ours median`` (> 1 means tabprep is faster). Extra info recorded by a case
(peak RSS and the like) is shown beside it.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

_SKIP_INFO = {"op", "impl", "role", "rows"}


def _fmt_seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def render(runs: list[dict]) -> str:
    groups: dict[str, list[dict]] = defaultdict(list)
    machine = runs[0].get("machine_info", {}) if runs else {}
    for run in runs:
        for bench in run["benchmarks"]:
            groups[bench.get("group") or bench["name"]].append(bench)
    lines = []
    if machine:
        cpu = machine.get("cpu", {}).get("brand_raw", "?")
        lines.append(f"Machine: {cpu}, {machine.get('cpu', {}).get('count', '?')} cores, "
                     f"Python {machine.get('python_version', '?')}.\n")
    lines.append("| operation | implementation | role | median | min | rounds | peer/ours | extra |")
    lines.append("|---|---|---|---:|---:|---:|---:|---|")
    for group in sorted(groups):
        cases = groups[group]
        ours = [c for c in cases if c.get("extra_info", {}).get("role") == "ours"]
        ours_median = ours[0]["stats"]["median"] if ours else None
        for case in sorted(cases, key=lambda c: (c.get("extra_info", {}).get("role") != "ours", c["stats"]["median"])):
            info = case.get("extra_info", {})
            stats = case["stats"]
            ratio = ""
            if info.get("role") == "peer" and ours_median:
                ratio = f"{stats['median'] / ours_median:.2f}×"
            extra = ", ".join(f"{k}={v}" for k, v in sorted(info.items()) if k not in _SKIP_INFO)
            lines.append(
                f"| {group} | {info.get('impl', case['name'])} | {info.get('role', '')} | "
                f"{_fmt_seconds(stats['median'])} | {_fmt_seconds(stats['min'])} | {stats['rounds']} | {ratio} | {extra} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    runs = []
    for path in argv:
        with open(path, encoding="utf-8") as fh:
            runs.append(json.load(fh))
    sys.stdout.write(render(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
