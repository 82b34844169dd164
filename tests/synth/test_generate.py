"""The generated exports: readable by the connectors, consistent with the truth, deterministic."""

import json
import sqlite3

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from linkage.cli import main

from linkage.attributes import attribute_for_header
from linkage.config import load_config
from linkage.connectors import read_source
from linkage.connectors.mapping import map_columns
from linkage.synth.chunks import ChunkTask, Plan, Workers
from linkage.synth.generate import generate
from linkage.synth.noise import NoiseRates
from linkage.synth.profiles import load_profile

from .conftest import assert_summary_agrees_with_truth
from .test_codes import id_is_valid

SOURCES = load_profile().sources


def _export_with_truth(out, key: str) -> pl.DataFrame:
    """A source's export rows beside their truth rows (entity_id, errors)."""
    spec = next(s for s in SOURCES if s.key == key)
    if spec.format == "tsv":
        export = pl.read_csv(out / spec.file, separator="\t", infer_schema=False, quote_char=None)
    else:
        export = pl.read_csv(out / spec.file, encoding=spec.encoding, infer_schema=False)
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == key)
    return pl.concat([truth, export], how="horizontal")


def test_every_source_is_read_with_the_truths_row_count(dataset, tmp_path):
    out, summary = dataset
    config = load_config(out / "config.yaml")
    truth = pl.read_parquet(out / "truth.parquet")
    assert set(config.sources) == {s.key for s in SOURCES}
    for key, source in config.sources.items():
        table = read_source(config, key, tmp_path)
        assert table.quarantine.height == 0, key
        expected = truth.filter(pl.col("source") == key)
        assert table.rows_in == expected.height == summary["sources"][key]["records"], key
        assert expected["source_row"].to_list() == list(range(1, expected.height + 1))
        mapped = {m.attribute for m in map_columns(table, source.entity, source.columns, key)}
        identifying = {"name", "id_number"} if source.entity == "person" else {"name", "uscc"}
        assert identifying & mapped, key


