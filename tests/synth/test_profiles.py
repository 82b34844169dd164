"""Synth profiles: other cities as data — each generates, reads, links, and keeps an exact truth."""

import json
import zipfile

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from linkage.attributes import attribute_for_header
from linkage.cli import main
from linkage.config import load_config
from linkage.connectors import read_source
from linkage.connectors.mapping import map_columns
from linkage.synth.evaluate import evaluate_clusters
from linkage.synth.fixtures import FIXTURES, PEOPLE, SEED
from linkage.synth.generate import generate
from linkage.synth.profiles import (COVERAGE_COLUMNS, DEFAULT, CoverageRule, ProfileError, coverage_expression,
                                    load_profile, profile_names)
from linkage.synth.world import make_chunk
from linkage.synth.chunks import city_layout

from .conftest import assert_summary_agrees_with_truth

OTHERS = [name for name in profile_names() if name != DEFAULT]
# fields the linkage compares, and the attribute each must be read as
LINKED = {
    "person": {"name": "name", "id_number": "id_number", "phone": "phone", "address": "address",
               "birth_date": "birth_date", "gender": "gender", "employer": "employer"},
    "enterprise": {"name": "name", "uscc": "uscc", "org_code": "org_code", "reg_number": "reg_number",
                   "legal_rep": "legal_rep", "phone": "phone", "address": "address"},
}


@pytest.fixture(scope="module", params=OTHERS)
def made(request, tmp_path_factory):
    """(profile, folder, summary) of 900 people of a non-default profile, in chunks of 400 by two
    workers, run through `linkage run`."""
    out = tmp_path_factory.mktemp(request.param)
    summary = generate(out, 900, seed=7, chunk_people=400, workers=2, profile=request.param)
    result = CliRunner().invoke(main, ["run", "-q", str(out / "config.yaml")])
    assert result.exit_code == 0, result.output
    return request.param, out, summary


def _mapped(source, header: str) -> str | None:
    return source.config_columns.get(header) or attribute_for_header(header, source.entity)


def test_there_are_other_profiles_than_the_default():
    assert {"sparse", "noisy"} <= set(OTHERS)
    assert profile_names()[0] == DEFAULT
    assert all(load_profile(name).name == name for name in profile_names())


@pytest.mark.parametrize("name", profile_names())
def test_every_compared_field_is_read_as_its_attribute(name):
    """Realistic headers, not sabotage: a header the mapper does not know is mapped in the config."""
    for source in load_profile(name).sources:
        for column in source.columns:
            wanted = LINKED[source.entity].get(column.field)
            mapped = _mapped(source, column.header)
            if wanted:
                assert mapped == wanted, (name, source.key, column.header)
            else:
                assert mapped not in LINKED[source.entity].values(), (name, source.key, column.header)


def test_other_profiles_use_header_spellings_the_mapper_does_not_know():
    for name in OTHERS:
        unknown = [h for s in load_profile(name).sources for h in s.config_columns
                   if attribute_for_header(h, s.entity) is None]
        assert len(unknown) >= 3, name


def test_profiles_differ_from_the_default_in_systems_headers_formats_and_rates():
    default = load_profile(DEFAULT)
    headers = {(s.key, c.header) for s in default.sources for c in s.columns}
    formats = {(s.key, s.format, s.encoding) for s in default.sources}
    for name in OTHERS:
        profile = load_profile(name)
        assert {(s.key, c.header) for s in profile.sources for c in s.columns} - headers
        assert {(s.key, s.format, s.encoding) for s in profile.sources} - formats
        assert profile.rates != default.rates or profile.system_keys != default.system_keys


def test_sparse_city_has_five_person_and_two_enterprise_systems_some_with_few_attributes():
    profile = load_profile("sparse")
    systems = {e: {s.system for s in profile.sources if s.entity == e} for e in ("person", "enterprise")}
    assert (len(systems["person"]), len(systems["enterprise"])) == (5, 2)
    linked = {s.key: {LINKED[s.entity][c.field] for c in s.columns if c.field in LINKED[s.entity]}
              for s in profile.sources}
    sparse = sorted(linked[k] for k in linked if len(linked[k]) <= 3)
    assert sparse == sorted([{"name", "id_number", "employer"}, {"name", "phone"}, {"name", "address"}])


def test_the_generated_config_maps_what_the_mapper_does_not_know(made, tmp_path):
    name, out, summary = made
    config = load_config(out / "config.yaml")
    profile = load_profile(name)
    assert set(config.sources) == set(profile.source_keys)
    truth = pl.read_parquet(out / "truth.parquet")
    for source in profile.sources:
        assert config.sources[source.key].columns == source.config_columns
        table = read_source(config, source.key, tmp_path)
        expected = truth.filter(pl.col("source") == source.key)
        assert table.rows_in == expected.height == summary["sources"][source.key]["records"], source.key
        assert expected["source_row"].to_list() == list(range(1, expected.height + 1))
        mapped = {m.header: m.attribute for m in map_columns(table, source.entity, config.sources[source.key].columns,
                                                                source.key)}
        for column in source.columns:
            if column.field in LINKED[source.entity]:
                assert mapped[column.header] == LINKED[source.entity][column.field], (source.key, column.header)


