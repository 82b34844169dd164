"""`linkage init`: a folder of exports in every supported format becomes a config that
`linkage validate` accepts and `linkage run` uses as it is; the column and entity guesses."""

from __future__ import annotations

import json
import random
import sqlite3

import polars as pl
import pytest
import xlsxwriter
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.cli import main
from linkage.config import load_config
from linkage.connectors.base import RawTable
from linkage.init import init_config
from linkage.init.columns import header_candidates, propose
from linkage.init.render import scalar
from linkage.init.sources import ascii_key, base_name, classify
from linkage.init.scan import Found

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
ROADS = ("科技园路", "桃源路", "学府路", "南海大道", "沙河西路")


def id_number(rng: random.Random) -> str:
    body = (f"440305{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}")
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def uscc(rng: random.Random) -> str:
    org = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    body = "91440300" + org + {10: "X", 11: "0"}.get(check, str(check))
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def population(seed: int = 7):
    rng = random.Random(seed)
    people = [{"name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
               "id": id_number(rng), "phone": f"13{rng.randint(100000000, 999999999)}",
               "address": f"深圳市南山区{rng.choice(ROADS)}{rng.randint(1, 300)}号"
                          f"{rng.randint(1, 20)}栋{rng.randint(101, 2504)}"}
              for _ in range(80)]
    firms = [{"name": f"深圳市{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(['科技', '贸易', '物流'])}"
                      "有限公司", "uscc": uscc(rng), "rep": rng.choice(people)["name"],
              "phone": f"0755{rng.randint(20000000, 89999999)}"} for _ in range(20)]
    return rng, people, firms