def test_nine_systems_in_their_formats(dataset):
    out, summary = dataset
    systems = {s["system"] for s in summary["sources"].values()}
    assert len(systems) == 9
    formats = {(s["format"], s["encoding"]) for s in summary["sources"].values()}
    assert {("csv", "gbk"), ("csv", "gb18030"), ("csv", "utf-8-sig"), ("tsv", "utf-8"), ("xlsx", None),
            ("jsonl", None), ("sqlite", None)} <= formats
    assert (out / "fwbm.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (out / "jzdj.csv").read_bytes().decode("gbk")
    sheet = openpyxl.load_workbook(out / "gzz.xlsx", read_only=False).active
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:O1"]
    assert sheet["A1"].value == "社区工作站居民信息台账" and sheet["B2"].value == "姓名"
    with sqlite3.connect(out / "pda.sqlite") as con:
        assert con.execute("SELECT count(*) FROM pda_cjxx").fetchone()[0] == summary["sources"]["pda"]["records"]
    first = json.loads((out / "zzsb.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert list(first)[:2] == ["xm", "xb"]


def test_department_only_columns_stay_extras():
    extras = {"jisheng": {"避孕措施", "生育子女数"}, "aqsc_qy": {"安全等级", "隐患数"}, "fwbm": {"房屋用途", "产权人"}}
    for spec in SOURCES:
        for header in extras.get(spec.key, ()):
            assert header in spec.headers
            assert attribute_for_header(header, spec.entity) is None


def test_summary_agrees_with_truth(dataset):
    out, summary = dataset
    assert_summary_agrees_with_truth(out, summary)


def test_redundancy_looks_like_a_city(dataset):
    out, summary = dataset
    person, enterprise = summary["entity_types"]["person"], summary["entity_types"]["enterprise"]
    assert 3.0 < person["records"] / person["entities"] < 5.5
    assert person["within_source_duplicates"] > 0 and enterprise["redundant_records"] > 0
    truth = pl.read_parquet(out / "truth.parquet")
    # entity ids are "P" / "E" + zero-padded numbers, one id space per entity type
    assert truth.filter(pl.col("entity_type") == "person")["entity_id"].str.contains(r"^P\d{7}$").all()
    assert truth.filter(pl.col("entity_type") == "enterprise")["entity_id"].str.contains(r"^E\d{7}$").all()


def test_error_free_records_carry_true_valid_ids(dataset):
    out, _ = dataset
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == "jzdj")
    export = pl.read_csv(out / "jzdj.csv", encoding="gbk", infer_schema=False)
    rows = pl.concat([truth, export], how="horizontal")
    id_errors = pl.col("errors").list.eval(pl.element().str.starts_with("id_number")).list.any()
    clean = rows.filter(~id_errors)
    assert clean["公民身份号码"].map_elements(id_is_valid, return_dtype=pl.Boolean).all()
    # one entity, one ID: error-free copies of a person agree
    assert clean.group_by("entity_id").agg(pl.col("公民身份号码").n_unique())["公民身份号码"].max() == 1
    swapped = rows.filter(pl.col("errors").list.contains("id_number_legacy15"))
    assert (swapped["公民身份号码"].str.len_chars() == 15).all()


def test_family_planning_holds_women_of_15_to_49(dataset):
    out, _ = dataset
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == "jisheng")
    export = pl.read_csv(out / "jisheng.csv", encoding="gb18030", infer_schema=False)
    ids = pl.concat([truth, export], how="horizontal").filter(
        ~pl.col("errors").list.eval(pl.element().str.starts_with("id_number")).list.any())["公民身份号码"]
    assert (ids.str.slice(16, 1).cast(pl.Int64) % 2 == 0).all()
    age = 2024 - ids.str.slice(6, 4).cast(pl.Int64)
    assert age.min() >= 14 and age.max() <= 50


def test_popular_names_collide(dataset):
    out, _ = dataset
    rows = pl.concat([_export_with_truth(out, "wgzz").select("entity_id", "errors", "姓名"),
                      _export_with_truth(out, "jzdj").select("entity_id", "errors", "姓名")])
    name_errors = pl.col("errors").list.eval(pl.element().str.starts_with("name_")).list.any()
    names = rows.filter(~name_errors & pl.col("姓名").is_not_null())
    per_name = names.group_by("姓名").agg(pl.col("entity_id").n_unique().alias("people"))
    assert per_name["people"].max() >= 2
    surnames = names["姓名"].str.slice(0, 1).value_counts(sort=True)["姓名"].head(5).to_list()
    assert set(surnames) & {"王", "李", "张", "刘", "陈"}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 300, seed=5, systems=["jzdj", "pda", "aqsc"])
    generate(b, 300, seed=5, systems=["jzdj", "pda", "aqsc"])
    generate(c, 300, seed=6, systems=["jzdj", "pda", "aqsc"])
    names = sorted(p.name for p in a.iterdir())
    assert names == ["aqsc_qy.xlsx", "config.yaml", "jzdj.csv", "pda.sqlite", "truth.parquet", "truth_summary.json"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "jzdj.csv").read_bytes() != (c / "jzdj.csv").read_bytes()


def test_same_bytes_whatever_the_number_of_workers(tmp_path):
    # default rates, damaged lines included
    one, two = tmp_path / "one", tmp_path / "two"
    generate(two, 1500, seed=11, chunk_people=400, workers=2)
    generate(one, 1500, seed=11, chunk_people=400, workers=1)
    truth = pl.read_parquet(two / "truth.parquet")
    assert truth["errors"].list.eval(pl.element().str.starts_with("row_")).list.any().sum() > 0
    for path in sorted(two.iterdir()):
        assert path.read_bytes() == (one / path.name).read_bytes(), path.name
    assert not (two / ".synth-chunks").exists()


