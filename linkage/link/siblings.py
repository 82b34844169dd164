"""Twins: two records of one household, born the same day, whose names differ are two people.

Fellegi–Sunter weighs each comparison on its own.  How often two different people's names are
merely similar (张峰卫 / 张峰呈: Jaro-Winkler 0.82) is learnt on random pairs, where it is rare,
so beside the same birth date, phone and address such a name reads as a typo of one person and
the pair links.  Among different people who share a birth date and a household — twins, whom a
family register lists side by side — similar names are the rule: parents give twins one
generation character.  The comparisons are not independent there.

So the run measures the name's levels where it matters, on the pairs it knows to be two people:
candidate pairs with two different valid identifiers (`cannot_link`), the same birth date (as
far as both write it) and an agreeing household (phone, or address to the room).  Where there
are at least `MIN_PAIRS` of them, a pair in that context weighs its name's levels against those
shares (smoothed towards the random pairs' u by `PSEUDO_PAIRS`) instead of the random pairs'
u; frequency-weighted levels (the same name, the same pinyin) keep their term frequencies.
Where a run has no such pairs — no twins with identifiers, or no birth date or household — the
model is unchanged.  (A typo in one person's name inside a household is still weighed by its m:
if clerks mistype more often than families have twins, the data says so through m, the pairwise
model's m of the name, which the context keeps.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.link.comparisons import Comparison

MIN_PAIRS = 20        # fewer known twin pairs: not enough to learn from, the model stays
PSEUDO_PAIRS = 20.0   # pseudo-pairs pulling the context's shares towards the random pairs' u
NAME, BIRTH, HOUSEHOLD = "name", "birth_date", "household"
SAME_DAY_LEVELS = ("date_exact", "date_year_month")


@dataclass
class Siblings:
    """Where a pair is in the twins' context, and the name's u there."""
    name: int                      # comparison positions
    birth: int
    birth_gammas: tuple[int, ...]  # birth-date gammas meaning "the same day, as far as written"
    household: tuple[tuple[int, int], ...]  # (comparison, lowest gamma that counts as agreeing)
    u: np.ndarray                  # the name's level shares among twins
    m: np.ndarray                  # the name's m of the pairwise model
    pairs: int                     # known twin pairs they were learnt on

    def context(self, gamma: np.ndarray) -> np.ndarray:
        """Rows of `gamma` (pairs × comparisons) born the same day in an agreeing household."""
        same_day = np.isin(gamma[:, self.birth], self.birth_gammas)
        household = np.zeros(len(gamma), dtype=bool)
        for k, lowest in self.household:
            household |= gamma[:, k] >= lowest
        return same_day & household

    def summary(self, comparisons: list[Comparison], u: list[np.ndarray]) -> dict:
        """For metrics.json: the pairs learnt on and, per name level, u among twins beside the
        random pairs' u (`u`: the model's, per comparison)."""
        comp, random_u = comparisons[self.name], u[self.name]
        return {"twin_pairs": self.pairs, "name_u": {
            comp.label(g): {"twins": round(float(self.u[g]), 6), "random": float(random_u[g])}
            for g in range(len(self.u))}}


def twins_context(comparisons: list[Comparison]) -> Siblings | None:
    """Where twins are found among these comparisons (u and m still empty), or None where the
    run lacks a name, a birth date or a household comparison."""
    names = [c.name for c in comparisons]
    if NAME not in names or BIRTH not in names:
        return None
    birth = names.index(BIRTH)
    birth_gammas = tuple(comparisons[birth].gamma(i) for i, lv in
                         enumerate(comparisons[birth].levels) if lv.type in SAME_DAY_LEVELS)
    # the household's precise comparisons (phone, addresses: their two strongest levels); a
    # community shared by thousands is no household
    household = tuple((k, len(c.levels) - 1) for k, c in enumerate(comparisons)
                      if c.group == HOUSEHOLD and len(c.levels) >= 2)
    if not birth_gammas or not household:
        return None
    return Siblings(names.index(NAME), birth, birth_gammas, household, np.zeros(0), np.zeros(0),
                    0)


def fit_siblings(gamma: np.ndarray, cannot_link: np.ndarray, comparisons: list[Comparison],
                 u: list[np.ndarray], m: list[np.ndarray]) -> Siblings | None:
    """The twins' context of a run's compared pairs (`gamma`, `cannot_link`: two different
    valid identifiers) for a model of `u` and `m`, or None where the run lacks the comparisons
    or the pairs to learn it.  The name's m stays the pairwise model's there, also where the
    second pass learns a source's own m (`linkage.link.assign`): left out of a weighing whose
    other comparisons cannot tell twins apart, a source's twins would teach it that similar
    names are how its matches look."""
    found = twins_context(comparisons)
    if found is None:
        return None
    twins = cannot_link & found.context(gamma)
    levels = gamma[twins, found.name]
    levels = levels[levels >= 0]
    if len(levels) < MIN_PAIRS:
        return None
    random_u = u[found.name]
    counts = np.bincount(levels, minlength=len(random_u)).astype(np.float64)
    found.u = (counts + PSEUDO_PAIRS * random_u) / (len(levels) + PSEUDO_PAIRS)
    found.m = m[found.name]
    found.pairs = int(len(levels))
    return found


def stored_siblings(comparisons: list[Comparison], m_name: np.ndarray,
                    u_twins: np.ndarray | None) -> Siblings | None:
    """The twins' context of a finished run, from the name's m and its u among twins as table
    `model_params` keeps them (`u_twins`; None where the run learnt none)."""
    found = twins_context(comparisons)
    if found is None or u_twins is None:
        return None
    found.u, found.m = u_twins, m_name
    return found
