"""The Fellegi–Sunter model: EM recovers m and the prior, term frequencies, shared evidence."""

import numpy as np

from linkage.link.comparisons import compile_comparisons, tf_positions
from linkage.link.model import (Model, estimate_by_sessions, estimate_m, pattern_counts, score,
                                share_group_evidence, weigh)
from linkage.link.settings import ComparisonSettings


def _comparisons(group=None):
    return compile_comparisons([ComparisonSettings(name=n, kind="exact", group=group)
                                for n in ("a", "b", "c")])


def _simulate(rng, n_match, n_non, m_agree, u_agree):
    """Gamma for matches and non-matches of three exact comparisons (1 = agree, 0 = not)."""
    match = (rng.random((n_match, 3)) < m_agree).astype(np.int8)
    non = (rng.random((n_non, 3)) < u_agree).astype(np.int8)
    return np.vstack([match, non])


def test_em_recovers_m_and_the_share_of_matches():
    rng = np.random.default_rng(0)
    m_agree, u_agree = np.array([0.95, 0.9, 0.8]), np.array([0.05, 0.1, 0.2])
    gamma = _simulate(rng, 3_000, 7_000, m_agree, u_agree)
    comps = _comparisons()
    model = Model(comps, u=[np.array([1 - u, u]) for u in u_agree])
    patterns, counts = pattern_counts(gamma)
    assert len(patterns) == 8 and counts.sum() == 10_000
    estimate_m(patterns, counts, model, 200, 1e-7)
    assert model.converged
    np.testing.assert_allclose([m[1] for m in model.m], m_agree, atol=0.02)
    assert abs(model.prior - 0.3) < 0.02


def test_a_level_few_matches_show_keeps_a_positive_weight():
    # 30 matches, none at the middle "similar" level of comparison a: m there must not drop to
    # the floor (a similar value would then count against a match), yet stay below "exact"
    comps = compile_comparisons([ComparisonSettings(name="a", kind="person_name"),
                                 ComparisonSettings(name="b", kind="exact"),
                                 ComparisonSettings(name="c", kind="exact")])
    k = len(comps[0].levels)
    rng = np.random.default_rng(2)
    u_a = np.full(k + 1, 0.001)
    u_a[0] = 1 - u_a[1:].sum()
    match = np.column_stack([np.full(30, k), np.ones(30), np.ones(30)]).astype(np.int8)
    non = np.column_stack([rng.choice(k + 1, 3_000, p=u_a), rng.random(3_000) < 0.05,
                           rng.random(3_000) < 0.05]).astype(np.int8)
    model = Model(comps, u=[u_a, np.array([0.95, 0.05]), np.array([0.95, 0.05])])
    patterns, counts = pattern_counts(np.vstack([match, non]))
    estimate_m(patterns, counts, model, 200, 1e-7)
    weights = np.log2(model.m[0] / u_a)
    assert weights[k - 2] > 0 and weights[k] > weights[k - 2]
    assert model.m[0][k] > 0.8  # the observed level still carries almost all matches


def test_sessions_fit_each_comparison_outside_its_own_rule_and_the_random_pair_prior():
    rng = np.random.default_rng(1)
    gamma = _simulate(rng, 2_000, 2_000, np.array([0.95, 0.9, 0.9]), np.array([0.5, 0.1, 0.1]))
    gamma[:, 0] = 1  # every candidate pair was blocked on comparison a
    comps = _comparisons()
    model = Model(comps, u=[np.array([0.999, 0.001]), np.array([0.9, 0.1]), np.array([0.9, 0.1])])
    bits = np.ones(len(gamma), dtype=np.int64)
    log = estimate_by_sessions(gamma, gamma, bits, [("a", {"a"})], 10_000_000, model, 200, 1e-7)
    assert log[0] == "a: b, c" and log[1] == "all pairs: a"
    np.testing.assert_allclose([model.m[1][1], model.m[2][1]], [0.9, 0.9], atol=0.03)
    # about 2,000 matches among all 10 million record pairs
    assert 1.5e-4 < model.prior < 2.5e-4


def test_term_frequency_makes_common_values_weaker():
    comps = compile_comparisons([ComparisonSettings(name="name", kind="person_name")])
    model = Model(comps, u=[np.array([0.86] + [0.02] * 7)],
                  m=[np.array([0.01] * 6 + [0.02, 0.95])], prior=1e-4)
    gamma = np.array([[7], [7], [7]], dtype=np.int8)
    tf = np.array([[1e-2], [1e-6], [np.nan]], dtype=np.float32)  # 张伟, 欧阳娜娜, no tf
    bf, weight, prob = score(gamma, tf, model)
    assert bf[1, 0] > 1000 * bf[0, 0]
    np.testing.assert_allclose(bf[2, 0], 0.95 / 0.02)
    np.testing.assert_allclose(weight, np.log2(1e-4 / (1 - 1e-4)) + np.log2(bf[:, 0]))
    assert prob[1] > 0.98 and prob[0] < 0.01


def test_a_group_counts_its_strongest_agreement_once():
    comps = _comparisons(group="household")
    log_bf = np.array([[10.0, 12.0, -3.0], [-4.0, -2.0, 1.0], [5.0, 0.0, 0.0]])
    out = share_group_evidence(log_bf, comps)
    assert out.tolist() == [[0.0, 12.0, -3.0], [-4.0, -2.0, 1.0], [5.0, 0.0, 0.0]]


def test_weigh_in_batches_equals_score():
    comps = compile_comparisons([ComparisonSettings(name="name", kind="person_name"),
                                 ComparisonSettings(name="phone", kind="phone")])
    model = Model(comps, u=[np.array([0.86] + [0.02] * 7), np.array([0.9, 0.05, 0.05])],
                  m=[np.array([0.01] * 6 + [0.02, 0.95]), np.array([0.1, 0.1, 0.8])], prior=1e-4)
    rng = np.random.default_rng(0)
    gamma = np.stack([rng.integers(-1, 8, 50), rng.integers(-1, 3, 50)], axis=1).astype(np.int8)
    assert tf_positions(comps) == [0, 1]  # both have a frequency-weighted level
    top = np.array([7, 2])
    tf = np.where(gamma == top, rng.random((50, 2)), np.nan).astype(np.float32)
    _, weight, probability = score(gamma, tf, model)
    batched = weigh(gamma, tf, model, batch=7)
    np.testing.assert_array_equal(batched[0], weight)
    np.testing.assert_array_equal(batched[1], probability)