def test_id_numbers_stay_unique_across_chunks(dataset):
    out, _ = dataset
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == "wgzz")
    export = pl.read_csv(out / "wgzz.tsv", separator="\t", infer_schema=False, quote_char=None)
    rows = pl.concat([truth, export], how="horizontal").filter(pl.col("errors").list.len() == 0)
    assert rows["entity_id"].str.slice(1).cast(pl.Int64).max() >= 1200  # people of all 4 chunks
    per_id = rows.group_by("身份证号").agg(pl.col("entity_id").n_unique())
    assert per_id.height > 500 and per_id["entity_id"].max() == 1


def test_a_worker_error_reaches_the_caller(tmp_path):
    plan = Plan(0, ("no-such-system",), NoiseRates(), 1.0, 7, tmp_path)
    pool = Workers(plan, 2)
    try:
        with pytest.raises(ValueError, match="unknown system no-such-system"):
            list(pool.run([ChunkTask(0, 0, 10, 0)], lambda rows, keys: None))
    finally:
        pool.close()
    assert not any(p.is_alive() for p in pool.processes)


def test_noise_levels_scale_the_errors(tmp_path):
    counts = {}
    for level in ("low", "high"):
        summary = generate(tmp_path / level, 800, seed=3, noise=level, systems=["wgzz"])
        counts[level] = sum(summary["errors"].values())
    assert counts["high"] > 2 * counts["low"]


