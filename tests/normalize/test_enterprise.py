"""Enterprise names (legal form, region, core name) and uscc / org_code / reg_number."""

import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from linkage.normalize.enterprise import (
    CODE_FLAGS, normalize_code, normalize_enterprise_name, org_key, reg_key,
)

HUAWEI_USCC = "914403001922038216"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_check(body: str) -> str:
    """GB 11714 check character of an 8-character body (written independently of the code)."""
    value = sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS))
    return {10: "X", 11: "0"}.get(11 - value % 11, str(11 - value % 11))


def names(*values):
    return normalize_enterprise_name(pl.Series("name", list(values), dtype=pl.Utf8))


def test_empty_brackets_go_nested_ones_too():
    assert names("华为[()]技术有限公司", "【】华为技术有限公司", "(())")["name"].to_list() == [
        "华为技术有限公司", "华为技术有限公司", None]


def test_same_firm_many_spellings_one_core():
    out = names("深圳市华为技术有限公司", "华为技术（深圳）有限公司", "华为技术有限公司",
                "深圳 华为技术 有限责任公司", "深圳市华为技术有限責任公司", "广东省深圳市华为技术有限公司")
    assert out["name_core"].to_list() == ["华为"] * 6
    assert out["name_legal_form"].to_list() == ["有限公司"] * 6
    assert out["name_region"].to_list() == ["深圳市", "深圳", None, "深圳", "深圳市", "广东省深圳市"]


def test_cleaned_name_folds_width_brackets_spaces_and_legal_form():
    out = names("深圳 华为技术 有限责任公司", "腾讯科技（深圳）有限公司", "腾讯科技【深圳】有限公司",
                "平安银行股份有限公司", "无", None)
    assert out["name"].to_list() == ["深圳华为技术有限公司", "腾讯科技(深圳)有限公司",
                                     "腾讯科技(深圳)有限公司", "平安银行股份有限公司", None, None]


def test_joint_stock_company_stays_distinct():
    out = names("平安银行股份有限公司", "平安银行有限公司")
    assert out["name"].n_unique() == 2
    assert out["name_legal_form"].to_list() == ["股份有限公司", "有限公司"]


@pytest.mark.parametrize("raw, core, form, region", [
    ("广东省深圳市南山区小明餐饮店", "小明", "店", "广东省深圳市南山区"),
    ("深圳市宝安区沙井镇恒通五金厂", "恒通", "厂", "深圳市宝安区沙井镇"),
    ("可口可乐（中国）饮料有限公司", "可口可乐饮料", "有限公司", "中国"),
    ("深圳市某某投资合伙企业（有限合伙）", "某某", "合伙企业(有限合伙)", "深圳市"),
    ("阿里巴巴（中国）网络技术有限公司杭州分公司", "阿里巴巴", "分公司", "中国"),
    ("朝阳科技有限公司", "朝阳", "有限公司", None),          # 朝阳 is a trade name here
    ("长安汽车股份有限公司", "长安", "股份有限公司", None),
    ("个体户张三", "个体户张三", None, None),
])
def test_parts(raw, core, form, region):
    assert names(raw).row(0)[1:4] == (core, form, region)


def test_a_county_right_after_its_prefecture_is_region_not_core():
    out = names("杭州萧山爱思开科技有限公司", "杭州市余杭区美蒂赫姿美容店", "杭州余杭美蒂赫姿美容店",
                "深圳市宝安横岗五金厂", "浙江省杭州市萧山恒邦快餐店", "爱思开科技有限公司")
    assert out["name_core"].to_list() == ["爱思开", "美蒂赫姿", "美蒂赫姿", "横岗", "恒邦快餐",
                                          "爱思开"]
    assert out["name_region"].to_list() == ["杭州萧山", "杭州市余杭区", "杭州余杭", "深圳市宝安",
                                            "浙江省杭州市萧山", None]
    # alone, or after another prefecture, a county's short form may be the trade name itself
    out = names("萧山爱思开有限公司", "南山科技有限公司", "广州萧山五金厂", "杭州萧山科技有限公司")
    assert out["name_core"].to_list() == ["萧山爱思开", "南山", "萧山", "萧山"]


def test_industry_words_after_the_core():
    out = names("杭州马速宝人力资源有限公司", "马速宝餐饮管理有限公司", "深圳市腾讯计算机系统有限公司",
                "广东省深圳市南山区小明餐饮店", "恒通达", None)
    assert out["name_core"].to_list()[:2] == ["马速宝", "马速宝"]  # sister companies share the 字号
    assert out["name_industry"].to_list() == ["人力资源", "餐饮管理", "计算机系统", "餐饮", None, None]


def test_flags():
    out = names("华为技术有限公司", "恒通达", "123", None)
    assert out["name_flag"].to_list() == ["valid", "no_legal_form", "invalid", None]


def codes(kind, *values):
    out = normalize_code(pl.Series(kind, list(values), dtype=pl.Utf8), kind)
    assert set(out[f"{kind}_flag"].drop_nulls()) <= set(CODE_FLAGS)
    return out


