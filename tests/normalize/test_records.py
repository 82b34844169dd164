"""normalize_records: dispatch by attribute kind, the records contract, order and pass-through."""

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from linkage.normalize import Memo, normalize_records, release_reference_data


def _person() -> pl.DataFrame:
    return pl.DataFrame({
        "record_id": [1, 2, 3], "source": ["jzdj"] * 3, "source_row": [1, 2, 3],
        "entity_type": ["person"] * 3, "extras": ['{"备注": "x"}', "{}", "{}"],
        "name": ["张 伟", "歐陽修（曾用名歐陽秀）", "无"],
        "id_number": ["11010519491231002x", "110105491231002", None],
        "gender": ["男", "女性", "F"],
        "birth_date": ["1949.12.31", "1949年12月", "31108"],
        "ethnicity": ["汉", "01", "维吾尔"],
        "phone": ["+86 138-0013-8000", "0755-8888 8888，13900139000", "/"],
        "community": [" 南山  社区", "无", None],
        "occupation": ["工人", None, "不详"],
    })


def test_person_contract_columns_and_values():
    out = normalize_records(_person(), "person")
    assert out.height == 3
    assert out["record_id"].to_list() == [1, 2, 3]
    assert out.columns[:4] == ["record_id", "source", "source_row", "entity_type"]
    for column in ("name_pinyin", "name_initials", "surname", "given_name", "id_number_flag",
                   "id_number_legacy", "id_birth_date", "id_gender", "id_region", "gender_flag",
                   "birth_date_flag", "ethnicity_code", "ethnicity_flag", "phone_all",
                   "phone_type", "phone_flag"):
        assert column in out.columns, column
    rows = out.to_dicts()
    assert rows[0]["name"] == "张伟" and rows[0]["name_pinyin"] == "zhangwei"
    assert rows[1]["name"] == "欧阳修" and rows[1]["surname"] == "欧阳"
    assert rows[2]["name"] is None
    assert rows[0]["id_number"] == rows[1]["id_number"] == "11010519491231002X"
    assert [r["id_number_legacy"] for r in rows] == [False, True, None]
    assert rows[0]["id_birth_date"] == "1949-12-31" and rows[0]["id_region"] == "北京市朝阳区"
    # the ID's 17th digit is even (female): 男 conflicts, 女性 agrees
    assert [r["gender"] for r in rows] == ["1", "2", "2"]
    assert [r["gender_flag"] for r in rows] == ["conflicts_with_id", "valid", "valid"]
    assert [r["birth_date"] for r in rows] == ["1949-12-31", "1949-12", "1985-03-02"]
    assert [r["birth_date_flag"] for r in rows] == ["valid", "partial", "valid"]
    assert [r["ethnicity"] for r in rows] == ["汉族", "汉族", "维吾尔族"]
    assert rows[0]["phone"] == "13800138000"
    assert rows[1]["phone_all"] == "075588888888;13900139000"
    assert rows[2]["phone"] is None
    assert [r["community"] for r in rows] == ["南山 社区", None, None]
    assert [r["occupation"] for r in rows] == ["工人", None, None]
    assert rows[0]["extras"] == '{"备注": "x"}'


def test_unknown_columns_pass_through_untouched():
    frame = _person().with_columns(pl.Series("batch", [7, 8, 9]))
    out = normalize_records(frame, "person")
    assert out["batch"].to_list() == [7, 8, 9]


def test_enterprise_records_link_by_org_key():
    frame = pl.DataFrame({
        "record_id": [10, 11, 12], "source": ["aqsc"] * 3, "source_row": [1, 2, 3],
        "entity_type": ["enterprise"] * 3,
        "name": ["深圳市华为技术有限责任公司", "华为技术（深圳）有限公司", "无"],
        "uscc": ["914403001922038216", None, "91440300192203821N"],
        "org_code": [None, "19220382-1", None],
        "employees": ["0", "1,200", "无"],
    })
    out = normalize_records(frame, "enterprise")
    assert out["name"].to_list() == ["深圳市华为技术有限公司", "华为技术(深圳)有限公司", None]
    assert out["name_core"].to_list() == ["华为", "华为", None]
    assert out["uscc_flag"].to_list() == ["valid", None, "bad_check"]
    assert out["org_code_flag"].to_list() == [None, "valid", None]
    assert out["org_key"].to_list() == ["192203821", "192203821", None]
    assert out["employees"].to_list() == ["0", "1,200", None]


def _enterprises(**columns) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame({"record_id": list(range(1, n + 1)), "source": ["laobao_dw"] * n,
                         "source_row": list(range(1, n + 1)), "entity_type": ["enterprise"] * n,
                         **columns})


