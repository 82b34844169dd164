"""The Fellegi–Sunter model: u from random pairs, m by EM sessions, the prior, scores per pair.

Probabilities are per comparison and level, indexed by gamma (0 = different … K = strongest);
missing (gamma -1) is neutral.  `estimate_u` counts levels over randomly sampled record pairs
(nearly all non-matches).  `estimate_m` runs EM without labels with u held fixed, on the
distinct gamma patterns with their counts (few, however many pairs there are), fitting the
prior and the m of chosen comparisons; `estimate_by_sessions` runs it once per blocking rule;
`estimate_prior` sets the prior as the chance that two random records match (consistent with
u).  Pairs a reviewer decided (`known`: 1 same, 0 different, -1 not decided) are held at their
decision in EM instead of their posterior, so labels correct m and the prior as far as their
number weighs against the rest.  `m_from_labels` takes m from labelled matches instead.  `score` turns gammas into Bayes
factors (a frequency-weighted level uses m / term frequency of the agreed value instead of
m / u; a `group` counts its strongest agreement once; twins' names are weighed against the u
`linkage.link.siblings` measures), the match weight log2(prior odds) +
sum of log2 Bayes factors, and the match probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from linkage.link.comparisons import Comparison, tf_positions
from linkage.link.siblings import Siblings

M_FLOOR = 1e-6  # no level is impossible among matches
# EM's m are smoothed towards `initial_m` with this many pseudo-matches: with few matches (a
# small run, a rare entity type) a level no match happened to show keeps a modest share instead
# of the floor, so "same pinyin" never weighs against a match; thousands of matches outweigh it
M_PSEUDO = 5.0


@dataclass
class Model:
    comparisons: list[Comparison]
    u: list[np.ndarray]
    m: list[np.ndarray] = field(default_factory=list)
    prior: float = 0.5  # lambda: chance that two random records match
    iterations: int = 0
    converged: bool = False
    trained_on: str = "em"
    source: str = "trained"       # "store (run N)" when reused from the entity store, else why trained
    drift: float | None = None    # u drift from the stored model, when there was one
    siblings: Siblings | None = None  # the name's u among twins (`linkage.link.siblings`)


def level_frequencies(gamma: np.ndarray, comparisons: list[Comparison],
                      weights: np.ndarray | None = None, pseudo: float = 0.5) -> list[np.ndarray]:
    """Share of each level among the non-missing comparisons, column by column, smoothed."""
    out = []
    for k, comp in enumerate(comparisons):
        g = gamma[:, k]
        keep = g >= 0
        w = None if weights is None else weights[keep]
        counts = np.bincount(g[keep], weights=w, minlength=len(comp.levels) + 1)
        counts = counts.astype(np.float64) + pseudo
        total = counts.sum()
        out.append(counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts)))
    return out


def estimate_u(gamma: np.ndarray, comparisons: list[Comparison]) -> list[np.ndarray]:
    return level_frequencies(gamma, comparisons)


def pattern_counts(gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct gamma rows and how often each occurs."""
    if not len(gamma):
        return gamma, np.zeros(0, dtype=np.int64)
    base = int(gamma.max()) + 2
    codes = np.zeros(len(gamma), dtype=np.int64)
    for k in range(gamma.shape[1]):
        codes = codes * base + (gamma[:, k].astype(np.int64) + 1)
    _, first, counts = np.unique(codes, return_index=True, return_counts=True)
    return gamma[first], counts


def share_group_evidence(log_bf: np.ndarray, comparisons: list[Comparison]) -> np.ndarray:
    """Log Bayes factors (n × k) with each `group`'s agreements counted once: within a group
    only the largest positive contribution stays, every negative one stays.  Changes `log_bf`
    in place (and returns it): the callers' arrays are their own, and at a few million pairs a
    copy is a few hundred MB."""
    groups: dict[str, list[int]] = {}
    for k, comp in enumerate(comparisons):
        if comp.group is not None:
            groups.setdefault(comp.group, []).append(k)
    for members in groups.values():
        if len(members) < 2:
            continue
        block = log_bf[:, members]
        best = np.argmax(block, axis=1)
        keep = np.zeros(block.shape, dtype=bool)
        keep[np.arange(len(block)), best] = True
        log_bf[:, members] = np.where(keep | (block < 0), block, 0.0)
    return log_bf


def _log_bf(patterns: np.ndarray, model: "Model") -> np.ndarray:
    """Natural-log Bayes factors per pattern and comparison (0 where missing), groups applied."""
    out = np.zeros(patterns.shape, dtype=np.float64)
    for k, (m, u) in enumerate(zip(model.m, model.u)):
        g = patterns[:, k]
        out[:, k] = np.where(g >= 0, np.log(m[np.maximum(g, 0)] / u[np.maximum(g, 0)]), 0.0)
    return share_group_evidence(out, model.comparisons)


