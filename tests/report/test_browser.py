"""The report in a real browser: headless Chromium opens report.html with no network request,
no console error, every section present, CJK text rendered; a screenshot is saved."""

from __future__ import annotations

import pytest

from linkage.report import render_report
from linkage.report.sections import BUILDERS

from .browser import CHROMIUM, Page, open_page

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=(
    f"{CHROMIUM} not found: install Debian's chromium (and fonts-noto-cjk) to test the report "
    "in a browser; .ci/run installs them"))


def _check(page: Page, path) -> None:
    assert page.console_errors == []
    assert page.requests == [path.resolve().as_uri()]
    ids = page.evaluate("Array.from(document.querySelectorAll('section')).map(s => s.id)")
    assert ids == [b.__name__ for b in BUILDERS]
    assert page.evaluate("document.querySelectorAll('section.unavailable').length") == 0
    assert page.evaluate("document.querySelectorAll('figure.chart svg').length") >= 8
    # the model section: one weight chart per entity type, bars for and against the match
    charts = page.evaluate("""Array.from(document.querySelectorAll('#model figure.chart svg'))
        .map(svg => { const bars = Array.from(svg.querySelectorAll('rect'));
                      return [svg.getBoundingClientRect().height,
                              bars.filter(r => r.getAttribute('fill') === '#3b6ea8').length,
                              bars.filter(r => r.getAttribute('fill') === '#c0392b').length]; })""")
    assert len(charts) == 2 and all(h > 60 and pos and neg for h, pos, neg in charts)
    # the page's first font (a CJK one) is installed, so Chinese is not drawn as boxes
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"')") is True
    # sorting a table by a numeric column (twice: descending) reorders its rows
    order = page.evaluate("""(() => {
        const table = document.querySelector('[data-table="row_accounting"] table');
        table.querySelectorAll('th')[1].click(); table.querySelectorAll('th')[1].click();
        return Array.from(table.tBodies[0].rows).map(r => r.cells[1].dataset.value); })()""")
    assert order == sorted(order, key=float, reverse=True)
    assert page.console_errors == []


def test_report_opens_offline_in_chromium(tmp_path, run_engine, metrics):
    paths = {}
    for language in ("zh", "en"):
        (tmp_path / language).mkdir()
        render_report(run_engine, metrics, tmp_path / language, language)
        paths[language] = tmp_path / language / "report.html"
    page = open_page(paths["zh"], tmp_path / "profile")
    try:
        _check(page, paths["zh"])
        width, height = page.screenshot(tmp_path / "report_zh.png")  # the whole page, to look at
        assert height > 2000 and (tmp_path / "report_zh.png").stat().st_size > 50_000
        page.goto(paths["en"])
        assert page.evaluate("document.querySelector('h1').textContent") == \
            "Data consolidation report"
        _check(page, paths["en"])
    finally:
        page.close()
