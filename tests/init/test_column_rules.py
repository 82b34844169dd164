"""`linkage init` column rules: a date header naming another event is never a birth or founding
date, a header naming a village / community or grid unit is the community or grid, and the
headers the connectors renamed (a repeated 电话 → 电话_2, source_row → source_row_2) are shown
as the file writes them."""

from __future__ import annotations

import pytest
import yaml

from linkage.connectors.base import unique_headers
from linkage.init import init_config
from linkage.init.columns import header_candidates
from linkage.init.scan import written_headers
from tests.test_init import population

# dates a founding date or a birth date could have, by their values alone (untimed, spread
# over past decades: before these rules, values alone made them established_date / birth_date)
OLD = [f"{1995 + i % 26}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(60)]
OLDER = [f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(60)]


def _write_csv(path, columns: dict[str, list] | list[tuple[str, list]]) -> None:
    """A CSV of the columns (pairs of header and values where a header repeats)."""
    pairs = list(columns.items()) if isinstance(columns, dict) else columns
    rows = zip(*(values for _, values in pairs))
    path.write_text(",".join(h for h, _ in pairs) + "\n"
                    + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")


def _people(n: int) -> list[dict]:
    _, people, _ = population(3)
    return [people[i % len(people)] for i in range(n)]


def _firms(n: int) -> list[dict]:
    _, _, firms = population(3)
    return [firms[i % len(firms)] for i in range(n)]


def _person_file(folder, name: str, extra: dict[str, list]) -> None:
    people = _people(60)
    _write_csv(folder / name, {"姓名": [p["name"] for p in people],
                               "身份证号": [p["id"] for p in people], **extra})


def _firm_file(folder, name: str, extra: dict[str, list]) -> None:
    firms = _firms(60)
    _write_csv(folder / name, {"企业名称": [f["name"] for f in firms],
                               "统一社会信用代码": [f["uscc"] for f in firms], **extra})


def _init(folder) -> tuple[dict[str, dict], str]:
    """init on `folder`: the columns of each source by file name, and the config's text."""
    config = folder.parent / "config.yaml"
    init_config(folder, config)
    text = config.read_text(encoding="utf-8")
    sources = yaml.safe_load(text)["sources"].values()
    return {s["path"].rsplit("/", 1)[-1]: s for s in sources}, text


# --- dates ----------------------------------------------------------------------------------

EVENTS = ["走访日期", "最近检查日期", "巡查时间", "登记日", "录入日期", "更新日期", "修改时间",
          "填报日期", "采集日期", "核查日期", "审核时间", "注销日期"]


def test_a_date_of_another_event_is_never_a_founding_or_birth_date(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    for i, header in enumerate(EVENTS):
        _firm_file(exports, f"firm{i}.csv", {header: OLD})
        _person_file(exports, f"person{i}.csv", {header: OLDER})
    sources, _ = _init(exports)
    for i, header in enumerate(EVENTS):
        for name in (f"firm{i}.csv", f"person{i}.csv"):
            columns = sources[name]["columns"]
            assert columns.get(header) == "registration_date", (name, header, columns)


def test_a_date_header_naming_no_event_or_the_attributes_own_still_goes_by_its_values(tmp_path):
    """What the values said before stays where the header names no event (日期) or the
    attribute's own one (企业成立, 本人出生: the events of its synonyms 成立日期, 出生日期)."""
    exports = tmp_path / "exports"
    exports.mkdir()
    _firm_file(exports, "firm_plain.csv", {"日期": OLD})
    _firm_file(exports, "firm_own.csv", {"企业成立日期": OLD})
    _person_file(exports, "person_plain.csv", {"日期": OLDER})
    _person_file(exports, "person_own.csv", {"本人出生日期": OLDER})
    sources, _ = _init(exports)
    assert sources["firm_plain.csv"]["columns"]["日期"] == "established_date"
    assert sources["firm_own.csv"]["columns"]["企业成立日期"] == "established_date"
    assert sources["person_plain.csv"]["columns"]["日期"] == "birth_date"
    assert sources["person_own.csv"]["columns"]["本人出生日期"] == "birth_date"


def test_a_visit_date_beside_a_registration_date_is_left_unmapped_not_a_founding_date(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    _firm_file(exports, "visits.csv", {"登记日期": OLD, "走访日期": OLD})
    sources, text = _init(exports)
    columns = sources["visits.csv"]["columns"]
    assert columns["登记日期"] == "registration_date"
    assert "走访日期" not in columns and "established_date" not in columns.values()
    assert "not mapped: 走访日期 (could be registration_date (values, 0.90); " \
           "registration_date is 登记日期)" in text


# --- community and grid units ---------------------------------------------------------------

COMMUNITIES = ["越秀社区", "贾家社区", "江东村", "白马庄社区", "东沙村"]


@pytest.mark.parametrize("header", ["所属村社", "户籍所在村", "村(居)委会", "所在居委", "村名",
                                    "行政村", "社区(村)名称", "所属居委会"])
@pytest.mark.parametrize("entity", ["person", "enterprise"])
def test_a_header_naming_a_village_or_community_points_to_the_community(header, entity):
    found = header_candidates(header, entity)
    assert [(c.attribute, c.method) for c in found] == [("community", "header")]


@pytest.mark.parametrize("header, attribute", [
    ("所在网格", "grid"), ("所属网格名称", "grid"), ("所在街道", "street"),   # units
    ("网格员", None), ("网格长", None), ("社区民警", None), ("村民", None), ("村长", None),
    ("社区负责人", None), ("所属村民小组", None), ("农村", None), ("是否农村户口", None)])
def test_a_person_of_the_unit_is_not_the_unit(header, attribute):
    found = [c.attribute for c in header_candidates(header, "person")]
    assert found == ([attribute] if attribute else []), header


def test_init_maps_the_village_or_community_of_a_table(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    people = _people(60)
    _person_file(exports, "family.csv", {
        "所属村社": [COMMUNITIES[i % 5] for i in range(60)],
        "网格员": [people[i % 4]["name"] for i in range(60)]})      # a grid worker, not a grid
    _firm_file(exports, "shops.csv", {"所在村": [COMMUNITIES[i % 5] for i in range(60)]})
    sources, text = _init(exports)
    family = sources["family.csv"]["columns"]
    assert family["所属村社"] == "community" and "网格员" not in family
    assert sources["shops.csv"]["columns"]["所在村"] == "community"
    assert "所属村社: community" in text and "could be grid" not in text


# --- renamed headers ------------------------------------------------------------------------

@pytest.mark.parametrize("written", [
    ["file", "source_row", "entity_id"], ["电话", "电话", "电话"], ["source_key", "x"],
    ["电话", "电话_2"],          # a file's own 电话_2 after 电话 stays as it is read
    ["a_2", "b"], ["列1", "", "c"]])
def test_written_headers_undo_the_connectors_renaming(written):
    read = unique_headers(written)
    shown = written_headers(read)
    assert unique_headers(shown) == read
    if written != ["电话", "电话_2"]:   # read as 电话, 电话_3: shown as 电话 ×2 (ambiguous)
        assert shown == [w or r for w, r in zip(written, read)]


def test_the_config_shows_the_headers_the_file_writes(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    _write_csv(exports / "truth.csv", {"file": ["a.csv"] * 3, "source_row": ["1", "2", "3"],
                                       "entity_id": ["P1", "P2", "P3"]})
    people = _people(60)
    _write_csv(exports / "lodgers.csv", [
        ("姓名", [p["name"] for p in people]), ("身份证号", [p["id"] for p in people]),
        ("联系电话", ["已回访"] * 60), ("联系电话", [p["phone"] for p in people]),
        ("source_row", [str(i) for i in range(60)]), ("备注", ["无"] * 60), ("备注", [""] * 60)])
    sources, text = _init(exports)
    assert "(columns: file、source_row、entity_id)" in text
    assert "source_row_2" not in text.split("Left out:")[1]
    # a run reads the renamed headers, so the config names them so, and says what the file has
    columns = sources["lodgers.csv"]["columns"]
    assert columns["联系电话_2"] == "phone" and "联系电话" not in columns
    line = next(line for line in text.splitlines() if line.strip().startswith("联系电话_2:"))
    assert "headed 联系电话 in the file" in line
    assert "kept as extras: source_row_2 (headed source_row in the file), 备注, " \
           "备注_2 (headed 备注 in the file)" in text
