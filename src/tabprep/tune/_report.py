"""A self-contained HTML report of a study: opens offline (no script, no link; SVG figures inline).

The figures are Optuna's matplotlib plots (optimization history, parameter importances, parallel
coordinates) rendered to SVG, rather than its plotly ones, which need plotly.js (~3.5 MB) inlined
to open offline. matplotlib comes with the optional ``tune`` extra.
"""

from __future__ import annotations

import html
import io
import warnings

from tabprep.errors import ConfigError

__all__ = ["write_report", "report_html"]


def _svg(plot, study) -> str:
    import matplotlib

    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.exceptions import ExperimentalWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        warnings.simplefilter("ignore", UserWarning)  # optuna's "too few trials" notes: the figure says it
        ax = plot(study)
    ax = ax.flat[0] if hasattr(ax, "flat") else ax
    fig = ax.figure
    fig.set_size_inches(9, 4.5)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "tabprep", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def report_html(result, *, title: str = "tabprep tune") -> str:
    """The report of a :class:`~tabprep.tune.TuneResult` as one HTML string."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ConfigError("the HTML report needs matplotlib", hint="pip install 'tabprep[tune]'") from exc
    from optuna.visualization import matplotlib as ovm

    study = result.study
    figures = []
    for label, plot in (("Optimization history", ovm.plot_optimization_history),
                        ("Parameter importances", ovm.plot_param_importances),
                        ("Parallel coordinates", ovm.plot_parallel_coordinate)):
        try:
            figures.append((label, _svg(plot, study)))
        except (ValueError, RuntimeError, ZeroDivisionError) as exc:  # e.g. too few complete trials
            figures.append((label, f"<p class=note>not available: {html.escape(str(exc))}</p>"))
    trials = result.trials
    rows = trials.sort("value", descending=True, nulls_last=True).head(50)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>"
                   for r in rows.iter_rows())
    states = trials.group_by("state").len().sort("state").iter_rows() if trials.height else []
    summary = ", ".join(f"{n} {s.lower()}" for s, n in states)
    best = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in sorted(result.best_params.items()))
    figs = "".join(f"<h2>{html.escape(label)}</h2><div class=fig>{svg}</div>" for label, svg in figures)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;font-size:13px;text-align:right}}.note{{color:#888}}
.fig svg{{max-width:100%;height:auto}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>study <b>{html.escape(study.study_name)}</b>: {len(trials)} trials ({html.escape(summary)});
metric <b>{html.escape(result.metric)}</b> (mean over the folds, maximized); best
<b>{html.escape(_fmt(result.best_score))}</b>.</p>
<h2>Best parameters</h2><table>{best}</table>
{figs}
<h2>Trials (best first, at most 50)</h2><table><tr>{head}</tr>{body}</table>
</body></html>
"""


def write_report(result, path, *, title: str = "tabprep tune") -> str:
    """Write :func:`report_html` to ``path`` atomically; returns the path."""
    from tabprep.io import atomic_path

    text = report_html(result, title=title)
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    return str(path)


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