def test_truth_is_exact_and_the_summary_adds_up(made):
    name, out, summary = made
    assert summary["generator"]["profile"] == name
    assert_summary_agrees_with_truth(out, summary)
    assert summary == json.loads((out / "truth_summary.json").read_text(encoding="utf-8"))
    assert f"--profile {name}" in (out / "config.yaml").read_text(encoding="utf-8")


def test_the_run_accounts_for_every_truth_row(made):
    name, out, _ = made
    truth = pl.read_parquet(out / "truth.parquet")
    clusters = pl.read_parquet(out / "out" / "clusters.parquet")
    quarantine = pl.read_parquet(out / "out" / "quarantine.parquet")
    held = pl.concat([clusters.select("source", "source_row"), quarantine.select("source", "source_row")])
    assert held.height == truth.height
    assert truth.join(held, on=["source", "source_row"], how="anti").height == 0
    scores = evaluate_clusters(out / "out" / "clusters.parquet", out / "truth.parquet")
    assert set(scores) == {"person", "enterprise"}
    assert scores["person"]["pairwise"]["precision"] > 0.95 and scores["person"]["pairwise"]["recall"] > 0.5


@pytest.mark.parametrize("name", OTHERS)
def test_same_seed_same_bytes_for_any_number_of_workers(name, tmp_path):
    one, two, other = tmp_path / "one", tmp_path / "two", tmp_path / "other"
    generate(two, 700, seed=3, chunk_people=300, workers=2, profile=name)
    generate(one, 700, seed=3, chunk_people=300, workers=1, profile=name)
    generate(other, 700, seed=4, chunk_people=300, workers=1, profile=name)
    files = sorted(p.name for p in two.iterdir())
    assert len(files) == len(load_profile(name).sources) + 3
    for file in files:
        assert (two / file).read_bytes() == (one / file).read_bytes(), file
    assert (two / "truth.parquet").read_bytes() != (other / "truth.parquet").read_bytes()


def _content(path):
    """A file's bytes; an Excel file's as the bytes of each of its zip members (once, in a
    long-running test process, a sheet deflated one byte shorter than in a fresh process)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


def test_the_default_profile_still_makes_the_fixtures_byte_for_byte(tmp_path):
    generate(tmp_path, PEOPLE, seed=SEED, workers=1)
    made = sorted(p.name for p in tmp_path.iterdir() if p.name != "config.yaml")
    assert made == sorted(p.name for p in FIXTURES.iterdir())
    assert [n for n in made if _content(tmp_path / n) != _content(FIXTURES / n)] == []
    assert "--profile" not in (tmp_path / "config.yaml").read_text(encoding="utf-8")


def _error_share(truth: pl.DataFrame, source: str, *errors: str) -> float:
    rows = truth.filter(pl.col("source") == source)
    return rows["errors"].list.eval(pl.element().is_in(list(errors))).list.any().mean()


def test_error_rates_are_the_profiles(tmp_path):
    shares = {}
    for name in ("sparse", "noisy", DEFAULT):
        generate(tmp_path / name, 4000, seed=5, workers=1, profile=name)
        shares[name] = pl.read_parquet(tmp_path / name / "truth.parquet")
    sparse, noisy, default = shares["sparse"], shares["noisy"], shares[DEFAULT]
    typos = ("id_number_swap", "id_number_wrong_digit")
    assert 0.05 < _error_share(sparse, "shebao", *typos) < 0.09
    assert 0.045 < _error_share(sparse, "shebao", "id_number_missing") < 0.075
    assert 0.06 < _error_share(noisy, "laobao_ry", *typos) < 0.10
    assert 0.26 < _error_share(noisy, "wgzz", "id_number_missing") < 0.34
    assert _error_share(default, "laobao_ry", *typos) < 0.015
    for source in ("jzdj", "wgzz", "fwbm"):
        assert _error_share(noisy, source, "name_homophone") > 2 * _error_share(default, source, "name_homophone")
    assert _error_share(noisy, "pda", "name_pinyin") > 0.01
    assert _error_share(noisy, "jisheng", "name_pinyin") == _error_share(default, "pda", "name_pinyin") == 0
    assert _error_share(noisy, "wgzz", "address_stale") > _error_share(default, "wgzz", "address_stale")


def test_a_new_profile_is_data_only(tmp_path):
    """A third city from a file: the default's labour roster alone, with its own headers."""
    profile = tmp_path / "labour.yaml"
    profile.write_text("""
name: labour
title: 只有劳保 (labour only)
rates: {homophone: 0.1}
sources:
  - key: roster
    title: 花名册
    entity: person
    file: roster.csv
    format: csv
    encoding: gbk
    columns: {职工: name, 身份证: id_number, 单位: employer}
    config_columns: {职工: name, 单位: employer}
    coverage: [{when: {employer: [0, null]}, share: 1.0}]
    duplicates: 0.1
    updates_per_year: 1
""", encoding="utf-8")
    summary = generate(tmp_path / "out", 300, seed=1, workers=1, profile=str(profile))
    assert summary["generator"]["profile"] == "labour"
    assert list(summary["sources"]) == ["roster"]
    header = (tmp_path / "out" / "roster.csv").read_bytes().decode("gbk").splitlines()[0]
    assert header == "职工,身份证,单位"
    assert load_config(tmp_path / "out" / "config.yaml").sources["roster"].columns == {"职工": "name", "单位": "employer"}
    assert summary["errors"]["name_homophone"] > 0


