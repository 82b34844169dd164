"""Outputs a user can trust (issue #11): misconfiguration is an error, PII never leaks into the
report or metrics.json, nothing a run writes can run as a formula, hostile configs fail fast.

Each test here failed on main before the fix it guards.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from linkage.cli import main
from linkage.connectors import read_path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "data" / "fixtures"


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result


def write_config(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- silent misconfiguration ---------------------------------------------------------------

def test_a_rule_naming_an_unknown_column_is_an_error_with_the_closest_spelling(tmp_path):
    config = write_config(tmp_path, f"""
output: out
sources:
  jzdj: {{path: {FIXTURES / 'jzdj.csv'}}}
linkage:
  person:
    blocking_rules: [[id_number], [name_pinyin, birth_dat]]
    comparisons:
      - {{name: name, kind: person_name}}
      - {{name: dob, column: birth_date, kind: date, fallback: id_birth_dat}}
""")
    for command in ("validate", "run"):
        result = invoke(command, str(config))
        assert result.exit_code == 2
        assert ("`linkage.person.blocking_rules[1]`: 'birth_dat' is not a column of person "
                "records (did you mean 'birth_date'?)") in result.output
        assert "`linkage.person.comparisons[1].fallback`: 'id_birth_dat'" in result.output
    assert not (tmp_path / "out").exists()


def test_a_blocking_rule_over_budget_is_a_message(tmp_path):
    config = write_config(tmp_path, f"""
output: out
sources:
  jzdj: {{path: {FIXTURES / 'jzdj.csv'}}}
linkage:
  person: {{max_pairs_per_rule: 10, blocking_rules: [[surname]]}}
""")
    result = invoke("run", str(config))
    assert result.exit_code == 2
    assert "over the budget of 10 (linkage.person.max_pairs_per_rule)" in result.output


# --- hostile configs -----------------------------------------------------------------------

def test_a_yaml_alias_bomb_is_refused_in_a_second(tmp_path):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines.append("sources: {p: {path: x.csv, title: *a9}}")
    config = write_config(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    result = invoke("validate", str(config))
    assert time.perf_counter() - start < 5
    assert result.exit_code == 2 and "through YAML aliases" in result.output


def test_infinite_numbers_are_refused_in_the_config(tmp_path):
    config = write_config(tmp_path, f"sources: {{p: {{path: {FIXTURES / 'jzdj.csv'}, "
                                    "updates_per_year: .inf}}\n")
    result = invoke("validate", str(config))
    assert result.exit_code == 2
    assert "`sources.p.updates_per_year`: Input should be a finite number" in result.output


def test_a_header_only_file_as_the_only_source_is_a_message(tmp_path):
    (tmp_path / "people.csv").write_text("姓名,公民身份号码,联系电话\n", encoding="utf-8")
    config = write_config(tmp_path, "output: out\nsources: {p: {path: people.csv}}\n")
    result = invoke("run", str(config))
    assert result.exit_code == 2 and "nothing to link" in result.output


# --- what a run publishes ------------------------------------------------------------------

SECRETS = {"phone_grouped": "175-3253-8496", "id": "440306195608316636", "mobile": "13912345678"}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A run over an export whose free-text columns hold an ID and phones and whose headers
    look like spreadsheet formulas."""
    folder = tmp_path_factory.mktemp("hostile")
    people = read_path(FIXTURES / "jzdj.csv", "csv").data.drop("source_row")
    community = people["所属社区"].to_list()
    community[:30] = [f"{c}（联系人{SECRETS['phone_grouped']}）" for c in community[:10]] + \
        [f"{c}{SECRETS['mobile']}" for c in community[10:20]] + \
        [f"证件{SECRETS['id']}" for _ in range(10)]
    people = people.with_columns(pl.Series("所属社区", community),
                                 pl.lit("x").alias("=HYPERLINK(\"http://evil\",\"点我\")"),
                                 pl.lit("y").alias("@SUM(A1)"))
    people.write_csv(folder / "people.csv")
    config = write_config(folder, "output: out\nsources:\n  jzdj: {path: people.csv, title: 居住登记}\n")
    result = invoke("run", str(config), "-q")
    assert result.exit_code == 0, result.output
    return folder / "out"


def _published_texts(out: Path) -> dict[str, str]:
    texts = {name: (out / name).read_text(encoding="utf-8")
             for name in ("metrics.json", "report.html")}
    with zipfile.ZipFile(out / "report.xlsx") as book:
        texts["report.xlsx"] = "".join(book.read(n).decode("utf-8") for n in book.namelist()
                                       if n.endswith(".xml"))
    return texts


def test_ids_and_phones_in_free_text_are_masked_everywhere(hostile_run):
    texts = _published_texts(hostile_run)
    assert "联系人175****8496" in texts["report.html"] or "联系人175****8496" in texts["metrics.json"]
    for name, text in texts.items():
        for secret in SECRETS.values():
            assert secret not in text, f"{secret} unmasked in {name}"
        assert "3253" not in text.replace("175****8496", ""), name


def test_metrics_json_is_strict_json(hostile_run):
    json.loads((hostile_run / "metrics.json").read_text(encoding="utf-8"),
               parse_constant=lambda c: pytest.fail(f"metrics.json holds {c}"))


def test_no_csv_cell_the_run_writes_starts_like_a_formula(hostile_run):
    crosswalk = (hostile_run / "crosswalk.csv").read_text(encoding="utf-8")
    cells = [cell.strip('"') for line in crosswalk.splitlines() for cell in line.split(",")]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK" in crosswalk and "'@SUM(A1)" in crosswalk
