from linkage.measure.masking import mask_value


def test_masks_ids_and_phones():
    assert mask_value("11010519491231002X", "id_number") == "110105********002X"
    assert mask_value(" 440305198503021126 ", "legal_rep_id_number") == "440305********1126"
    assert mask_value("91440300MA5DXXXX1X", "uscc") == "914403********XX1X"
    assert mask_value("13812345678", "phone") == "138****5678"
    assert mask_value("075588881234", "phone") == "075*****1234"


def test_short_blank_and_other_values():
    assert mask_value("1234567", "phone") == "1******"
    assert mask_value(None, "phone") is None and mask_value("", "id_number") == ""
    assert mask_value("张伟", "name") == "张伟" and mask_value("x", None) == "x"
