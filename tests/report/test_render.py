"""render_report on a hand-built run: files written, figures and tables equal metrics.json,
both languages, masking, and sections whose inputs are missing."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import openpyxl
import pytest

from linkage.engine import open_engine
from linkage.report import build_report, render_report
from linkage.report.sections import BUILDERS

from .conftest import RAW_ID, RAW_PHONE, RAW_USCC, full_metrics, run_tables

SECTION_IDS = [b.__name__ for b in BUILDERS]


class ReportPage(HTMLParser):
    """Collects sections, summary figures and table cells (with their raw data-value)."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, str] = {}   # id -> class
        self.figures: dict[str, float] = {}
        self.tables: dict[str, dict] = {}    # key -> {"columns": [...], "rows": [[...]]}
        self._table = self._cell = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections[a["id"]] = a["class"]
        elif tag == "div" and "data-figure" in a:
            self.figures[a["data-figure"]] = float(a["data-value"])
        elif tag == "div" and "data-table" in a:
            self._table = self.tables.setdefault(a["data-table"], {"columns": [], "rows": []})
        elif tag == "th" and self._table is not None:
            self._table["columns"].append(a["data-column"])
        elif tag == "tr" and self._table is not None and self._table["columns"]:
            self._table["rows"].append([])
        elif tag == "td" and self._table is not None:
            self._cell, self._text = a, []

    def handle_data(self, data):
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            value = self._cell.get("data-value")
            self._table["rows"][-1].append(value if value is not None else "".join(self._text))
            self._cell = None
        elif tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, run_engine):
    """A folder with report.html and report.xlsx rendered in Chinese from the hand-built run."""
    folder = tmp_path_factory.mktemp("report")
    render_report(run_engine, full_metrics(), folder, "zh")
    return folder


def test_every_section_renders_without_errors(run_engine, metrics):
    for language in ("zh", "en"):
        sections, errors = build_report(run_engine, metrics, language)
        assert errors == []
        assert [s.id for s in sections] == SECTION_IDS
        assert [s.id for s in sections if s.unavailable] == []


def test_summary_figures_match_metrics(rendered, metrics):
    page = ReportPage((rendered / "report.html").read_text(encoding="utf-8"))
    assert list(page.sections) == SECTION_IDS
    assert set(page.sections.values()) == {"available"}
    accounting = metrics["row_accounting"]
    overview = metrics["measure"]["overview"]
    assert page.figures == {
        "records_in": sum(r["rows_in"] for r in accounting),
        "records": sum(r["records"] for r in accounting),
        "quarantined": sum(r["quarantined"] for r in accounting),
        "people": overview["person"]["entities"],
        "enterprises": overview["enterprise"]["entities"],
        "redundant_records": sum(o["redundant_records"] for o in overview.values()),
        "within_source_duplicates": sum(o["within_source_duplicates"] for o in overview.values()),
        "multi_system_entities": sum(o["multi_system_entities"] for o in overview.values()),
        "hours_per_year": sum(t["hours_per_year"]
                              for t in metrics["measure"]["reentry"]["totals"].values()),
        "hours_saved": metrics["unify"]["collect_once"]["hours_per_year_saved"],
    }
    assert page.figures["records_in"] == 14 and page.figures["redundant_records"] == 4


def test_quarantine_reasons_by_kind_in_the_report_language(rendered):
    page = ReportPage((rendered / "report.html").read_text(encoding="utf-8"))
    table = page.tables["quarantine"]
    assert table["columns"] == ["source", "reason", "rows", "first_rows"]
    assert table["rows"] == [["jsxt", "字段过多：表头 4 列，此行 5 个值", "1", "5"]]


def test_tables_match_metrics(rendered, metrics):
    page = ReportPage((rendered / "report.html").read_text(encoding="utf-8"))
    accounting = page.tables["row_accounting"]
    assert accounting["columns"] == ["source", "rows_in", "records", "quarantined", "balanced"]
    assert [[r[0], int(r[1]), int(r[2]), int(r[3])] for r in accounting["rows"]] == [
        [r["source"], r["rows_in"], r["records"], r["quarantined"]]
        for r in metrics["row_accounting"]]
    sources = page.tables["per_source"]
    records = [int(r[sources["columns"].index("records")]) for r in sources["rows"]]
    # person rows first, then enterprise
    expected = [r for e in ("person", "enterprise") for r in metrics["measure"]["sources"]
                if r["entity_type"] == e]
    assert records == [r["records"] for r in expected]
    shares = [float(r[sources["columns"].index("shared_share")]) for r in sources["rows"]]
    assert shares == [r["shared_share"] for r in expected]
    blocking = page.tables["blocking"]
    assert sorted(int(r[blocking["columns"].index("pairs")]) for r in blocking["rows"]) == \
        sorted(n for s in metrics["link"].values() for n in s["pairs_per_rule"].values())