def test_local_phone_numbers_take_the_area_code_of_the_address_else_of_the_region():
    frame = _enterprises(
        phone=["50928397", "62345678", "62345678", "5092 8397", "50928397", "13800138000"],
        address=["深圳市南山区科技园路18号", "北京市朝阳区建国路1号", "山西省晋中市榆次区迎宾街1号",
                 "湖北省仙桃市仙桃大道1号", None, "深圳市南山区科技园路18号"])
    out = normalize_records(frame, "enterprise")
    assert out["phone"].to_list() == ["075550928397", "01062345678", "62345678",
                                      "072850928397", "50928397", "13800138000"]
    assert out["phone_flag"].to_list() == ["area_code_added", "area_code_added", "no_area_code",
                                           "area_code_added", "no_area_code", "valid"]
    assert out["phone_written"].to_list() == ["50928397", "62345678", None, "50928397", None, None]
    # the region hint stands in for the place a record does not name
    hinted = normalize_records(frame, "enterprise", region_hint="深圳市")
    assert hinted["phone"].to_list()[2:5] == ["62345678", "072850928397", "075550928397"]
    # without an address column at all, the hint alone
    alone = normalize_records(frame.drop("address"), "enterprise", region_hint="北京市")
    assert alone["phone"].to_list()[:2] == ["01050928397", "01062345678"]
    assert normalize_records(frame.drop("address"), "enterprise")["phone_flag"].to_list()[:5] == [
        "no_area_code"] * 5


def test_organisation_code_in_the_credit_code_column_links_by_org_key():
    out = normalize_records(_enterprises(
        uscc=["914403001922038216", "19220382-1", "192203821", "19220382-2"],
        reg_number=[None, None, None, "19220382-1"]), "enterprise")
    assert out["uscc_flag"].to_list() == ["valid", "org_code", "org_code", "wrong_length"]
    assert out["reg_number_flag"].to_list() == [None, None, None, "org_code"]
    assert out["org_key"].to_list() == ["192203821"] * 4


def test_all_null_columns_and_empty_frames():
    frame = pl.DataFrame({"record_id": [1], "source": ["s"], "source_row": [1],
                          "entity_type": ["person"], "name": [None], "phone": [None]})
    out = normalize_records(frame, "person")
    assert out["name"].to_list() == [None] and out["phone_flag"].to_list() == [None]
    empty = normalize_records(frame.clear(), "person")
    assert empty.height == 0 and "name_pinyin" in empty.columns


def test_addresses_are_dispatched_with_the_region_hint():
    frame = _person().with_columns(pl.Series("address", ["南山区桃园路2号", None, "无"]))
    out = normalize_records(frame, "person", region_hint="深圳市")
    assert {"address_key", "address_flag", "address_district"} <= set(out.columns)
    assert out["address_district"].to_list()[0] == "南山区"
    assert out["address"].to_list()[1:] == [None, None]


@pytest.mark.parametrize("memo_slice", [Memo.SLICE, 101])
def test_chunks_with_a_memo_give_what_all_records_at_once_give(tmp_path, monkeypatch, memo_slice):
    """Chunks looked up in a memo equal normalizing every record at once, whether the memo's
    distinct values are normalized in one slice or in slices of 101 (several: the demo's
    source has hundreds of distinct values per column)."""
    from linkage.config import load_config
    from linkage.connectors import read_source
    from linkage.connectors.mapping import canonical_frame, map_columns
    monkeypatch.setattr(Memo, "SLICE", memo_slice)
    config = load_config(Path(__file__).parents[2] / "configs" / "demo.yaml")
    table = read_source(config, "jzdj", tmp_path)
    mappings = map_columns(table, "person", config.sources["jzdj"].columns, "jzdj")
    raw = canonical_frame(table, mappings)
    raw = raw.with_columns(pl.lit("jzdj").alias("source"), pl.lit("person").alias("entity_type"))
    raw = raw.with_row_index("record_id", offset=1).with_columns(pl.col("record_id").cast(pl.Int64))
    raw = pl.concat([raw, raw.with_columns(pl.col("record_id") + raw.height)])  # values repeat
    whole = normalize_records(raw, "person", "深圳市")
    memo = Memo.of_frame("person", "深圳市", raw)
    chunks = [normalize_records(raw.slice(i, 97), "person", "深圳市", memo=memo)
              for i in range(0, raw.height, 97)]
    assert_frame_equal(pl.concat(chunks), whole)
    # each distinct value was normalized once, for all chunks
    assert memo.values["address"].height == raw["address"].n_unique()


def test_released_reference_data_is_loaded_again_and_gives_the_same_records():
    import linkage.normalize.address.divisions as divisions
    frame = _person().with_columns(pl.Series("address", [
        "广东省深圳市南山区粤海街道科技园社区科苑路15号", "杭州市江干区下沙街道", None]))
    first = normalize_records(frame, "person", region_hint="深圳市")
    assert divisions.divisions.cache_info().currsize == 1
    release_reference_data()
    assert divisions.divisions.cache_info().currsize == 0
    assert_frame_equal(normalize_records(frame, "person", region_hint="深圳市"), first)