@pytest.mark.parametrize("change, message", [
    ("columns: {职工: nme}", "`sources.roster`: columns.职工: 'nme' is not a person field"),
    ("columns: {职工: 'gender:xx'}", "columns.职工: field gender has no format 'xx'; choose from zh, code, zh_long, en"),
    ("coverage: [{when: {salary: [1, 2]}, share: 1}]", "coverage[0].when.salary: not a column coverage can test"),
    ("noise: {homofone: 2}", "`sources.roster.noise`: unknown entry error homofone"),
    ("config_columns: {工号: name}", "config_columns.工号: not a header of this source's columns"),
    ("formt: csv", "`sources.roster.formt`: Extra inputs are not permitted"),
])
def test_a_broken_profile_names_its_file_and_key(tmp_path, change, message):
    base = {"key": "roster", "title": "t", "entity": "person", "file": "r.csv", "format": "csv",
            "columns": "{职工: name}", "coverage": "0.5", "duplicates": "0", "updates_per_year": "1"}
    key = change.split(":")[0]
    lines = [f"    {k}: {v}" for k, v in base.items() if k != key] + [f"    {change}"]
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntitle: t\nsources:\n  - " + "\n".join(lines).lstrip() + "\n", encoding="utf-8")
    with pytest.raises(ProfileError) as error:
        load_profile(str(path))
    assert str(path) in str(error.value) and message in str(error.value)


def test_synth_command_takes_a_profile_and_rejects_an_unknown_one(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--people", "300", "--out", str(tmp_path / "s"), "--profile",
                                        "sparse", "--systems", "shebao,scjg", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "\nprofile sparse: 稀疏系统" in result.output
    assert "shebao" in result.output and "scjg" in result.output and "jzdj" not in result.output
    result = CliRunner().invoke(main, ["synth", "--people", "10", "--out", str(tmp_path / "x"), "--profile", "sparce"])
    assert result.exit_code != 0
    assert "unknown synth profile 'sparce'" in result.output and "sparse" in result.output
    result = CliRunner().invoke(main, ["synth", "--people", "10", "--out", str(tmp_path / "y"), "--profile", "sparse",
                                        "--systems", "jzdj"])
    assert result.exit_code != 0 and "unknown system jzdj in profile sparse" in result.output


def test_coverage_rules_are_the_first_that_holds():
    people = pl.DataFrame({"age": [10, 30, 30, 70], "migrant": [True, True, False, True]})
    rules = [CoverageRule(when={"migrant": True, "age": (18, 65)}, share=0.45),
             CoverageRule(when={"age": (18, None)}, share=0.05), CoverageRule(share=0.01)]
    assert people.select(coverage_expression(rules))["literal"].to_list() == [0.01, 0.45, 0.05, 0.05]
    assert people.select(coverage_expression(0.3))["literal"].to_list() == [0.3]
    assert people.select(coverage_expression([CoverageRule(when={"migrant": False}, share=1.0)])
                         )["literal"].to_list() == [0.0, 0.0, 1.0, 0.0]


def test_coverage_columns_exist_in_the_world():
    chunk = make_chunk(0, 0, city_layout(0), 0, 200, 0, 7)
    for entity, frame in (("person", chunk.people), ("enterprise", chunk.enterprises)):
        assert set(COVERAGE_COLUMNS[entity]) <= set(frame.columns), entity
        numeric = [c for c in COVERAGE_COLUMNS[entity] if frame[c].dtype != pl.Boolean]
        assert all(np.issubdtype(frame[c].to_numpy().dtype, np.number) for c in numeric)
