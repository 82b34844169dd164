"""`linkage explain`: the waterfall of a scored pair and of a pair no rule blocked."""

import re

from click.testing import CliRunner

from linkage.cli import main

from linkage.engine import open_engine
from linkage.link import run_linkage
from tests.link.conftest import FAST, people


def test_waterfall_adds_up_to_the_match_weight(tmp_path):
    frame, _ = people(150)
    engine = open_engine(tmp_path / "linkage.duckdb")
    engine.load("records", frame)
    run_linkage(engine, FAST)
    pair = engine.sql("SELECT record_id_l, record_id_r, match_weight FROM pairs "
                      "ORDER BY match_weight DESC LIMIT 1").row(0)
    engine.close()
    runner = CliRunner()
    result = runner.invoke(main, ["explain", str(tmp_path), str(pair[1]), str(pair[0]),
                                     "--language", "en"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"records {pair[0]} and {pair[1]} (person)"
    assert any(line.startswith("name ") for line in lines)
    total = float(re.search(r"match weight ([+-][\d.]+)", result.output).group(1))
    assert abs(total - pair[2]) < 0.01
    assert "decision: same person" in result.output

    # a pair no blocking rule found is compared now, in Chinese by default
    other = runner.invoke(main, ["explain", str(tmp_path), "1", str(frame.height)])
    assert other.exit_code == 0, other.output
    assert "没有分块规则" in other.output and "判定：不是同一人" in other.output


def test_missing_run_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["explain", str(tmp_path), "1", "2"])
    assert result.exit_code != 0 and "linkage run" in result.output
