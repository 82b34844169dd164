"""Design-based estimators: allocation, stratified shares and their intervals, recall, the band."""

from __future__ import annotations

import numpy as np
import pytest

from linkage.review.audit import MIN_PER_STRATUM, allocate
from linkage.review.estimate import precision_recall, redundancy_band, stratified_share


def test_allocation_fills_the_sample_within_every_stratum():
    sizes = np.array([5000, 1000, 200, 2, 0])
    shares = np.array([0.98, 0.9, 0.5, 0.5, 0.5])
    n = allocate(sizes, shares, 300)
    assert n.sum() == 300 and np.all(n <= sizes)
    assert n[3] == 2 and n[4] == 0 and np.all(n[:3] >= MIN_PER_STRATUM)
    assert n[2] > 200 * 300 / 6202  # uncertain strata get more than their share of pairs
    assert allocate(sizes, shares, 10**6).tolist() == sizes.tolist()  # a census


def test_a_stratum_labelled_whole_has_no_sampling_error():
    share = stratified_share(np.array([10, 20]), np.array([10, 20]), np.array([9, 20]),
                             np.array([0.5, 0.5]))
    assert share.estimate == share.low == share.high == pytest.approx(29 / 30)


def test_no_error_seen_keeps_an_honest_lower_bound_and_an_upper_bound_of_one():
    share = stratified_share(np.array([4000, 600]), np.array([100, 50]), np.array([100, 50]),
                             np.array([0.98, 0.9]))
    assert share.estimate == 1.0 and share.high == 1.0
    assert 0.95 < share.low < 0.99  # about 3/n below one, not a point


def test_a_stratum_without_labels_widens_the_interval_to_the_worst_case():
    N = np.array([900, 100])
    alone = stratified_share(N[:1], np.array([50]), np.array([45]), np.array([0.9]))
    part = stratified_share(N, np.array([50, 0]), np.array([45, 0]), np.array([0.9, 0.5]))
    assert alone.complete and not part.complete
    # the unlabelled tenth of the population counts as no match at the low end, all at the high
    assert part.low == pytest.approx(0.9 * alone.low)
    assert part.high == pytest.approx(0.9 * alone.high + 0.1)
    assert part.estimate == pytest.approx(0.9 * 0.9 + 0.1 * 0.5)  # the model's share stands in


@pytest.mark.parametrize("sizes, shares", [
    ([5000, 1000, 200, 50], [0.999, 0.98, 0.7, 0.4]),
    ([3000, 3000], [0.95, 0.6]),
    ([800, 200, 100, 30], [0.02, 0.1, 0.5, 0.8]),
])
def test_the_interval_covers_the_true_share_at_least_95_percent(sizes, shares):
    rng = np.random.default_rng(5)
    N, p = np.array(sizes), np.array(shares)
    population = [rng.random(n) < q for n, q in zip(N, p)]
    true = sum(x.sum() for x in population) / N.sum()
    n = allocate(N, np.clip(p, 0.02, 0.98), 150)
    hits = 0
    for _ in range(400):
        x = np.array([rng.choice(pop, k, replace=False).sum() for pop, k in zip(population, n)])
        share = stratified_share(N, n, x, p)
        hits += share.low <= true <= share.high
    assert hits / 400 >= 0.95


def _strata(*rows):
    return [{"population": pop, "N": N, "expected_share": 0.5} for pop, N in rows]


def test_recall_from_linked_and_unlinked_strata():
    strata = _strata(("linked", 1000), ("unlinked", 500))
    # every linked pair right, a tenth of the unlinked ones are matches: 1000 / (1000 + 50)
    quality = precision_recall(strata, np.array([100, 100]), np.array([100, 10]))
    assert quality.precision.estimate == 1.0
    assert quality.recall == pytest.approx(1000 / 1050)
    assert quality.recall_low < quality.recall < quality.recall_high < 1.0
    nothing_missed = precision_recall(strata, np.array([100, 100]), np.array([100, 0]))
    assert nothing_missed.recall == 1.0 == nothing_missed.recall_high
    assert nothing_missed.recall_low < 1.0  # 100 of 500 unlinked pairs seen, not all
    no_unlinked = precision_recall(_strata(("linked", 10)), np.array([10]), np.array([10]))
    assert no_unlinked.recall == no_unlinked.recall_low == 1.0


def test_the_redundancy_band_follows_precision_and_recall():
    quality = precision_recall(_strata(("linked", 1000), ("unlinked", 500)),
                               np.array([100, 100]), np.array([90, 10]))
    band = redundancy_band(10_000, 7_000, quality)
    p, r = quality.precision, quality
    assert band["redundant_records"] == pytest.approx(3000 * p.estimate / r.recall)
    assert band["redundant_low"] <= band["redundant_records"] <= band["redundant_high"]
    assert band["distinct_entities"] == pytest.approx(10_000 - band["redundant_records"])
    assert band["distinct_low"] == pytest.approx(10_000 - band["redundant_high"])