def test_synth_command(tmp_path):
    out = tmp_path / "x"
    result = CliRunner().invoke(main, ["synth", "--people", "200", "--out", str(out), "--seed", "1",
                                        "--systems", "jzdj,laobao", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "records/s" in result.output
    summary = json.loads((out / "truth_summary.json").read_text(encoding="utf-8"))
    assert list(summary["sources"]) == ["jzdj", "laobao_ry", "laobao_dw"]
    assert "laobao_dw" in load_config(out / "config.yaml").sources


def test_synth_command_rejects_unknown_system(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--people", "10", "--out", str(tmp_path), "--systems", "jzdk"])
    assert result.exit_code == 2
    assert "unknown system jzdk" in result.output


@pytest.mark.parametrize("people", [1, 7])
def test_tiny_cities_work(tmp_path, people):
    summary = generate(tmp_path, people, seed=0)
    assert summary["population"]["people"] == people


def test_big_excel_systems_switch_to_csv_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setattr("linkage.synth.generate.EXCEL_MAX_ROWS", 100)
    summary = generate(tmp_path, 600, seed=2, systems=["gzz", "aqsc"])
    gzz, aqsc = summary["sources"]["gzz"], summary["sources"]["aqsc_qy"]
    assert (gzz["file"], gzz["format"], gzz["encoding"]) == ("gzz.csv", "csv", "utf-8-sig")
    assert "instead of Excel" in gzz["note"] and aqsc["format"] == "xlsx" and "note" not in aqsc
    config = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "# gzz: exported as CSV" in config and "path: gzz.csv" in config
    assert pl.read_csv(tmp_path / "gzz.csv", infer_schema=False).height == gzz["records"]


def test_systems_miss_id_numbers_and_phones_at_their_own_rates(dataset):
    out, _ = dataset
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("entity_type") == "person")
    rates = {r["source"]: r for r in truth.group_by("source").agg(
        pl.col("errors").list.contains("id_number_missing").mean().alias("id"),
        pl.col("errors").list.contains("phone_missing").mean().alias("phone")).to_dicts()}
    for key in ("fwbm", "pda"):  # occupant lists and door-to-door collection: ~10-15 % without ID
        assert 0.07 < rates[key]["id"] < 0.2, key
    assert 0.04 < rates["wgzz"]["id"] < 0.13
    for key in ("laobao_ry", "jisheng", "jzdj", "zzsb"):  # keyed from ID cards: ~1-2 % or less
        assert rates[key]["id"] < 0.04, key
    assert rates["fwbm"]["phone"] > 2 * rates["jzdj"]["phone"] > 0 and rates["zzsb"]["phone"] < 0.02
    # the blanks are real blanks in the export, and the records keep name and address to match on
    fwbm = _export_with_truth(out, "fwbm")
    no_id = fwbm.filter(pl.col("证件号码") == "无")
    assert no_id.height == fwbm["errors"].list.contains("id_number_missing").sum() > 50
    assert ((no_id["人员姓名"] != "无") & (no_id["房屋地址"] != "无")).mean() > 0.95


def test_move_in_date_is_a_fact_of_the_residence(dataset):
    out, _ = dataset
    month = pl.col("move_in").str.slice(0, 7)
    rows = pl.concat([
        _export_with_truth(out, "jzdj").select("entity_id", "errors", pl.col("入住时间").alias("move_in")),
        _export_with_truth(out, "fwbm").select("entity_id", "errors", pl.col("入住日期").alias("move_in")),
    ]).with_columns(month.alias("month"), pl.col("errors").list.contains("address_stale").alias("stale"))
    keyed_wrong = pl.col("errors").list.eval(pl.element().str.starts_with("move_in_date")).list.any()
    clean = rows.filter(~keyed_wrong)
    # every system holding the same home of a person gives the same move-in month
    per_home = clean.group_by("entity_id", "stale").agg(pl.len().alias("records"), pl.col("month").n_unique())
    assert per_home["month"].max() == 1 and per_home.filter(pl.col("records") > 1).height > 200
    # the previous home was moved into before the current one
    homes = per_home.filter(pl.col("records") > 0).select("entity_id", "stale")
    both = clean.join(homes.group_by("entity_id").len().filter(pl.col("len") == 2), on="entity_id")
    by_home = both.group_by("entity_id").agg(pl.col("month").filter(pl.col("stale")).first().alias("old"),
                                             pl.col("month").filter(~pl.col("stale")).first().alias("new"))
    assert by_home.height > 10 and (by_home["old"] <= by_home["new"]).all()  # equal: born in the new home
    assert (by_home["old"] < by_home["new"]).mean() > 0.8
    # a wrongly keyed month disagrees with the clean records of the same home
    wrong = rows.filter(pl.col("errors").list.contains("move_in_date_wrong_month"))
    check = wrong.join(clean.unique(["entity_id", "stale"]), on=["entity_id", "stale"], suffix="_clean")
    assert check.height > 0 and (check["month"] != check["month_clean"]).all()


def test_one_system_writes_local_landlines_and_old_organisation_codes(dataset, tmp_path):
    """劳保 unit records: phones as dialled in the city, and units registered before the
    credit-code reform keyed with their 9-character organisation code."""
    out, _ = dataset
    config = load_config(out / "config.yaml")
    assert config.region == "深圳市"  # the synth city is the run's region hint
    rows = read_source(config, "laobao_dw", tmp_path).data
    truth = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == "laobao_dw")
    rows = pl.concat([truth, rows.select("统一社会信用代码", "单位电话")], how="horizontal")
    has = pl.col("errors").list.contains
    local = rows.filter(has("phone_local") & ~has("phone_missing"))
    assert local.height > 30 and local["单位电话"].str.contains(r"^[2-9]\d{7}$").mean() > 0.95
    assert not rows.filter(~has("phone_local"))["单位电话"].str.contains(r"^[2-9]\d{7}$").any()
    old = rows.filter(has("uscc_org_code") & ~has("uscc_missing"))
    assert 0.3 < old.height / rows.height < 0.7
    assert old["统一社会信用代码"].str.len_chars().mean() > 8.9  # 9 characters, bar typos
    assert (rows.filter(~has("uscc_org_code") & ~has("uscc_missing"))["统一社会信用代码"]
            .str.len_chars() == 18).all()
    # the other enterprise export writes neither
    others = pl.read_parquet(out / "truth.parquet").filter(pl.col("source") == "aqsc_qy")
    assert not others["errors"].list.eval(pl.element().is_in(["phone_local", "uscc_org_code"])).list.any().any()
