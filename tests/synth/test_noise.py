"""Entry-error injectors: each changes only the chosen rows, in the intended way, and says which."""

import numpy as np
import polars as pl

from linkage.synth import noise
from linkage.synth.noise import NoiseRates
from linkage.synth.reference import reference

RNG = np.random.default_rng(0)
IDS = pl.Series(["44030319900101123X", "110105194912310021", None, "440303199001011234"])
ALL = np.ones(len(IDS), dtype=bool)


def test_swap_neighbours_swaps_two_adjacent_digits():
    values, changed = noise.swap_neighbours(IDS, ALL, np.random.default_rng(1))
    for old, new, hit in zip(IDS, values, changed):
        if old is None:
            assert new is None and not hit
            continue
        diff = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert hit == bool(diff)
        if diff:
            assert len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(old) == sorted(new)


def test_wrong_char_changes_exactly_one_digit_of_the_body():
    values, changed = noise.wrong_char(IDS, ALL, np.random.default_rng(2))
    assert changed.tolist() == [True, True, False, True]
    for old, new in zip(IDS.filter(pl.Series(changed)), values.filter(pl.Series(changed))):
        diff = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
        assert len(diff) == 1 and diff[0] < 17 and new[diff[0]].isdigit()


def test_only_masked_rows_change():
    mask = np.array([True, False, False, False])
    values, changed = noise.fullwidth_digits(IDS, mask)
    assert changed.tolist() == [True, False, False, False]
    assert values[0] == "４４０３０３１９９００１０１１２３X"
    assert values[1:].to_list() == IDS[1:].to_list()


def test_legacy15_lower_x_and_blank():
    values, changed = noise.legacy15(IDS, ALL)
    assert values.to_list() == ["440303900101123", "110105491231002", None, "440303900101123"]
    assert changed.tolist() == [True, True, False, True]
    values, changed = noise.lower_x(IDS, ALL)
    assert values[0] == "44030319900101123x" and changed.tolist() == [True, False, False, False]
    values, changed = noise.blank(IDS, np.array([False, True, True, False]))
    assert values.to_list() == [IDS[0], None, None, IDS[3]] and changed.tolist() == [False, True, False, False]


def test_homophones_come_from_the_confusion_table():
    names = pl.Series(["张伟"] * 200)
    values, changed = noise.substitute_char(names, np.ones(200, bool), np.random.default_rng(3), start=1)
    assert changed.all()
    confusion = reference().confusion.filter(pl.col("char") == "伟")["homophones"][0].to_list()
    assert values.str.slice(0, 1).unique().to_list() == ["张"]
    assert set(values.str.slice(1, 1)) <= set(confusion) and len(set(values)) > 3


def test_name_edits():
    names = pl.Series(["欧阳娜娜", "王芳", "李晓明"])
    surname_len = np.array([2, 1, 1])
    dropped, changed = noise.drop_char(names, np.ones(3, bool), np.random.default_rng(4), surname_len)
    assert changed.tolist() == [True, False, True]  # two-character names keep both
    assert dropped[0] in ("欧阳娜",) and dropped[2] in ("李明", "李晓")
    spaced, _ = noise.insert_space(names, np.ones(3, bool), surname_len)
    assert spaced.to_list() == ["欧阳 娜娜", "王 芳", "李 晓明"]
    doubled, _ = noise.double_char(names, np.ones(3, bool), np.random.default_rng(5), surname_len)
    assert all(len(d) == len(n) + 1 for d, n in zip(doubled, names))
    traditional, changed = noise.to_traditional(pl.Series(["刘晓东", "王芳"]), np.ones(2, bool))
    assert traditional.to_list() == ["劉曉東", "王芳"] and changed.tolist() == [True, False]


def test_rates_scale_and_cap():
    rates = NoiseRates().scaled(2.0, {"homophone": 100.0})
    assert rates.homophone == 1.0
    assert rates.id_swap == NoiseRates().id_swap * 2


def test_names_typed_in_pinyin_and_given_name_first():
    names = pl.Series(["张小明", "欧阳修", "李 伟", None, "王芳"])
    surname = np.array([1, 2, 1, 1, 1])
    mask = np.array([True, True, True, True, False])
    typed, changed = noise.romanise(names, mask, surname)
    assert typed.to_list() == ["Zhang Xiaoming", "Ouyang Xiu", "Li Wei", None, "王芳"]
    assert changed.tolist() == [True, True, True, False, False]
    swapped, changed = noise.given_name_first(typed, np.array([True, False, True, True, True]))
    assert swapped.to_list() == ["Xiaoming Zhang", "Ouyang Xiu", "Wei Li", None, "王芳"]
    assert changed.tolist() == [True, False, True, False, False]
