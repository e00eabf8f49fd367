"""Self-contained HTML reports: one file, inline CSS and inline SVG plots, no script, no network.

Plots are drawn by matplotlib (the optional ``report`` extra, imported only when a report with
plots is written) on a bare :class:`matplotlib.figure.Figure` (no pyplot, no global backend
state) and saved as SVG text inside the page. SVG ids are salted with a fixed string and the
SVG carries no date, so the same report gives the same bytes.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from tabprep.errors import ConfigError

__all__ = ["write_html", "render_html", "page", "svg_of", "table_html"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#b00020;font-weight:600}.warn{color:#a15c00;font-weight:600}.ok{color:#1b7a2f;font-weight:600}
.plot{display:inline-block;margin:.5em;vertical-align:top}.plot svg{width:360px;height:auto}
.drifted svg{width:520px}.overview svg{width:760px}
code{background:#f4f4f4;padding:0 .2em}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document around ``body`` (already escaped HTML)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n"
            f"<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n")


def table_html(header, rows, numeric=()) -> str:
    """An HTML table; cells are escaped text; columns whose index is in ``numeric`` align right."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="num"' if i in numeric else ""
            cells.append(f"<td{cls}>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ConfigError("HTML reports with plots need matplotlib",
                          hint="pip install 'tabprep[report]' (or pip install matplotlib)") from None
    return matplotlib


def new_figure(width: float = 4.0, height: float = 2.6):
    """A bare matplotlib Figure (no pyplot: no global state, no GUI backend)."""
    _matplotlib()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def svg_of(fig) -> str:
    """The figure as inline SVG text (no XML prolog, fixed ids, no date: repeatable bytes)."""
    matplotlib = _matplotlib()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "tabprep", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _validation_body(report) -> str:
    parts = [f"<p>{html.escape(report.source or 'data')}: {html.escape(report.summary())}</p>",
             f'<p class="{"ok" if report.ok else "error"}">'
             f'{"no error-level check failed" if report.ok else "error-level checks failed"}</p>']
    failures = report.failures
    if failures:
        parts.append("<h2>Failed checks</h2>")
        parts.append(table_html(("level", "column", "check", "failed rows", "share", "message"),
                                [(r.level, r.where, r.check, f"{r.failed:,}", f"{r.share:.2%}", r.message)
                                 for r in failures], numeric=(3, 4)))
        for r in failures:
            if not r.rows:
                continue
            parts.append(f'<h2 class="{r.level}">{html.escape(r.where)}: {html.escape(r.check)} '
                         f"(first {len(r.rows)} failing rows)</h2>")
            parts.append(table_html(("row", "value"), [(i, repr(v)) for i, v in zip(r.rows, r.values)],
                                    numeric=(0,)))
    passed = [r for r in report.results if r.passed]
    if passed:
        parts.append("<h2>Passed checks</h2>")
        parts.append(table_html(("level", "column", "check"), [(r.level, r.where, r.check) for r in passed]))
    return "\n".join(parts)


def render_html(report) -> str:
    """The HTML page of a :class:`ValidationReport`, :class:`Profile` or :class:`DriftReport`."""
    kind = type(report).__name__
    if kind == "ValidationReport":
        return page("tabprep validation report", _validation_body(report))
    render = getattr(report, "_html_body", None)
    if render is None:
        raise ConfigError("no HTML report for this object", found=kind,
                          hint="pass a ValidationReport, Profile or DriftReport")
    return page(report._html_title(), render())


def write_html(report, path) -> Path:
    """Write :func:`render_html` of ``report`` to ``path`` (atomically).

    Examples
    --------
    >>> import os, tempfile, polars as pl
    >>> from tabprep.validate import Column, Contract
    >>> report = Contract({"x": Column(min=0)}).validate(pl.DataFrame({"x": [1, -1]}))
    >>> out = write_html(report, os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> "<table>" in out.read_text()
    True
    """
    from tabprep.io import atomic_path

    text = render_html(report)
    dest = Path(path)
    with atomic_path(dest) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return dest
