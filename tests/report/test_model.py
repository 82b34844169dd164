"""The model section (m, u and match weight of every comparison level, blocking rules with
their reasons, fragile pairs of sources), the list of improvements, and how numbers read."""

from __future__ import annotations

import re

import polars as pl
import pytest

from linkage.engine import open_engine
from linkage.report import build_report, render_report
from linkage.report.model import Inputs
from linkage.report.sections import improve
from linkage.report.tables import format_value

from .conftest import full_metrics, run_tables
from .test_render import ReportPage


@pytest.fixture(scope="module")
def page(tmp_path_factory, run_engine) -> ReportPage:
    folder = tmp_path_factory.mktemp("model")
    render_report(run_engine, full_metrics(), folder, "zh")
    return ReportPage((folder / "report.html").read_text(encoding="utf-8"))


def _sections(engine, language="zh"):
    sections, errors = build_report(engine, full_metrics(), language)
    assert errors == []
    return {s.id: s for s in sections}


def test_model_table_holds_every_level_with_its_m_u_and_weight(page):
    params = run_tables()["model_params"]
    table = page.tables["model_params"]
    assert table["columns"] == ["entity_type", "comparison", "level", "m", "u", "bayes_factor",
                                "match_weight"]
    col = table["columns"].index
    assert [float(r[col("match_weight")]) for r in table["rows"]] == params["match_weight"].to_list()
    assert [float(r[col("m")]) for r in table["rows"]] == params["m"].to_list()
    assert [r[col("level")] for r in table["rows"]] == params["level_zh"].to_list()
    assert {r[col("comparison")] for r in table["rows"]} == {"公民身份号码", "姓名", "登记代码"}


def test_one_weight_chart_per_entity_with_bars_both_ways(run_engine):
    model = _sections(run_engine)["model"]
    assert len(model.charts) == 2
    person = model.charts[0].svg
    bars = re.findall(r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="([^"]+)">'
                      r'<title>([^<]+)</title>', person)
    assert len(bars) == 5                                  # one bar per level of the person model
    colours = {title.rsplit(": ", 1)[1]: fill for fill, title in bars}
    assert colours["+9.89"] != colours["−4.32"]           # for and against in two colours
    assert "同音(拼音相同)" in person


def test_blocking_rules_with_their_reasons_and_the_fragile_pairs(page):
    blocking = page.tables["blocking"]
    col = blocking["columns"].index
    assert [(r[col("rule")], r[col("reason")], r[col("pairs")]) for r in blocking["rows"]][:3] == [
        ("公民身份号码", "唯一标识", "3"), ("联系电话", "唯一标识", "2"),
        ("姓名拼音 + 出生日期", "姓名/名称加一项辅助字段", "1")]
    fragile = page.tables["fragile_pairs"]
    col = fragile["columns"].index
    assert [(r[col("source_l")], r[col("source_r")], r[col("fragile")]) for r in fragile["rows"]] == [
        ("jsxt", "jzdj", "联系电话"), ("lb", "lb", "企业名称")]


def test_model_section_in_english(run_engine):
    model = _sections(run_engine, "en")["model"]
    assert model.title == "Matching model"
    assert any("prior chance" in s for s in model.sentences)
    levels = [row[2] for row in model.tables[0].rows]
    assert "same pinyin (homophone)" in levels


def test_improvements_list_what_the_run_planted():
    engine = open_engine()
    for name, frame in run_tables().items():
        engine.load(name, frame)
    items = _sections(engine)["improve"].sentences
    text = "\n".join(items)
    assert "「备用号码」" in text and "82.0%" in text          # the sniffed mapping to check
    assert "数据源 jsxt（人员）的多数记录只有 姓名" in text      # a source with only a name
    assert "1 对人员记录为可能匹配" in text
    assert "1 行被隔离，原因如「字段过多" in text
    assert "企业的估计召回率只有 80.0%" in text
    assert "有 2 组数据源（含数据源自身）之间只靠个别字段关联" in text
    assert "数据源 lb（企业）的多数记录只有 企业名称" in text
    assert len(items) == 7
    english = "\n".join(_sections(engine, "en")["improve"].sentences)
    assert "possible matches of Person records" in english
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("备用号码", ""))


