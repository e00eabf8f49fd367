"""The HTML reports: self-contained (no script, nothing fetched), the expected plots, repeatable bytes,
and a real headless browser that loads them without console errors and takes a screenshot.

The browser is Playwright's Chromium driven through the ``playwright`` package (PyPI). Its own
browser download (``playwright install chromium``) comes from a CDN, which CI cannot reach, so the
test also tries a system Chromium (Debian's ``chromium`` package); when neither starts it is
skipped with the reason printed, and the structure tests below still run.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import pytest

from oracles.drift import DRIFTED, injected_pair
from tabprep import Pipeline
from tabprep.bin import KBinsDiscretizer
from tabprep.encode import OneHotEncoder
from tabprep.validate import Column, Contract, drift, profile, render_html, write_html


@pytest.fixture(scope="module")
def reports():
    ref, cur = injected_pair(3000)
    validation = Contract({"mean_shift": Column(max=1.0), "cat_freq": Column(allowed=["a", "b"], level="warn")},
                          checks={"pos": "same_int >= 10"}).validate(cur)
    # a fitted pipeline as the reference: KS from the quantile edges, with its bound
    fitted = Pipeline([("kb", KBinsDiscretizer(n_bins=10, encode="ordinal"), ["mean_shift", "var_change", "same_num"]),
                       ("oh", OneHotEncoder(handle_unknown="ignore"), ["cat_freq", "same_cat"])]).fit(ref)
    return {"validation": validation, "profile": profile(ref), "drift": drift(profile(ref), cur),
            "drift_pipeline": drift(fitted, cur)}


EXPECTED_PLOTS = {"validation": 0, "profile": 1 + 9, "drift": len(DRIFTED), "drift_pipeline": 3}


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key in ("src", "href", "xlink:href", "action") and value and not value.startswith("#"):
                self.links.append((tag, key, value))


@pytest.mark.parametrize("kind", sorted(EXPECTED_PLOTS))
def test_page_is_self_contained_with_the_expected_plots(reports, kind):
    text = render_html(reports[kind])
    parser = _Collect()
    parser.feed(text)
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    assert "script" not in parser.tags and parser.links == []  # nothing to run, nothing to fetch
    assert not re.search(r"url\((?!#)", text) and "@import" not in text  # url(#id): a clip path in the page
    assert len(re.findall(r"<figure class=\"plot[^\"]*\"", text)) == EXPECTED_PLOTS[kind]
    assert parser.tags.count("svg") == EXPECTED_PLOTS[kind]
    assert render_html(reports[kind]) == text  # the same report gives the same bytes


def test_pipeline_drift_page_shows_ks_and_its_bound(reports):
    report = reports["drift_pipeline"]
    assert report.drifted_features == ["mean_shift", "var_change", "cat_freq"]
    text = render_html(report)
    f = report.features["mean_shift"]
    assert f.ks_error > 0 and f"<td>{f.ks:.4g}</td><td>{f.ks_error:.4g}</td>" in text.replace(
        ' class="num"', "")


def test_validation_page_lists_failing_rows(reports):
    text = render_html(reports["validation"])
    r = next(r for r in reports["validation"].failures if r.check == "max")
    assert f"<td class=\"num\">{r.rows[0]}</td>" in text and "(first" in text


def test_profile_without_matplotlib_is_a_clear_error(reports, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from tabprep.errors import ConfigError

    with pytest.raises(ConfigError, match=r"HTML reports with plots need matplotlib.*tabprep\[report\]"):
        render_html(reports["profile"])


def _browser(p):
    """A started Chromium, or the reasons none could be started."""
    reasons = []
    try:
        return p.chromium.launch(), None
    except Exception as exc:  # noqa: BLE001 - Playwright raises its own error types
        reasons.append(f"Playwright's Chromium: {str(exc).splitlines()[0]}")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            try:
                return p.chromium.launch(executable_path=path, args=["--no-sandbox"]), None
            except Exception as exc:  # noqa: BLE001
                reasons.append(f"{path}: {str(exc).splitlines()[0]}")
    if not reasons[1:]:
        reasons.append("no system chromium on PATH")
    return None, "; ".join(reasons)


def test_pages_in_a_headless_browser(reports, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser, why = _browser(p)
        if browser is None:
            print(f"browser test skipped: {why}")
            pytest.skip(f"no headless browser could be started ({why}); the HTML structure tests still ran")
        try:
            for kind, report in reports.items():
                path = write_html(report, tmp_path / f"{kind}.html")
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                errors, fetched = [], []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: fetched.append(r.url) if not r.url.startswith("file:") else None)
                page.goto(path.resolve().as_uri(), wait_until="load")
                assert errors == [] and fetched == []
                assert page.locator("figure svg").count() == EXPECTED_PLOTS[kind]
                if EXPECTED_PLOTS[kind]:
                    box = page.locator("figure svg").first.bounding_box()
                    assert box is not None and box["width"] > 100 and box["height"] > 50  # drawn, not empty
                shot = tmp_path / f"{kind}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
                page.close()
        finally:
            browser.close()
