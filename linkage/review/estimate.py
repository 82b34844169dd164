"""Design-based estimates from a labelled audit sample: precision, recall, the redundancy band.

Per stratum h of a design (`linkage.review.audit`): N_h pairs, n_h of its sampled pairs
labelled same or different (`unsure` and unlabelled ones are left out: the sample is shuffled,
so the labelled ones are a random part of it), x_h of them the same entity.

- Precision — the share of the linked pairs (one entity) that are truly one entity — is a
  stratified proportion over the linked strata: P = Σ W_h x_h/n_h, W_h = N_h / N, with the
  usual variance Σ W_h² (1 − n_h/N_h) s_h²/n_h.  Its interval is Korn & Graubard's (1998):
  Clopper–Pearson at the effective sample size P(1−P)/var (all labelled pairs when P is 0 or 1),
  scaled by (z/t_df)² with df = labelled pairs − strata.  It stays honest where the Wald interval
  collapses (no error seen) and is exact (a point) when every stratum was labelled whole.
- Recall — the share of the truly-same pairs of the population that the run put in one entity
  — is A / (A + B), A = N_linked·P and B = N_unlinked·Q, Q the same kind of proportion over the
  unlinked strata.  Its interval takes each of P and Q at 97.5 % and the worst combination
  (Bonferroni), so it holds at 95 % at least.
- A stratum with no labelled pair yet counts with its expected share (from the model) in the
  estimate and with 0 and 1 at the ends of the interval; the result says it is incomplete.
- Redundant records (records − entities) move with the pairs: the run's r redundant records
  stand for its linked pairs, so truly about r·P/R; the band takes P and R at their interval
  ends, and distinct entities = records − redundant records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special  # the three quantiles below (scipy.stats takes 0.4 s more to import)

ALPHA = 0.05


@dataclass
class Share:
    """A stratified proportion with its interval."""
    estimate: float
    low: float
    high: float
    labelled: int
    complete: bool  # every stratum has a labelled pair


def stratified_share(N: np.ndarray, n: np.ndarray, x: np.ndarray, expected: np.ndarray,
                     alpha: float = ALPHA) -> Share:
    """The share of "same" in a population of strata (sizes N, labelled n, same x; `expected`
    stands in for strata with no label), with a Korn–Graubard interval at 1 − alpha."""
    N, n, x = (np.asarray(a, dtype=np.float64) for a in (N, n, x))
    expected = np.asarray(expected, dtype=np.float64)
    keep = N > 0
    N, n, x, expected = N[keep], n[keep], x[keep], expected[keep]
    if not len(N):
        return Share(float("nan"), 0.0, 1.0, 0, True)
    seen = n > 0
    p = np.where(seen, x / np.maximum(n, 1), expected)
    estimate = float((N * p).sum() / N.sum())
    known = N[seen].sum() / N.sum()  # share of the population in strata with labels
    labelled = int(n.sum())
    if not seen.any():
        return Share(estimate, 0.0, 1.0, 0, False)
    pk, nk, Nk = p[seen], n[seen], N[seen]
    Wk = Nk / Nk.sum()
    inner = float((Nk * pk).sum() / Nk.sum())  # exactly 0 or 1 when every label agrees
    s2 = np.where(nk > 1, pk * (1 - pk) * nk / np.maximum(nk - 1, 1), 0.25)
    var = float((Wk ** 2 * (1 - nk / Nk) * s2 / nk).sum())
    if np.all(nk >= Nk):  # every labelled stratum was labelled whole: no sampling error
        low = high = inner
    else:
        low, high = _korn_graubard(inner, var, labelled, int(seen.sum()), alpha)
    return Share(estimate, known * low, known * high + (1 - known), labelled, bool(seen.all()))


def _korn_graubard(p: float, var: float, n: int, strata: int, alpha: float) -> tuple[float, float]:
    n_eff = p * (1 - p) / var if 0 < p < 1 and var > 0 else float(n)
    n_eff = min(n_eff, float(n))
    df = n - strata
    if df >= 1:
        n_eff *= (special.ndtri(1 - alpha / 2) / special.stdtrit(df, 1 - alpha / 2)) ** 2
    x = p * n_eff
    low = float(special.betaincinv(x, n_eff - x + 1, alpha / 2)) if x > 0 else 0.0
    high = float(special.betaincinv(x + 1, n_eff - x, 1 - alpha / 2)) if x < n_eff else 1.0
    return low, high


@dataclass
class Quality:
    precision: Share
    recall: float
    recall_low: float
    recall_high: float
    linked_pairs: int
    unlinked_pairs: int


def precision_recall(strata: list[dict], n: np.ndarray, x: np.ndarray,
                     alpha: float = ALPHA) -> Quality:
    """Precision (1 − alpha interval) and recall (Bonferroni over P and Q at 1 − alpha/2) from
    a design's `strata` (population, N, expected_share) and their labelled `n` / same `x`."""
    N = np.array([s["N"] for s in strata], dtype=np.float64)
    expected = np.array([s["expected_share"] for s in strata])
    linked = np.array([s["population"] == "linked" for s in strata], dtype=bool)
    n, x = np.asarray(n), np.asarray(x)
    precision = stratified_share(N[linked], n[linked], x[linked], expected[linked], alpha)
    p_half = stratified_share(N[linked], n[linked], x[linked], expected[linked], alpha / 2)
    q_half = stratified_share(N[~linked], n[~linked], x[~linked], expected[~linked], alpha / 2)
    n_linked, n_unlinked = N[linked].sum(), N[~linked].sum()

    def recall(p: float, q: float) -> float:
        found, missed = n_linked * p, (n_unlinked * q if n_unlinked else 0.0)
        return float(found / (found + missed)) if found + missed > 0 else 1.0

    return Quality(precision, recall(p_half.estimate, q_half.estimate),
                   recall(p_half.low, q_half.high), recall(p_half.high, q_half.low),
                   int(n_linked), int(n_unlinked))


def redundancy_band(records: int, entities: int, quality: Quality) -> dict:
    """Redundant records and distinct entities implied by precision and recall (see above)."""
    redundant = records - entities
    p = quality.precision

    def scaled(prec: float, rec: float) -> float:
        return min(float(records - 1), redundant * prec / rec) if rec > 0 else float(records - 1)

    point = scaled(p.estimate, quality.recall)
    low, high = scaled(p.low, quality.recall_high), scaled(p.high, quality.recall_low)
    return {"redundant_records": point, "redundant_low": low, "redundant_high": high,
            "distinct_entities": records - point, "distinct_low": records - high,
            "distinct_high": records - low}