def _xlsx(path, sheets: dict[str, list[list]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
    book.close()


def write_exports(folder) -> dict[str, dict[str, str]]:
    """Exports of one city in every supported format; returns, per table (file or file:table),
    the identifying header of each identifying attribute it holds."""
    rng, people, firms = population()
    pick = lambda rows, n: rng.sample(rows, n)  # noqa: E731
    folder.mkdir()
    rows = pick(people, 50)
    text = "姓名,公民身份号码,联系电话,现住址\n" + "".join(
        f"{p['name']},{p['id']},{p['phone']},{p['address']}\n" for p in rows)
    (folder / "居住登记.csv").write_bytes(text.encode("gbk"))
    rows = pick(people, 40)
    text = "育龄妇女姓名,身份证号,手机号码\n" + "".join(
        f"{p['name']},{p['id']},{p['phone']}\n" for p in rows)
    (folder / "计生.csv").write_bytes(text.encode("utf-8-sig"))
    rows = pick(people, 45)
    (folder / "网格.tsv").write_text("人员姓名\t证件号码\t联系方式\t居住地址\n" + "".join(
        f"{p['name']}\t{p['id']}\t{p['phone']}\t{p['address']}\n" for p in rows), encoding="utf-8")
    rows = pick(people, 35)
    _xlsx(folder / "工作站.xlsx", {"台账": [["2024年桃源社区工作站居民台账"],
                                           ["姓名", "身份证号码", "手机号码"]]
                                          + [[p["name"], p["id"], p["phone"]] for p in rows]})
    rows = pick(firms, 15)
    _xlsx(folder / "劳保.xlsx", {
        "封面": [["劳动保障参保单位信息"], ["导出单位：区人力资源局"], ["导出日期：2024年6月30日"]],
        "参保单位": [["单位名称", "统一社会信用代码", "法定代表人", "单位电话"]]
                    + [[f["name"], f["uscc"], f["rep"], f["phone"]] for f in rows]})
    rows = pick(people, 30)
    (folder / "自主申报.json").write_text(json.dumps(
        [{"xm": p["name"], "sfzh": p["id"], "sjhm": p["phone"]} for p in rows],
        ensure_ascii=False), encoding="utf-8")
    rows = pick(people, 30)
    (folder / "pda.jsonl").write_text("".join(json.dumps(
        {"name": p["name"], "idcard": p["id"], "mobile": p["phone"]}, ensure_ascii=False) + "\n"
        for p in rows), encoding="utf-8")
    rows = pick(firms, 12)
    pl.DataFrame({"企业名称": [f["name"] for f in rows], "统一社会信用代码": [f["uscc"] for f in rows],
                  "联系电话": [f["phone"] for f in rows]}).write_parquet(folder / "安全生产.parquet")
    con = sqlite3.connect(folder / "综治.sqlite")
    con.execute("CREATE TABLE residents (姓名 TEXT, 身份证号 TEXT, 电话 TEXT)")
    con.executemany("INSERT INTO residents VALUES (?, ?, ?)",
                    [(p["name"], p["id"], p["phone"]) for p in pick(people, 40)])
    con.execute("CREATE TABLE companies (企业名称 TEXT, 信用代码 TEXT, 联系电话 TEXT)")
    con.executemany("INSERT INTO companies VALUES (?, ?, ?)",
                    [(f["name"], f["uscc"], f["phone"]) for f in pick(firms, 10)])
    con.commit()
    con.close()
    person = lambda n, i, p: {"name": n, "id_number": i, "phone": p}  # noqa: E731
    firm = lambda n, u, p: {"name": n, "uscc": u, "phone": p}  # noqa: E731
    return {
        "居住登记.csv": person("姓名", "公民身份号码", "联系电话"),
        "计生.csv": person("育龄妇女姓名", "身份证号", "手机号码"),
        "网格.tsv": person("人员姓名", "证件号码", "联系方式"),
        "工作站.xlsx": person("姓名", "身份证号码", "手机号码"),
        "劳保.xlsx": firm("单位名称", "统一社会信用代码", "单位电话"),
        "自主申报.json": person("xm", "sfzh", "sjhm"),
        "pda.jsonl": person("name", "idcard", "mobile"),
        "安全生产.parquet": firm("企业名称", "统一社会信用代码", "联系电话"),
        "综治.sqlite:residents": person("姓名", "身份证号", "电话"),
        "综治.sqlite:companies": firm("企业名称", "信用代码", "联系电话"),
    }


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """A folder of exports, `linkage init` on it and `linkage run` on the result."""
    root = tmp_path_factory.mktemp("init")
    expected = write_exports(root / "exports")
    (root / "exports" / "说明.pdf").write_bytes(b"%PDF-1.4 not an export")
    (root / "exports" / "损坏.xlsx").write_bytes(b"PK\x03\x04 broken")
    config = root / "config.yaml"
    result = CliRunner().invoke(main, ["init", str(root / "exports"), "-o", str(config)])
    assert result.exit_code == 0, result.output
    run = CliRunner().invoke(main, ["run", str(config), "--quiet"])
    assert run.exit_code == 0, run.output
    return root, config, expected


def _sources_by_table(config) -> dict[str, dict]:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    out = {}
    for entry in data["sources"].values():
        name = entry["path"].rsplit("/", 1)[-1]
        out[f"{name}:{entry['table']}" if "table" in entry else name] = entry
    return out


def test_every_format_becomes_a_source_with_its_identifying_columns_mapped(initialised):
    root, config, expected = initialised
    sources = _sources_by_table(config)
    assert set(sources) == set(expected)
    for table, columns in expected.items():
        entry = sources[table]
        assert entry["entity"] == ("enterprise" if "uscc" in columns else "person"), table
        assert {entry["columns"].get(header) for header in columns.values()} == set(columns), table
    assert sources["劳保.xlsx"]["sheet"] == "参保单位"       # behind its cover sheet
    assert sources["工作站.xlsx"]["header_row"] == 2          # under its title row
    assert sources["居住登记.csv"]["encoding"] == "gbk"
    assert sources["计生.csv"]["encoding"] == "utf-8-sig"
    text = config.read_text(encoding="utf-8")
    assert "region: 深圳市" in text
    for left_out in ("说明.pdf", "损坏.xlsx", "劳保.xlsx, sheet 封面"):
        assert f"#   exports/{left_out}:" in text


def test_the_run_uses_the_config_as_it_is(initialised):
    root, config, expected = initialised
    cfg = load_config(config)
    out = cfg.output_dir()
    assert out.parent == root and out.name == "out"       # beside the config, not the exports
    clusters = pl.read_parquet(out / "clusters.parquet")
    accounting = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["row_accounting"]
    assert sum(r["rows_in"] for r in accounting) == 50 + 40 + 45 + 35 + 15 + 30 + 30 + 12 + 40 + 10
    # the same 80 people and 20 firms are spread over the files: linked, not one entity per row
    people = clusters.filter(pl.col("entity_type") == "person")["entity_id"].n_unique()
    firms = clusters.filter(pl.col("entity_type") == "enterprise")["entity_id"].n_unique()
    assert people <= 80 and firms <= 20
    # the run mapped exactly what the config says: nothing left for its own guessing
    import duckdb

    with duckdb.connect(str(out / "linkage.duckdb"), read_only=True) as con:
        methods = {m for (m,) in con.execute(
            "SELECT DISTINCT method FROM source_columns WHERE attribute IS NOT NULL").fetchall()}
    assert methods == {"config"}


def test_validate_accepts_it_and_a_second_init_gives_the_same_bytes(initialised, tmp_path):
    root, config, _ = initialised
    result = CliRunner().invoke(main, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    again = root / "again.yaml"
    init_config(root / "exports", again)
    # the run's output folder `out` now exists (a run wrote it): it is still the one named
    assert again.read_text(encoding="utf-8") == config.read_text(encoding="utf-8")


def test_it_never_overwrites_a_config_without_force(tmp_path):
    write_exports(tmp_path / "exports")
    config = tmp_path / "config.yaml"
    config.write_text("name: mine\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "exports"), "-o", str(config)])
    assert result.exit_code == 2 and "already exists; pass --force" in result.output
    assert config.read_text(encoding="utf-8") == "name: mine\n"
    result = CliRunner().invoke(main, ["init", str(tmp_path / "exports"), "-o", str(config),
                                       "--force"])
    assert result.exit_code == 0, result.output
    assert load_config(config).sources


def test_output_folder_is_never_the_exports_nor_a_folder_of_other_files(tmp_path):
    write_exports(tmp_path / "out")            # the exports are in a folder called `out`
    (tmp_path / "out_2").mkdir()
    (tmp_path / "out_2" / "notes.txt").write_text("mine", encoding="utf-8")
    result = init_config(tmp_path / "out", tmp_path / "config.yaml")
    assert result.output == tmp_path / "out_3"
    assert load_config(tmp_path / "config.yaml").output_dir() == tmp_path / "out_3"


def test_a_config_inside_the_exports_folder_skips_its_own_run_next_time(tmp_path):
    exports = tmp_path / "exports"
    write_exports(exports)
    config = exports / "config.yaml"
    first = init_config(exports, config)
    assert first.output == exports / "out"
    run = CliRunner().invoke(main, ["run", str(config), "--quiet"])
    assert run.exit_code == 0, run.output
    second = init_config(exports, config, force=True)
    assert not any("out" in s.found.path.relative_to(exports).parts[:-1]
                   for s in [*second.sources, *second.skipped])
    assert len(second.sources) == len(first.sources)


def test_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "exports").mkdir()
    result = CliRunner().invoke(main, ["init", str(tmp_path / "exports"), "-o",
                                       str(tmp_path / "c.yaml")])
    assert result.exit_code == 2 and "no table of people or enterprises" in result.output
    assert not (tmp_path / "c.yaml").exists()


def _raw(columns: dict[str, list]) -> RawTable:
    data = pl.DataFrame({k: pl.Series(k, v, dtype=pl.Utf8) for k, v in columns.items()})
    data = data.with_columns(pl.int_range(1, data.height + 1, dtype=pl.Int64).alias("source_row"))
    return RawTable(data=data, headers=list(columns), rows_in=data.height)


@pytest.mark.parametrize("header, entity, attribute, method", [
    ("租住人姓名", "person", "name", "header"),          # holds 姓名
    ("出租屋地址", "person", "address", "header"),
    ("GMSFHM", "person", "id_number", "initials"),        # 公民身份号码
    ("XBDM", "person", "gender", "initials"),             # 性别 + 代码
    ("HJDZXZ", "person", "household_address", "header"),  # holds hjdz (户籍地址)
    ("JZDZXZ", "person", "address", "header"),            # holds jzdz (居住地址)
    ("XZZXZ", "person", "address", "initials"),          # 现住址 + 详址
    ("TBSJ", "person", "registration_date", "initials"),  # 填报日期, 时间 for 日期
    ("主体名称", "enterprise", "name", "header"),
])
def test_headers_that_point_to_an_attribute(header, entity, attribute, method):
    found = header_candidates(header, entity)
    assert found and found[0].attribute == attribute and found[0].method == method


def test_a_header_says_nothing_by_a_generic_word_alone():
    assert header_candidates("证件类型", "person") == []
    assert header_candidates("序号", "person") == []


def _people(n: int, seed: int = 1):
    rng, people, _ = population(seed)
    return [people[i % len(people)] for i in range(n)]


def test_the_subjects_names_win_over_a_landlords():
    people = _people(60)
    landlords = [people[i % 5]["name"] for i in range(60)]   # five landlords, many tenants
    raw = _raw({"房东姓名": landlords, "租住人姓名": [p["name"] for p in people],
                "出租屋地址": [p["address"] for p in people]})
    mapped = {p.header: p.attribute for p in propose(raw, "person", "t")}
    assert mapped == {"房东姓名": None, "租住人姓名": "name", "出租屋地址": "address"}


def test_values_alone_map_unknown_headers_and_contradicted_headers_are_not_trusted():
    people = _people(40)
    raw = _raw({"来电人": [p["name"] for p in people], "来电号码": [p["phone"] for p in people],
                "电话": ["已回访"] * 40})
    proposals = {p.header: p for p in propose(raw, "person", "t")}
    assert proposals["来电人"].attribute == "name" and proposals["来电人"].method == "values"
    # 电话 is a phone synonym, which a run would take; its values are notes, so the phone
    # numbers of 来电号码 are the phone and 电话 keeps the synonym only as an alternative
    assert proposals["来电号码"].attribute == "phone"
    assert proposals["电话"].attribute is None
    assert proposals["电话"].alternatives[0].attribute == "phone"


def _classify(columns: dict[str, list]):
    return classify(Found(path=None, format="csv", raw=_raw(columns)))


def test_a_staff_roster_is_read_as_people_and_says_it_holds_employers():
    _, people, firms = population()
    rows = people[:30]
    source = _classify({"单位名称": [firms[i % 3]["name"] for i in range(30)],
                        "统一社会信用代码": [firms[i % 3]["uscc"] for i in range(30)],
                        "姓名": [p["name"] for p in rows], "身份证号": [p["id"] for p in rows]})
    assert source.entity == "person"
    assert "also holds enterprise identifiers" in source.notes[0]


def test_a_firm_register_with_its_legal_representatives_ids_is_read_as_enterprises():
    _, people, firms = population()
    source = _classify({"企业名称": [f["name"] for f in firms],
                        "法定代表人": [p["name"] for p in people[:20]],
                        "法定代表人身份证号": [p["id"] for p in people[:20]]})
    assert source.entity == "enterprise"
    assert {p.header: p.attribute for p in source.proposals}["法定代表人身份证号"] == \
        "legal_rep_id_number"


def test_a_table_identifying_nobody_is_left_out_with_the_reason():
    skipped = _classify({"日期": ["2024-01-01"] * 5, "数量": ["3"] * 5})
    assert "not a table of people or enterprises" in skipped.reason


@pytest.mark.parametrize("stem, base", [
    ("居住登记2024", "居住登记"), ("jzdj_202401", "jzdj"), ("计生(1)", "计生"),
    ("网格-副本", "网格"), ("2024_居住登记", "居住登记"), ("pda", "pda"), ("2024", "2024")])
def test_base_names_drop_dates_numbers_and_copy_marks(stem, base):
    assert base_name(stem) == base


def test_keys_are_ascii():
    assert ascii_key("居住登记") == "jzdj"
    assert ascii_key("T_PDA RKXX") == "t_pda_rkxx"
    assert ascii_key("2024") == "s2024"
    assert ascii_key("·") == "source"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_is_written_as_yaml_that_reads_back_the_same(text):
    assert yaml.safe_load(f"key: {scalar(text)}\n") == {"key": text}
    assert yaml.safe_load(f"{scalar(text)}: 1\n") == {text: 1}


def test_init_on_the_fixtures_links_them_as_the_demo_config_does(tmp_path):
    """`linkage init data/fixtures` + `linkage run` gives the partition of configs/demo.yaml
    (its own source keys, titles and updates per year aside)."""
    from tests.conftest import REPO

    fixtures = REPO / "data" / "fixtures"
    demo = (REPO / "configs" / "demo.yaml").read_text(encoding="utf-8")
    demo = demo.replace("../data/fixtures/", f"{fixtures.as_posix()}/").replace(
        "output: ../out/demo", "output: demo")
    (tmp_path / "demo.yaml").write_text(demo, encoding="utf-8")
    init_config(fixtures, tmp_path / "init.yaml")
    partitions = []
    for name in ("demo.yaml", "init.yaml"):
        result = CliRunner().invoke(main, ["run", str(tmp_path / name), "--quiet"])
        assert result.exit_code == 0, result.output
        cfg = load_config(tmp_path / name)
        files = {key: cfg.source_path(s).name for key, s in cfg.sources.items()}
        clusters = pl.read_parquet(cfg.output_dir() / "clusters.parquet")
        groups = clusters.with_columns(pl.col("source").replace_strict(files).alias("file")) \
            .group_by("entity_id").agg(pl.struct("file", "source_row").sort().alias("rows"))
        partitions.append({tuple((r["file"], r["source_row"]) for r in rows)
                           for rows in groups["rows"].to_list()})
    assert len(partitions[0]) > 1000 and partitions[0] == partitions[1]
