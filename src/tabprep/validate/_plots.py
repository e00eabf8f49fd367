"""The plots and page bodies of the profile and drift reports (matplotlib, drawn to inline SVG)."""

from __future__ import annotations

import html

from tabprep.validate._html import new_figure, svg_of, table_html

__all__ = ["profile_body", "drift_body"]

_BLUE, _ORANGE = "#4C72B0", "#DD8452"


def _plot(svg: str, title: str, cls: str = "plot") -> str:
    return f'<figure class="{cls}" data-plot="{html.escape(title)}">{svg}</figure>'


def _label(v) -> str:
    text = "(missing)" if v is None else str(v)
    return text if len(text) <= 18 else text[:17] + "…"


def _histogram_svg(col) -> str:
    fig = new_figure()
    ax = fig.subplots()
    edges, counts = col.histogram["edges"], col.histogram["counts"]
    widths = [b - a for a, b in zip(edges[:-1], edges[1:])]
    ax.bar(edges[:-1], counts, width=widths if any(widths) else 1.0, align="edge", color=_BLUE, edgecolor="white")
    ax.set_title(f"{col.name} ({col.dtype})", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.set_ylabel("rows (from the sketch)", fontsize=7)
    return svg_of(fig)


def _bars_svg(col) -> str:
    fig = new_figure()
    ax = fig.subplots()
    labels = [_label(v) for v, _ in col.top][::-1]
    counts = [c for _, c in col.top][::-1]
    ax.barh(range(len(counts)), counts, color=_BLUE)
    ax.set_yticks(range(len(counts)), labels, fontsize=7)
    ax.set_title(f"{col.name} ({col.dtype}): top {len(counts)} values", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    return svg_of(fig)


def _overview_svg(profile) -> str:
    cols = list(profile.columns.values())
    fig = new_figure(7.5, 0.6 + 0.22 * len(cols))
    left, right = fig.subplots(1, 2, sharey=True)
    names = [c.name for c in cols][::-1]
    left.barh(names, [c.missing_share * 100 for c in cols][::-1], color=_ORANGE)
    left.set_title("missing (% of rows)", fontsize=9)
    right.barh(names, [max(c.distinct, 1) for c in cols][::-1], color=_BLUE)
    right.set_xscale("log")
    right.set_title("distinct values (log scale)", fontsize=9)
    for ax in (left, right):
        ax.tick_params(labelsize=7)
    return svg_of(fig)


def profile_body(profile) -> str:
    """Overview (missing values and cardinality), a statistics table, one plot per column."""
    parts = [f"<p>{html.escape(profile.source or 'data')}: {profile.n_rows:,} rows, "
             f"{len(profile.columns)} columns</p>", "<h2>Overview</h2>", _plot(_overview_svg(profile), "overview", "plot overview")]
    rows = []
    for c in profile.columns.values():
        distinct = f"{int(c.distinct):,}" if c.distinct_exact else f"~{c.distinct:,.0f}"
        rows.append((c.name, c.dtype, f"{c.missing:,}", f"{c.missing_share:.2%}", distinct,
                     _cell(c.min), _cell(c.max),
                     "" if c.mean is None else f"{c.mean:.6g}", "" if c.std is None else f"{c.std:.6g}"))
    parts.append(table_html(("column", "dtype", "missing", "missing %", "distinct", "min", "max", "mean", "std"),
                            rows, numeric=(2, 3, 4, 7, 8)))
    parts.append("<h2>Columns</h2>")
    for c in profile.columns.values():
        if c.histogram is not None:
            parts.append(_plot(_histogram_svg(c), c.name))
        elif c.top:
            parts.append(_plot(_bars_svg(c), c.name))
    return "\n".join(parts)


def _drift_svg(feature) -> str:
    import numpy as np

    fig = new_figure(5.5, 2.8)
    ax = fig.subplots()
    labels = [_label(b) for b in feature.bins]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, feature.reference_shares, width=0.4, color=_BLUE, label="reference")
    ax.bar(x + 0.2, feature.current_shares, width=0.4, color=_ORANGE, label="current")
    ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=6)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel("share of rows", fontsize=7)
    ax.set_title(f"{feature.column}: {feature.verdict_text}", fontsize=9)
    ax.legend(fontsize=7)
    return svg_of(fig)


def drift_body(report) -> str:
    """Summary, the per-feature table, a reference/current plot per drifted feature."""
    parts = [f"<p>{html.escape(report.summary())}</p>", "<h2>Features</h2>"]
    parts.append(table_html(
        ("column", "kind", "drift", "reasons", "PSI", "KS", "KS bound", "JS", "chi² p", "unseen share",
         "missing ref", "missing cur"),
        [(f.column, f.kind, "yes" if f.drifted else "no", "; ".join(f.reasons), _num(f.psi), _num(f.ks),
          _num(f.ks_error), _num(f.js), _num(f.chi2_p), _num(f.unseen_share), _share(f.missing_reference),
          f"{f.missing_current:.2%}") for f in report.features.values()], numeric=(4, 5, 6, 7, 8, 9, 10, 11)))
    drifted = [f for f in report.features.values() if f.drifted and f.bins]
    if drifted:
        parts.append("<h2>Drifted features</h2>")
        parts += [_plot(_drift_svg(f), f.column, "plot drifted") for f in drifted]
    return "\n".join(parts)


def _cell(v) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _num(v) -> str:
    return "" if v is None else f"{v:.4g}"


def _share(v: float) -> str:
    """A share as a percentage; "?" where the reference did not count it (NaN)."""
    return "?" if v != v else f"{v:.2%}"