def test_excel_has_the_same_numbers_with_chinese_headers(rendered, metrics):
    book = openpyxl.load_workbook(rendered / "report.xlsx")
    summary = book.worksheets[0]
    assert summary.title == "概要"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)
               if row[1] is not None}
    page = ReportPage((rendered / "report.html").read_text(encoding="utf-8"))
    assert figures["输入数据行"] == page.figures["records_in"] == 14
    assert figures["重复记录"] == page.figures["redundant_records"]
    assert figures["重复录入工时（小时/年）"] == pytest.approx(page.figures["hours_per_year"])
    sheet = book["数据行核对"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("数据源", "输入行数", "记录数", "隔离行数", "是否平衡")
    assert [r[:4] for r in rows[1:]] == [
        (r["source"], r["rows_in"], r["records"], r["quarantined"])
        for r in metrics["row_accounting"]]
    assert all(isinstance(v, int) for r in rows[1:] for v in r[1:4])
    per_source = list(book["各系统情况"].iter_rows(values_only=True))
    share_col = per_source[0].index("他处也有的比例")
    assert [r[share_col] for r in per_source[1:]] == [0.5, 0.4, 0.0]
    assert book["各系统情况"].cell(2, share_col + 1).number_format == "0.0%"


def test_english_report(tmp_path, run_engine, metrics):
    render_report(run_engine, metrics, tmp_path, "en")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h1>Data consolidation report</h1>" in html
    assert 'lang="en"' in html
    page = ReportPage(html)
    assert page.figures["people"] == 7
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.worksheets[0].title == "Summary"
    rows = list(book["Row accounting"].iter_rows(values_only=True))
    assert rows[0] == ("Source", "Rows in", "Records", "Quarantined", "Balanced")
    # no Chinese UI text leaks into the English page (data values may be Chinese)
    headings = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", html)
    assert headings and not any(re.search(r"[\u4e00-\u9fff]", h) for h in headings)


def test_ids_and_phones_are_masked(rendered):
    html = (rendered / "report.html").read_text(encoding="utf-8")
    book = openpyxl.load_workbook(rendered / "report.xlsx")
    cells = " ".join(str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for c in row if c is not None)
    for text in (html, cells):
        for raw in (RAW_ID, RAW_PHONE, RAW_USCC):
            assert raw not in text
        assert "110105********002X" in text
        assert "138****5678" in text


def test_missing_inputs_render_as_notes(tmp_path):
    engine = open_engine()
    metrics = {"run": {"name": "empty"},
               "row_accounting": [{"source": "a", "rows_in": 2, "records": 2, "quarantined": 0,
                                   "balanced": True}]}
    sections, errors = build_report(engine, metrics, "zh")
    assert errors == []
    unavailable = {s.id for s in sections if s.unavailable}
    assert unavailable == set(SECTION_IDS) - {"summary", "row_accounting", "how_to_read"}
    render_report(engine, metrics, tmp_path, "zh")
    page = ReportPage((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert page.sections["systems"] == "unavailable"
    assert "本节暂无数据" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.figures == {"records_in": 2, "records": 2, "quarantined": 0}


def test_metrics_alone_are_enough(metrics):
    """Without the run's tables (e.g. a database from an older run), the rows metrics.json holds
    fill the same sections."""
    engine = open_engine()
    sections, errors = build_report(engine, metrics, "zh")
    assert errors == []
    by_id = {s.id: s for s in sections}
    assert [s.id for s in sections if s.unavailable] == []
    assert [r[4] for r in by_id["systems"].tables[0].rows] == [4, 6, 3]  # person rows first
    assert {t.key for t in by_id["schema"].tables} >= {"schema_tables", "schema_columns"}
    assert by_id["match_quality"].charts  # pairs per rule, from metrics["link"]


def test_html_is_self_contained(rendered):
    html = (rendered / "report.html").read_text(encoding="utf-8")
    for reference in ("<link", " src=", "@import", "url(", "<iframe", "fetch(", "XMLHttpRequest"):
        assert reference not in html
    assert html.count("<svg") >= 8 and "<style>" in html and "<script>" in html


def test_every_table_is_a_sheet(rendered, run_engine, metrics):
    sections, _ = build_report(run_engine, metrics, "zh")
    tables = [t for s in sections for t in s.tables]
    book = openpyxl.load_workbook(rendered / "report.xlsx")
    assert len(book.sheetnames) == 1 + len(tables)
    assert len({n.lower() for n in book.sheetnames}) == len(book.sheetnames)
    assert all(len(n) <= 31 for n in book.sheetnames)
    for table, sheet in zip(tables, book.worksheets[1:]):
        assert [c.value for c in sheet[1]] == [c.label for c in table.columns]
        assert sheet.max_row == 1 + len(table.rows)


def test_rendering_is_deterministic(tmp_path, run_engine, metrics):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        render_report(run_engine, metrics, tmp_path / name, "zh")
    for file in ("report.html", "report.xlsx"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_a_run_without_enterprises(metrics):
    engine = open_engine()
    for name, frame in run_tables().items():
        if "entity_type" in frame.columns:
            frame = frame.filter(frame["entity_type"] == "person")
        engine.load(name, frame)
    del metrics["link"]["enterprise"], metrics["measure"]["overview"]["enterprise"]
    sections, errors = build_report(engine, metrics, "en")
    assert errors == []
    assert [s.id for s in sections if s.unavailable] == []
    by_id = {s.id: s for s in sections}
    assert "enterprises" not in {f.key for f in by_id["summary"].figures}
    assert len(by_id["overlap"].charts) == 1 and len(by_id["combinations"].charts) == 1