def initial_m(comparisons: list[Comparison]) -> list[np.ndarray]:
    """EM's starting m: most matches at the strongest level, a little at each weaker one."""
    out = []
    for comp in comparisons:
        k = len(comp.levels)
        m = np.array([0.05] + [0.95 * 2.0 ** (g - k) for g in range(1, k + 1)])
        out.append(m / m.sum())
    return out


def known_patterns(gamma: np.ndarray, known: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`pattern_counts` keeping decided pairs apart: distinct (gamma row, decision) patterns,
    their counts and their decision (1, 0, -1 undecided; None when nothing is decided)."""
    if known is None or not (known >= 0).any():
        return (*pattern_counts(gamma), None)
    patterns, counts = pattern_counts(np.column_stack([gamma, known.astype(gamma.dtype)]))
    return patterns[:, :-1], counts, patterns[:, -1]


def _posterior(log_odds: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
    return p if known is None else np.where(known >= 0, known, p)


def estimate_m(patterns: np.ndarray, counts: np.ndarray, model: Model, max_iterations: int,
               tolerance: float, fit: np.ndarray | None = None,
               known: np.ndarray | None = None) -> np.ndarray:
    """EM for the prior and the m of the comparisons in `fit` (bool per comparison; None = all),
    with u and the other m fixed, patterns with a `known` decision held at it; updates `model`
    and returns, per comparison, the expected number of matches it was observed on (how much
    evidence its m rests on)."""
    if not model.m:
        model.m = initial_m(model.comparisons)
    fit = np.ones(len(model.comparisons), dtype=bool) if fit is None else fit
    weights = counts.astype(np.float64)
    evidence = np.zeros(len(model.comparisons))
    prior_m = initial_m(model.comparisons)
    model.converged = False
    for _ in range(max_iterations):
        p = _posterior(np.log(model.prior) - np.log1p(-model.prior)
                       + _log_bf(patterns, model).sum(axis=1), known)
        prior = float(np.clip((p * weights).sum() / weights.sum(), 1e-9, 1 - 1e-9))
        fitted = level_frequencies(patterns, model.comparisons, p * weights, pseudo=0.0)
        evidence = ((patterns >= 0) * (p * weights)[:, None]).sum(axis=0)
        smoothed = [(x * n + M_PSEUDO * x0) / (n + M_PSEUDO)
                    for x, x0, n in zip(fitted, prior_m, evidence)]
        m = [np.maximum(x, M_FLOOR) / np.maximum(x, M_FLOOR).sum() if f else old
             for x, old, f in zip(smoothed, model.m, fit)]
        change = max([abs(prior - model.prior)]
                     + [float(np.abs(a - b).max()) for a, b in zip(m, model.m)])
        model.m, model.prior = m, prior
        model.iterations += 1
        if change < tolerance:
            model.converged = True
            break
    return evidence


def estimate_prior(patterns: np.ndarray, counts: np.ndarray, model: Model, total_pairs: int,
                   max_iterations: int, tolerance: float, known: np.ndarray | None = None) -> Model:
    """The prior as the chance that two random records match (consistent with u from random
    pairs): EM over all record pairs, where pairs no blocking rule found count as
    non-matches, so prior = expected matches among the candidates / all pairs."""
    weights = counts.astype(np.float64)
    log_bf = _log_bf(patterns, model).sum(axis=1)
    prior = min(0.5, max(weights.sum() / 2 / total_pairs, 1e-12))
    for _ in range(max_iterations):
        p = _posterior(np.log(prior) - np.log1p(-prior) + log_bf, known)
        new = float(np.clip((p * weights).sum() / total_pairs, 1e-12, 0.5))
        model.iterations += 1
        done = abs(new - prior) <= tolerance * prior
        prior = new
        if done:
            break
    model.prior = prior
    return model


def estimate_by_sessions(raw_gamma: np.ndarray, gamma: np.ndarray, rule_bits: np.ndarray,
                         rules: list[tuple[str, set[str]]], total_pairs: int,
                         model: Model, max_iterations: int, tolerance: float,
                         min_evidence: float = 20.0, known: np.ndarray | None = None) -> list[str]:
    """m by EM without labels, one session per blocking rule (as Splink trains), then the prior.

    Session i runs on the pairs rule i finds, with the comparisons that read the rule's columns
    left out (equal by construction there) and the m already fitted held fixed; it fits the m of
    the comparisons no earlier session fitted.  So m for names, phones and addresses comes from
    pairs sharing an ID number, and m for the ID from pairs sharing name and birth date: people
    who share a household phone and address cannot pass for one person.  Comparisons no session
    could fit are fitted on all pairs; `estimate_prior` then sets the prior.
    Sessions read `raw_gamma` (before `implied_by`), the all-pairs runs `gamma` (as scored);
    `rules` gives each blocking rule's label and the records columns it reads; `known` holds
    reviewed pairs at their decision (see the module docstring).
    Returns the sessions that fitted something (rule label and comparisons)."""
    if not model.m:
        model.m = initial_m(model.comparisons)
    k = len(model.comparisons)
    fitted = np.zeros(k, dtype=bool)
    log = []
    for i, (label, read) in enumerate(rules):
        left_out = np.array([bool(set(c.columns) & read) for c in model.comparisons])
        todo = ~left_out & ~fitted
        in_rule = ((rule_bits >> i) & 1).astype(bool)
        if not todo.any() or in_rule.sum() < min_evidence:
            continue
        session = raw_gamma[in_rule].copy()
        session[:, left_out] = -1
        patterns, counts, decided = known_patterns(session, None if known is None else known[in_rule])
        model.prior = 0.5
        evidence = estimate_m(patterns, counts, model, max_iterations, tolerance, fit=todo,
                              known=decided)
        done = todo & (evidence >= min_evidence)
        fitted |= done
        if done.any():
            log.append(f"{label}: "
                       + ", ".join(c.name for c, d in zip(model.comparisons, done) if d))
    patterns, counts, decided = known_patterns(gamma, known)
    model.prior = 0.5
    if not fitted.all():
        estimate_m(patterns, counts, model, max_iterations, tolerance, fit=~fitted, known=decided)
        log.append("all pairs: " + ", ".join(c.name for c, f in zip(model.comparisons, fitted)
                                             if not f))
    estimate_prior(patterns, counts, model, total_pairs, max_iterations, tolerance, decided)
    return log


def m_from_labels(gamma: np.ndarray, is_match: np.ndarray,
                  comparisons: list[Comparison]) -> list[np.ndarray]:
    if not is_match.any():
        raise ValueError("the labelled pairs contain no match")
    return level_frequencies(gamma[is_match], comparisons)


def score(gamma: np.ndarray, tf: np.ndarray, model: Model
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bayes factors (n × k), match weight and match probability per pair (`tf`: the term
    frequencies, a column per `tf_positions`).  The factors are laid out column by column
    (Fortran order): each comparison's column is then one block that table `pairs` takes as it
    is, where a row-major array's columns would each be copied."""
    positions = tf_positions(model.comparisons)
    bf = np.ones(gamma.shape, dtype=np.float64, order="F")
    for k, (m, u) in enumerate(zip(model.m, model.u)):
        g = gamma[:, k]
        known = g >= 0
        bf[known, k] = (m / u)[g[known]]
        if k in positions:
            column = tf[:, positions.index(k)]
            tf_known = ~np.isnan(column)
            bf[tf_known, k] = m[g[tf_known]] / column[tf_known].astype(np.float64)
    if model.siblings is not None:
        _weigh_twins(bf, gamma, tf, model, positions)
    log_bf = share_group_evidence(np.log2(bf, out=bf), model.comparisons)  # in place
    weight = np.log2(model.prior / (1 - model.prior)) + log_bf.sum(axis=1)
    bf = np.exp2(log_bf, out=log_bf)
    probability = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    return bf, weight, probability


def _weigh_twins(bf: np.ndarray, gamma: np.ndarray, tf: np.ndarray, model: Model,
                 positions: list[int]) -> None:
    """In place: the name's Bayes factors of pairs in the twins' context (same day, same
    household) against the name's u among twins, where no term frequency weighs them."""
    siblings = model.siblings
    k = siblings.name
    rows = siblings.context(gamma) & (gamma[:, k] >= 0)
    if k in positions:
        rows &= np.isnan(tf[:, positions.index(k)])
    g = gamma[rows, k]
    bf[rows, k] = siblings.m[g] / siblings.u[g]


def weigh(gamma: np.ndarray, tf: np.ndarray, model: Model, batch: int = 1_000_000
          ) -> tuple[np.ndarray, np.ndarray]:
    """Match weight and match probability per pair, as `score` gives them, scored `batch`
    pairs at a time: the Bayes factors (8 bytes per pair and comparison) are never held for
    every pair."""
    weight = np.empty(len(gamma), dtype=np.float64)
    probability = np.empty(len(gamma), dtype=np.float64)
    for start in range(0, len(gamma), batch):
        part = slice(start, start + batch)
        _, weight[part], probability[part] = score(gamma[part], tf[part], model)
    return weight, probability
