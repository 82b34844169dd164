"""The SVG chart helpers: well-formed XML, labels escaped and in place, sizes follow content."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from linkage.report import svg

NS = "{http://www.w3.org/2000/svg}"


def _texts(markup: str) -> list[str]:
    root = ET.fromstring(markup)
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


def test_text_width_counts_cjk_as_one_em():
    assert svg.text_width("居住登记", 10) == 40
    assert svg.text_width("abcd", 10) == 24
    assert svg.shorten("居住登记与计划生育系统", 60, 10).endswith("…")
    assert svg.text_width(svg.shorten("居住登记与计划生育系统", 60, 10), 10) <= 60


def test_bar_chart_scales_bars_and_escapes_labels():
    markup = svg.bar_chart([("公民身份号码", 30.0), ("<b>&", 15.0)], lambda v: f"{v:.0f}", "t")
    root = ET.fromstring(markup)
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    assert widths[0] == 2 * widths[1] > 0
    assert "<b>&" in "".join(_texts(markup))
    assert "30" in _texts(markup) and "15" in _texts(markup)


def test_heatmap_cells_and_labels():
    markup = svg.heatmap(["居住登记", "计生"], [[None, 0.4], [0.5, None]],
                         lambda v: "—" if v is None else f"{v:.0%}", "overlap")
    texts = _texts(markup)
    assert texts.count("居住登记") == 2 and texts.count("计生") == 2  # row and column labels
    assert "40%" in texts and "50%" in texts
    assert len(list(ET.fromstring(markup).iter(f"{NS}rect"))) == 4


def test_upset_marks_members_of_each_combination():
    markup = svg.upset(["a", "b"], [(["a"], 3), (["a", "b"], 2)], "upset", "entities")
    root = ET.fromstring(markup)
    filled = [c.get("fill") for c in root.iter(f"{NS}circle")]
    assert filled.count(svg.TEXT) == 3      # a | a and b
    assert len(filled) == 4
    assert "3" in _texts(markup) and "2" in _texts(markup)


def test_histogram_marker_and_counts():
    markup = svg.histogram([0, 1, 2, 3], [5, 0, 10], "weights", "pairs", marker=1.5,
                           marker_label="threshold")
    root = ET.fromstring(markup)
    heights = [float(r.get("height")) for r in root.iter(f"{NS}rect")]
    assert heights[2] == 2 * heights[0] and heights[1] == 0
    assert "threshold 1.50" in _texts(markup)
