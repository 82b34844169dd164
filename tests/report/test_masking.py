"""mask_text: ID numbers, credit codes and phones are masked wherever they appear in text."""

from __future__ import annotations

from linkage.measure.masking import mask_json, mask_text


def test_id_numbers():
    assert mask_text("11010519491231002X") == "110105********002X"
    assert mask_text("证件 110105491231002 已登记") == "证件 110105*****1002 已登记"
    # digit codes that are not IDs (no valid birth date inside) stay readable: grid, house codes
    assert mask_text("440304123457001") == "440304123457001"
    # an 18-character ID with a wrong birth date is still an ID
    assert mask_text("440306195613316636") == "440306********6636"
    assert mask_text("44030900501342321100") == "44030900501342321100"


def test_phones():
    assert mask_text("13812345678") == "138****5678"
    assert mask_text("jzdj: 13812345678；jsxt: 0755-88886666") == \
        "jzdj: 138****5678；jsxt: 0755-88****66"
    for written in ("175-3253-8496", "175 3253 8496", "+86 175 3253 8496", "8617532538496"):
        assert mask_text(f"联系人{written}。") == "联系人175****8496。", written
    assert mask_text("１７５３２５３８４９６") == "１７５****８４９６"  # full-width digits


def test_credit_codes():
    assert mask_text("91440300MA5DC1XK7R") == "914403********XK7R"


def test_other_text_is_left_alone():
    for text in ("P000000012", "2024-01-31", "华强北路1002号3栋501", "12.5", "name_pinyin + birth_date"):
        assert mask_text(text) == text


def test_dates_stay_readable():
    assert mask_text("导出 20240131") == "导出 20240131"


def test_json_documents_are_masked_everywhere():
    doc = {"community": ["桃源社区 13912345678"], "n": 5, "deep": {"note": "证件440306195608316636"},
           "hours": float("inf"), "share": float("nan"), "rate": 0.5}
    assert mask_json(doc) == {"community": ["桃源社区 139****5678"], "n": 5,
                              "deep": {"note": "证件440306********6636"},
                              "hours": None, "share": None, "rate": 0.5}


def test_paths_the_analyst_chose_stay_as_written():
    doc = {"run": {"config": "/data/2024120601/config.yaml"}, "note": "2024120601123"}
    assert mask_json(doc) == {"run": {"config": "/data/2024120601/config.yaml"},
                              "note": "202******1123"}
