"""Valid identification codes: ID numbers, organisation codes, USCCs, registration numbers."""

import numpy as np
import polars as pl
from stdnum.cn import uscc as stdnum_uscc

from linkage.synth import codes

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_is_valid(value: str) -> bool:
    """18 characters, a real birth date and the ISO 7064 MOD 11-2 check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        np.datetime64(f"{value[6:10]}-{value[10:12]}-{value[12:14]}")
    except ValueError:
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(value, ID_WEIGHTS)) % 11] == value[17]


def test_id_numbers_known_example():
    # GB 11643 example: 11010519491231002X
    ids = codes.id_numbers(np.array([110105]), np.array([19491231]), np.array([2]))
    assert ids.to_list() == ["11010519491231002X"]
    assert codes.legacy_id(ids).to_list() == ["110105491231002"]


def test_sequencer_gives_unique_ids_with_gender_parity_across_calls():
    seq = codes.IdSequencer()
    area = np.full(300, 440303)
    birth = np.full(300, 19900101)
    male = np.arange(300) % 2
    first = seq.assign(area, birth, male)
    second = seq.assign(area, birth, male)
    both = np.concatenate([first, second])
    assert len(np.unique(both * 2 + np.concatenate([male, male]))) == 600
    assert (both % 2 == np.concatenate([male, male])).all()
    ids = codes.id_numbers(area, birth, first)
    assert all(map(id_is_valid, ids))


def _org_ok(code: str) -> bool:
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in code[:8]]
    check = (11 - sum(v * w for v, w in zip(values, [3, 7, 9, 10, 5, 8, 4, 2])) % 11) % 11
    return code[8] == ("X" if check == 10 else str(check))


def test_uscc_with_valid_embedded_org_code():
    index = np.arange(500)
    org = codes.org_codes(index, index % 2 == 0)
    assert org.n_unique() == 500
    assert all(map(_org_ok, org))
    usccs = codes.usccs(org, np.full(500, 440300), index % 3 == 0)
    assert all(stdnum_uscc.is_valid(u) for u in usccs)
    assert (usccs.str.slice(8, 9) == org).all()
    assert usccs.str.slice(0, 2).unique().sort().to_list() == ["91", "92"]


def test_registration_numbers_check_digit():
    regs = codes.registration_numbers(np.arange(50), np.full(50, 440300))
    for reg in regs:
        p = 10
        for c in reg[:14]:
            s = (p + int(c)) % 10
            p = ((s or 10) * 2) % 11
        assert (p + int(reg[14])) % 10 == 1  # ISO 7064 MOD 11,10
    assert regs.str.len_chars().unique().to_list() == [15]
    assert isinstance(regs, pl.Series)
