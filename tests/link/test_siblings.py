"""Twins' names weighed against twins (linkage.link.siblings), not against random pairs."""

import numpy as np

from linkage.link.comparisons import compile_comparisons, tf_positions
from linkage.link.model import Model, initial_m, score
from linkage.link.settings import LinkageSettings
from linkage.link.siblings import MIN_PAIRS, fit_siblings

COMPARISONS = compile_comparisons(LinkageSettings().resolved("person").comparisons)
NAMES = [c.name for c in COMPARISONS]
NAME, BIRTH, PHONE = (NAMES.index(n) for n in ("name", "birth_date", "phone"))
TOP = {k: len(c.levels) for k, c in enumerate(COMPARISONS)}
SIMILAR = 2  # the name's gamma "Jaro-Winkler >= 0.75" (张峰卫 / 张峰呈)


def _u() -> list[np.ndarray]:
    """Random pairs: nearly always different, a similar name 1 in 10,000."""
    out = []
    for c in COMPARISONS:
        u = np.full(len(c.levels) + 1, 1e-4)
        u[0] = 1 - u[1:].sum()
        out.append(u)
    return out


def _pairs(twins: int, others: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """`twins` known twin pairs (two valid IDs, same day, same phone, similar names) after
    `others` random pairs with nothing in common."""
    gamma = np.full((twins + others, len(COMPARISONS)), -1, dtype=np.int8)
    gamma[:others, NAME] = 0
    gamma[others:, NAME] = SIMILAR
    gamma[others:, BIRTH] = TOP[BIRTH]
    gamma[others:, PHONE] = TOP[PHONE]
    cannot_link = np.zeros(len(gamma), dtype=bool)
    cannot_link[others:] = True
    return gamma, cannot_link


def test_learnt_from_known_twins_and_used_only_in_their_context():
    gamma, cannot_link = _pairs(MIN_PAIRS * 2)
    u, m = _u(), initial_m(COMPARISONS)
    siblings = fit_siblings(gamma, cannot_link, COMPARISONS, u, m)
    assert siblings is not None and siblings.pairs == MIN_PAIRS * 2
    # most twins' names are similar: that share, pulled a little towards the random pairs'
    assert 0.6 < siblings.u[SIMILAR] < 0.7

    model = Model(COMPARISONS, u, m, prior=1e-4, siblings=siblings)
    pair = np.full((3, len(COMPARISONS)), -1, dtype=np.int8)
    pair[:, NAME] = SIMILAR
    pair[:, PHONE] = TOP[PHONE]
    pair[0, BIRTH] = TOP[BIRTH]   # same day, same phone: twins' context
    pair[1, BIRTH] = 0            # another birth date: a typo of one person's name is as before
    pair[2, NAME] = TOP[NAME]     # the same name keeps its term frequency
    pair[2, BIRTH] = TOP[BIRTH]
    tf = np.full((3, len(tf_positions(COMPARISONS))), np.nan, dtype=np.float32)
    tf[2, tf_positions(COMPARISONS).index(NAME)] = 1e-5
    bf, _, _ = score(pair, tf, model)
    assert bf[0, NAME] < 1 < bf[1, NAME]
    np.testing.assert_allclose(bf[0, NAME], m[NAME][SIMILAR] / siblings.u[SIMILAR], rtol=1e-6)
    np.testing.assert_allclose(bf[1, NAME], m[NAME][SIMILAR] / u[NAME][SIMILAR], rtol=1e-6)
    np.testing.assert_allclose(bf[2, NAME], m[NAME][TOP[NAME]] / 1e-5, rtol=1e-5)
    # without the context the model scores as it always did
    plain, _, _ = score(pair, tf, Model(COMPARISONS, u, m, prior=1e-4))
    np.testing.assert_allclose(plain[1:], bf[1:])


def test_too_few_known_twins_or_no_birth_date_change_nothing():
    gamma, cannot_link = _pairs(MIN_PAIRS - 1)
    assert fit_siblings(gamma, cannot_link, COMPARISONS, _u(), initial_m(COMPARISONS)) is None
    without_birth = [c for c in COMPARISONS if c.name != "birth_date"]
    gamma, cannot_link = _pairs(MIN_PAIRS * 2)
    gamma = np.delete(gamma, BIRTH, axis=1)
    assert fit_siblings(gamma, cannot_link, without_birth, [u for k, u in enumerate(_u())
                                                            if k != BIRTH],
                        initial_m(without_birth)) is None