def test_nothing_to_improve_says_so():
    engine = open_engine()
    tables = run_tables()
    tables["source_columns"] = tables["source_columns"].filter(tables["source_columns"]["method"]
                                                               != "sniffed")
    tables["attribute_fill"] = tables["attribute_fill"].filter(
        tables["attribute_fill"]["source"] == "jzdj")
    tables["blocking_coverage"] = tables["blocking_coverage"].filter(
        tables["blocking_coverage"]["fragile"] == "")
    for name in ("possible_matches", "quarantine"):
        tables[name] = tables[name].clear()
    for name, frame in tables.items():
        engine.load(name, frame)
    metrics = full_metrics()
    metrics["link"]["enterprise"]["recall_estimate"]["pairwise_recall"] = 0.99
    sections, errors = build_report(engine, metrics, "zh")
    assert errors == []
    improve = {s.id: s for s in sections}["improve"]
    assert improve.sentences == ["没有发现需要改进的地方：字段对应可靠，数据源字段充分，无待核实的可能匹配，没有行被隔离。"]


@pytest.mark.parametrize("value, kind, text", [
    (995.0, "int", "995"), (4.7, "int", "5"), (0.0, "int", "0"), (1234567.2, "int", "1,234,567"),
    (666.627, "hours", "666.6"), (0.04, "hours", "0.0"), (1234.56, "hours", "1,234.6"),
    (0.98765, "percent", "98.8%"), (20.0, "number", "20"), (7.5, "number", "7.5"),
    (0.000118, "probability", "0.000118"), (0.9401, "probability", "0.94"),
    (5e-6, "probability", "5.0e-06"), (941.79, "factor", "941.8"), (0.116, "factor", "1/8.6"),
    (9.891, "weight", "+9.89"), (-4.321, "weight", "−4.32"), (None, "int", "—"),
    (float("nan"), "hours", "—")])
def test_how_numbers_read(value, kind, text):
    assert format_value(value, kind) == text


_PATTERNS = {"int": r"-?[\d,]+", "hours": r"-?[\d,]+\.\d", "percent": r"-?\d+\.\d%"}


def test_counts_read_as_whole_numbers_and_hours_with_one_decimal(tmp_path, run_engine):
    """Every cell of every table, and every summary figure, in its column's format."""
    render_report(run_engine, full_metrics(), tmp_path, "zh")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    cells = re.findall(r'<td class="(int|hours|percent)" data-value="[^"]*">([^<]*)</td>', html)
    assert {kind for kind, _ in cells} == set(_PATTERNS)
    for kind, text in cells:
        assert re.fullmatch(_PATTERNS[kind], text), (kind, text)
    reentries = re.findall(r'data-column="reentries"', html)
    assert reentries  # re-entries (estimated, fractional) are among the int columns
    figures = dict(re.findall(r'data-figure="(\w+)" data-value="[^"]*">\s*<div class="value">'
                              r'([^<]*)<', html))
    assert figures["hours_per_year"] == "12.5" and figures["people"] == "7"


def test_improvements_count_numbers_a_spreadsheet_cut_short():
    engine = open_engine()
    for name, frame in run_tables().items():
        engine.load(name, frame)
    engine.load("records", pl.DataFrame({
        "record_id": [1, 2, 3], "source": ["jzdj", "jzdj", "jsxt"], "source_row": [1, 2, 1],
        "entity_type": ["person"] * 3,
        "id_number_flag": ["precision_lost", "precision_lost", "valid"],
        "phone_flag": ["valid", None, "valid"]}))
    text = "\n".join(improve(Inputs(engine, full_metrics(), "zh")).sentences)
    assert "数据源 jzdj 有 2 个公民身份号码以数字格式保存在表格中" in text
    english = "\n".join(improve(Inputs(engine, full_metrics(), "en")).sentences)
    assert "Source jzdj stores 2 ID number values as spreadsheet numbers" in english


def engine_of(tables: dict):
    engine = open_engine()
    for name, frame in tables.items():
        engine.load(name, frame)
    return engine


def test_twins_u_shown_where_the_run_learnt_it():
    tables = run_tables()
    tables["model_params"] = tables["model_params"].with_columns(
        pl.when((pl.col("entity_type") == "person") & (pl.col("comparison") == "name"))
        .then(pl.Series([None, None, 0.01, 0.45, 0.54, None, None])).alias("u_twins"))
    engine = engine_of(tables)
    metrics = full_metrics()
    metrics["link"]["person"]["twins"] = {"twin_pairs": 99, "name_u": {}}
    sections, errors = build_report(engine, metrics, "zh")
    assert errors == []
    model = {s.id: s for s in sections}["model"]
    assert any("在 99 对已知双胞胎" in s for s in model.sentences)
    table = model.tables[0]
    names = [c.name for c in table.columns]
    assert names[names.index("u") + 1] == "u_twins"
    assert [r[names.index("u_twins")] for r in table.rows if r[1] == "姓名"] == [0.01, 0.45, 0.54]
    # a run without twins keeps the table as it was
    plain = {s.id: s for s in build_report(engine_of(run_tables()), full_metrics(), "zh")[0]}
    assert "u_twins" not in [c.name for c in plain["model"].tables[0].columns]
