"""The report's uncertainty section: estimated recall with its band, and possible matches listed
with their evidence, from a real linkage run over sparse records."""

import polars as pl
import pytest

from linkage.engine import open_engine
from linkage.link import run_linkage
from linkage.report import build_report
from tests.link.conftest import FAST, people
from tests.link.test_recall import _sparse


@pytest.fixture(scope="module")
def linked():
    engine = open_engine()
    frame, truth = people(800, seed=11)
    frame = _sparse(frame, truth, 0.9, seed=3)
    # the sparsest records keep nothing but their name: only its rarity can link them
    name_only = frame["phone"].is_null() & frame["id_number"].is_null()
    frame = frame.with_columns([pl.when(name_only).then(None).otherwise(pl.col(c)).alias(c)
                                for c in ("birth_date", "gender")])
    engine.load("records", frame)
    stats = run_linkage(engine, FAST)
    yield engine, {"link": stats}
    engine.close()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_recall_band_and_possible_matches_in_the_report(linked, language):
    engine, metrics = linked
    sections, errors = build_report(engine, metrics, language)
    assert not errors
    section = next(s for s in sections if s.id == "uncertainty")
    assert section.unavailable is None
    person = metrics["link"]["person"]
    text = " ".join(section.sentences)
    assert ("估计召回率" if language == "zh" else "estimated recall") in text
    assert f"{person['possible_matches']:,}" in text
    tables = {t.key: t for t in section.tables}
    assert "recall_estimate" in tables
    assert person["possible_matches"] > 0  # sparse namesakes: the model cannot decide them all
    listed = tables["possible_matches_person"]
    assert len(listed.rows) == min(person["possible_matches"], 500)
    evidence = [c.name for c in listed.columns].index("evidence")
    assert all(row[evidence] for row in listed.rows)
    assert ("姓名" if language == "zh" else "Name") in listed.rows[0][evidence]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_summary_gives_redundancy_with_the_missed_links(linked, language):
    """The headline's redundant records are the links found; beside them the count with the
    links the run estimates it missed, and its band, from the recall estimate."""
    engine, metrics = linked
    sections, errors = build_report(engine, metrics, language)
    assert not errors
    summary = next(s for s in sections if s.id == "summary")
    estimate = metrics["link"]["person"]["recall_estimate"]
    found = sum(s["records"] - s["entities"] for s in metrics["link"].values())
    assert estimate["missed_records"] > 0  # sparse records: the run knows it missed some
    marker = "估计漏掉" if language == "zh" else "estimates it missed"
    corrected = [s for s in summary.sentences if marker in s]
    assert len(corrected) == 1
    others = sum(s["records"] - s["entities"] for e, s in metrics["link"].items() if e != "person")
    for value in (estimate["redundant_records"], estimate["redundant_records_low"],
                  estimate["redundant_records_high"]):
        assert f"{round(value + others):,}" in corrected[0]
    assert estimate["redundant_records"] + others > found