def test_uscc():
    out = codes("uscc", HUAWEI_USCC, "9144 0300 1922 0382 16", "91440300-192203821-6",
                "91440300192203821n", "91440300192203821", "91440300I92203821O", "无", None)
    assert out["uscc"].to_list()[:4] == [HUAWEI_USCC] * 3 + ["91440300192203821N"]
    assert out["uscc_flag"].to_list() == ["valid", "valid", "valid", "bad_check", "wrong_length",
                                          "invalid_chars", None, None]


def test_uscc_check_agrees_with_stdnum_and_checks_the_organisation_code_too():
    orgs = [f"{i:08d}" for i in range(0, 10**8, 10**8 // 200)]
    bodies = [f"91440300{o}{org_check(o)}" for o in orgs]
    numbers = [b + stdnum_uscc.calc_check_digit(b) for b in bodies]
    assert codes("uscc", *numbers)["uscc_flag"].to_list() == ["valid"] * len(numbers)
    # the organisation code's check digit wrong, the last character made to fit: stdnum
    # accepts these, GB 32100 does not (characters 9–17 are a GB 11714 code)
    wrong = [b[:16] + str((int(b[16]) + 1) % 10) if b[16].isdigit() else b[:16] + "0" for b in bodies]
    forged = [b + stdnum_uscc.calc_check_digit(b) for b in wrong]
    assert all(stdnum_uscc.is_valid(n) for n in forged)
    assert codes("uscc", *forged)["uscc_flag"].to_list() == ["bad_check"] * len(forged)


def test_real_credit_codes_pass_both_checks():
    # codes published in other projects' tests and notes (hutool; id-rule), not made here
    real = ["91330201MA282UF146", "91330401MA28ADM67R", "91310115591693856A", "91310110666007217T"]
    assert codes("uscc", *real)["uscc_flag"].to_list() == ["valid"] * 4
    # codes issued by pilot areas before GB 32100 (福州, 厦门): legal, but their last character
    # fails the standard's check (python-stdnum rejects them too); the organisation code inside
    # them checks
    pilot = ["91350100M0001TGQXM", "91350211M0000XUF46", "91350203M0001FUE2P"]
    assert codes("uscc", *pilot)["uscc_flag"].to_list() == ["bad_check"] * 3
    assert [stdnum_uscc.is_valid(c) for c in pilot] == [False] * 3
    assert all(org_check(c[8:16]) == c[16] for c in real + pilot)


def test_organisation_codes_in_other_code_columns():
    out = codes("uscc", "19220382-1", "192203821", "19220382-2", "MA5F0000X", HUAWEI_USCC)
    assert out["uscc"].to_list() == ["192203821", "192203821", "192203822", "MA5F0000X",
                                     HUAWEI_USCC]
    assert out["uscc_flag"].to_list() == ["org_code", "org_code", "wrong_length", "org_code",
                                          "valid"]
    out = codes("reg_number", "19220382-1", "1922038")
    assert out["reg_number_flag"].to_list() == ["org_code", "wrong_length"]


def test_org_code():
    out = codes("org_code", "19220382-1", "192203821", "19220382-X", "1922038", "ABCDEFGH-?",
                "MA5F0000X", "MA5F00000")
    assert out["org_code"].to_list()[:2] == ["192203821", "192203821"]
    assert out["org_code_flag"].to_list() == ["valid", "valid", "bad_check", "wrong_length",
                                              "invalid_chars", "valid", "bad_check"]


def test_reg_number():
    good = "44030110309741" + mod_11_10.calc_check_digit("44030110309741")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    out = codes("reg_number", good, bad, good[:-1], good[:-1] + "A")
    assert out["reg_number_flag"].to_list() == ["valid", "bad_check", "wrong_length",
                                                "invalid_chars"]


def test_registration_numbers_in_a_credit_code_column():
    # a licence of before 2015 keyed where the credit code goes: a valid 15-digit registration
    # number is what it is (flag reg_number, counted valid), not a credit code of wrong length
    good = "33010908673633" + mod_11_10.calc_check_digit("33010908673633")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    out = codes("uscc", good, bad, HUAWEI_USCC, "19220382-1", None)
    assert out["uscc_flag"].to_list() == ["reg_number", "wrong_length", "valid", "org_code", None]
    reg = codes("reg_number", None, None, None, None, good)
    assert reg_key({"uscc": out, "reg_number": reg}).to_list() == [good, None, None, None, good]
    assert reg_key({"uscc": out}).to_list() == [good, None, None, None, None]
    assert reg_key({"org_code": codes("org_code", "19220382-1")}) is None


def test_org_key_from_uscc_or_org_code():
    uscc = codes("uscc", HUAWEI_USCC, None, "91440300192203821N", None, "MA5F0000X")
    org = codes("org_code", None, "19220382-1", "192203821", "12345678-0", None)
    assert org_key({"uscc": uscc, "org_code": org}).to_list() == [
        "192203821", "192203821", "192203821", None, "MA5F0000X"]
    assert org_key({"uscc": uscc}).to_list() == ["192203821", None, None, None, "MA5F0000X"]
    reg = codes("reg_number", None, None, None, "19220382-1", None)
    assert org_key({"org_code": org, "reg_number": reg}).to_list() == [
        None, "192203821", "192203821", "192203821", None]
