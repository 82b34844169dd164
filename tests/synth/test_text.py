"""Text columns laid out from byte matrices: digits with and without padding, literals, nulls."""

import numpy as np

from linkage.synth import text


def test_compose_digits_literals_and_nulls():
    y, m, d = np.array([2024, 1999, 1900]), np.array([7, 12, 1]), np.array([1, 31, 9])
    iso = text.compose(text.digits(y, 4), text.literal("-", 3), text.digits(m, 2), text.literal("-", 3),
                       text.digits(d, 2))
    assert iso.to_list() == ["2024-07-01", "1999-12-31", "1900-01-09"]
    cn = text.compose(text.digits(y, 4), text.literal("年", 3), text.digits(m, 2, pad=False),
                      text.literal("月", 3), valid=np.array([True, False, True]))
    assert cn.to_list() == ["2024年7月", None, "1900年1月"]


def test_digits_of_wide_numbers_and_zero():
    values = np.array([0, 7, 1234567890, 10**11 - 1])
    assert text.compose(text.digits(values, 11)).to_list() == [
        "00000000000", "00000000007", "01234567890", "99999999999"]
    assert text.compose(text.digits(values, 11, pad=False)).to_list() == ["0", "7", "1234567890", "99999999999"]
    assert text.compose(text.digits(np.array([], dtype=np.int64), 3)).to_list() == []
