"""Sparse records decided by evidence: which known entity, if any, an unidentified cluster is.

The pairwise model asks of one pair "same or not?" with the prior of two random records.  For a
record that carries little more than a name, the better question is "which of the entities I
know is this, or is it someone I have not seen?", and its answer is sharper: with one known
entity named 欧阳修竹, a record of that name is almost surely that entity, unless its source
holds many people seen nowhere else.  After the first clustering, every cluster without a valid
identifier (a query) is weighed against the entities its candidate pairs reach:

    P(C is E) = t·ω_E·BF_E / (t·Σ_E' ω_E'·BF_E' + 1 − t)

- BF_E is the Bayes factor of C's best pair with E, the frequency of an agreed value counted
  over the entities a valid identifier resolved (a clean sample of people: elsewhere a person
  split in two counts their name twice) and smoothed by Good–Turing: a name seen on one entity
  is rarer than 1/N, most such names belong to nobody else;
- ω_E is the prior of that one entity: the share of the query's source whose twins form an
  entity of E's kind (the set of sources its records come from; learnt from records with a
  valid identifier), over the number of entities of that kind;
- t is the share of the query's source whose records have a twin at all, estimated by EM over
  that source's queries (with, as a prior, the share of the source's identified records that
  have a twin).

The pairwise model's m are learnt mostly on records an identifier links, so they say how often
an attribute disagrees between records of one person in the systems that carry identifiers; a
landlord's list whose addresses are mostly stale, or a hotline that hears names as homophones,
differs.  So each source's queries get their own m, learnt on the assignment itself: for each
comparison, the level shares of the queries' best pairs weighted by P computed without that
comparison (so an attribute's own disagreement cannot hide the matches it is learnt on),
smoothed towards the pairwise model's m with `SOURCE_M_PSEUDO` pseudo-pairs, alternating with
the twin rates for `SOURCE_M_ROUNDS` rounds.  Each is learnt only on pairs whose anchor agrees
(the birth date for the name, the name for the rest), and not at all in a model without birth
dates (enterprises: sister companies would teach it that a company's names differ).

A query joins its best entity when P reaches the threshold and becomes a possible match between
`possible_threshold` and it; records with different valid identifiers still never join.  The
probabilities err low: on the synth profiles the queries given 0.5–0.7 are right 78–81 % of
the time, 0.7–0.9 91–92 %, 0.9 or more 96–99.9 % (benchmarks/RESULTS.md).

One person's records that no identifier holds together are often several queries: a hotline
call, a landlord's list entry and a labour roster line with a blank ID, all named 宋瑶莲.  Each
of them then sees the others as rival entities and splits its probability among them (0.5 and
0.5), though between them they account for all of it.  So queries are also joined as groups
(`fragment_groups`): in a connected set of queries and targets whose pairs reach
`possible_threshold`, holding exactly one identified entity (two would be two different people)
and queries of different sources, every query whose probabilities over the set's other members sum to the threshold
joins them — queries that do not are taken out of the set and the sums recomputed until none
changes.

In a run against the entity store that reuses its model, a query whose candidate pairs are the
very pairs of last month — every one carried (two unchanged records), no pair added or gone —
keeps last month's decision (`Decisions`, kept with the pairs in the store): which target it
joined, with what probability, and which pairs were possible matches.  The twin rates and
per-source m are learnt afresh each month from every query, and would otherwise move a
borderline query that nothing about it changed across the threshold; a query with a new,
changed or removed record among its candidates is weighed afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkage.link.comparisons import Comparison, tf_positions
from linkage.link.model import Model, score

GOOD_TURING_UP_TO = 5   # counts up to this are smoothed (above, the count itself is reliable)
EM_ROUNDS = 100
MIN_QUERIES = 20        # fewer queries in a source: its twin rate is pooled with everyone's
KIND_SMOOTHING = 10.0   # pseudo-observations pulling a source's kind shares towards uniform
SOURCE_M_PSEUDO = 50.0  # pseudo-pairs pulling a source's m towards the pairwise model's
SOURCE_M_ROUNDS = 3     # alternations of per-source m and twin rates
# the comparison whose agreement makes a pair count for learning a source's m of another: the
# birth date for the name and the comparisons of its parts (an enterprise name's industry), the
# name for every other (`anchor_of`); and how strongly it must agree (log2 of the pairwise
# model's m / u of its level)
NAME, NAME_ANCHOR = "name", "birth_date"
ANCHOR_BITS = 5.0
MIN_RESOLVED_SHARE = 0.1  # fewer entities resolved by identifiers: learn from every entity
# log2(ω·BF) is capped here: 2^500 summed over any number of targets stays a finite float (at
# 2^1000 a few sum to inf, and inf / inf makes a probability NaN), and is certainty already
LOG_B_LIMIT = 500


# a frequency-weighted column whose values have parts, and the column holding the last part:
# a person's name is its surname and given name
NAME_PARTS = {"name": "given_name"}


def kind_of(codes: pl.Expr) -> pl.Expr:
    """In an aggregation, the kind of an entity from the codes of its sources (`Weigher`'s
    `source_codes`): the sorted distinct codes, joined ("0+3+5")."""
    return codes.unique().sort().cast(pl.Utf8).str.join("+").alias("kind")


def _split_name(column: str) -> list[pl.Expr]:
    """Expressions for the surname and given name of `column` (the name, its given name in
    `NAME_PARTS[column]`): the surname is what precedes the given name."""
    given = pl.col(NAME_PARTS[column])
    whole = pl.col(column)
    ends = whole.str.ends_with(given) & (given.str.len_chars() < whole.str.len_chars())
    return [pl.when(ends).then(whole.str.slice(0, whole.str.len_chars() - given.str.len_chars()))
            .alias("surname"), pl.when(ends).then(given).alias("given")]


# the decision columns of `Decisions.pairs` and `Assignment.decisions`: per candidate pair and
# side of the query (the left or the right record's entity), the probability of the query being
# the other record's entity (NaN: a candidate, not the best pair of that query and target) and
# the probability it joined with (null: not joined)
DECISION_COLUMNS = ("assign_l", "assign_r", "joined_l", "joined_r")


@dataclass
class Decisions:
    """The second pass's decisions of the store's last run, for the queries that keep them
    (module docstring): `pairs` — the carried pairs (record_id_l, record_id_r: this run's ids)
    that were a query's candidates, with `DECISION_COLUMNS`; `lost` — this run's records that
    were a query's record in a candidate pair whose other record changed or is gone."""
    pairs: pl.DataFrame
    lost: np.ndarray


@dataclass
class Assignment:
    """Queries joined to an entity: the best pair (left, right record ids) and its probability;
    and the pairs whose probability fell between possible_threshold and threshold."""
    left: np.ndarray
    right: np.ndarray
    probability: np.ndarray
    possible: pl.DataFrame          # record_id_l, record_id_r, probability
    twin_rate: dict[str, float]     # per source: share of its unidentified records with a twin
    queries: np.ndarray             # the first-pass entities weighed (unidentified clusters)
    joined: int                     # queries joined (alone or with a group)
    decisions: pl.DataFrame | None = None  # record_id_l, record_id_r, DECISION_COLUMNS
    held: int = 0                   # queries that kept last run's decision
    held_changed: pl.DataFrame | None = None  # `hold_decisions`' differences from a fresh weighing


def good_turing(counts: np.ndarray) -> dict[int, float]:
    """The Good–Turing count r* = (r + 1)·n(r+1)/n(r) of values seen r times, for small r where
    it is smaller than r (n(k): how many values are seen k times).  Where no value is seen
    twice (registered company names: unique by law), n(2) is taken as 1, so a value seen once
    is still rarer than 1/N rather than left without an estimate."""
    values, n = np.unique(counts, return_counts=True)
    n_of = dict(zip(values.tolist(), n.tolist()))
    if n_of.get(1) and not n_of.get(2):
        n_of[2] = 1
    out = {}
    for r in range(1, GOOD_TURING_UP_TO + 1):
        if n_of.get(r) and n_of.get(r + 1):
            adjusted = (r + 1) * n_of[r + 1] / n_of[r]
            if adjusted < r:
                out[r] = adjusted
    return out


def distinct(sources: np.ndarray) -> list[str]:
    """The distinct source names of a per-record array, sorted (`np.unique` sorts the whole
    object array: seconds at millions of records, where a set of them takes milliseconds)."""
    return sorted(set(sources.tolist()))


def twin_rates(sources: np.ndarray, evidence: np.ndarray,
               silver: dict[str, float] | None = None) -> dict[str, float]:
    """Per source, the share of its queries that have a twin: EM on the mixture "one of the
    entities (weights ω·BF) or nobody seen elsewhere" (`evidence` = Σ ω·BF per query).  Where
    `silver` gives the share of the source's records with a valid identifier that have a
    twin, it is a prior worth as many observations as the source has queries: EM alone reads
    weak evidence (a stale address, a typo in the name) as "nobody", and a record is not less
    likely to have a twin because its identifier is missing."""
    silver = silver or {}

    def fit(s: np.ndarray, prior: float | None) -> float:
        if prior is not None:  # a prior of 0 or 1 (every silver record twinned) is no start
            prior = min(max(prior, 1e-6), 1 - 1e-6)
        t = 0.5 if prior is None else prior
        for _ in range(EM_ROUNDS):
            posterior = float(np.sum(t * s / (t * s + 1 - t)))
            new = posterior / len(s) if prior is None else (posterior + len(s) * prior) / (2 * len(s))
            new = min(max(new, 1e-6), 1 - 1e-6)
            if abs(new - t) < 1e-7:
                break
            t = new
        return t

    pooled = fit(evidence, None) if len(evidence) else 0.5
    return {source: fit(evidence[sources == source], silver.get(source))
            if (sources == source).sum() >= MIN_QUERIES else pooled
            for source in distinct(sources)}


class Weigher:
    """What weighing a query against entities needs, learnt once from the first clustering:
    entity counts of frequency-weighted values, entity kinds and each source's kind shares,
    and (after `assign`) each source's twin rate and m."""

    def __init__(self, comparisons: list[Comparison], model: Model, features: pl.DataFrame,
                 rep: np.ndarray, identified: np.ndarray, sources: np.ndarray):
        """`rep`, `identified` and `sources` per row of `features` (record_id order)."""
        self.comparisons, self.model = comparisons, model
        # sources as small integer codes: kinds are built and joined on them (a run's entities
        # times their sources is millions of rows, too many to join on text)
        self.source_codes = {s: i for i, s in enumerate(distinct(sources))}
        self.rep = pl.DataFrame({"record_id": features["record_id"], "rep": rep,
                                 "source": sources}).with_columns(
            pl.col("source").replace_strict(self.source_codes, return_dtype=pl.Int32)
            .alias("code"))
        self.entities = int(np.unique(rep).size)
        # what the weigher learns from: the entities a valid identifier resolved, a clean
        # sample of people (elsewhere a person split in two would count their name twice)
        entities = pl.DataFrame({"rep": rep, "identified": identified}).group_by("rep").agg(
            pl.col("identified").any())
        clean = entities.filter("identified")["rep"]
        if clean.len() < MIN_RESOLVED_SHARE * entities.height:
            # identifiers resolved too few entities to learn from (systems without ID
            # numbers): every first-pass entity stands in for a resolved one — in the value
            # counts (a person split in two counts twice, so values look commoner and the
            # weighing errs towards caution) and in what each source's twins look like and
            # how often it has any (the pairwise model's links instead of the identifiers'),
            # without which the twin rates' EM reads weak evidence as "nobody" and finds none
            clean = entities["rep"]
            identified = np.ones(len(rep), dtype=bool)
        # kinds first: their frames come and go before the value frame below is built
        self.kinds, self.kind_shares = self._kinds(rep, sources, identified)
        columns = list(dict.fromkeys(lv.columns[0] for c in comparisons for lv in c.levels
                                     if lv.tf))
        self.sample = max(clean.len(), 1)
        parted = [c for c in columns if NAME_PARTS.get(c) in features.columns]
        frame = features.select(*columns, *(NAME_PARTS[c] for c in parted)) \
            .with_columns(pl.Series("rep", rep)).filter(pl.col("rep").is_in(clean.implode()))
        self.shares_of: dict[str, pl.DataFrame] = {}
        self.unseen: dict[str, float] = {}
        self.parts_of: dict[str, tuple[pl.DataFrame, pl.DataFrame]] = {}
        for column in columns:
            per_value = frame.select("rep", column).drop_nulls().unique().group_by(column) \
                .len("entities")
            smoothed = good_turing(per_value["entities"].to_numpy())
            adjusted = per_value["entities"].replace_strict(
                smoothed, default=per_value["entities"], return_dtype=pl.Float64)
            self.shares_of[column] = per_value.select(column, "entities").with_columns(
                (adjusted / self.sample).alias("share"))
            # a value no resolved entity carries: at most as common as one seen once
            self.unseen[column] = smoothed.get(1, 1.0) / self.sample
        for column in parted:
            parts = frame.select("rep", *_split_name(column)).drop_nulls()
            self.parts_of[column] = tuple(
                parts.select("rep", part).unique().group_by(part).len("entities").select(
                    part, (pl.col("entities") / self.sample).alias("share"))
                for part in ("surname", "given"))
        self.rates: dict[str, float] = {}
        self.m_of: dict[str, list[np.ndarray]] = {}  # per query source (`fit_source_m`)

    def _kinds(self, rep, sources, identified) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Each entity's kind ("a+b": the sources of its records) with how many entities share
        it; and per source and kind, the share of the source's records with a valid identifier
        whose twins form an entity of that kind (smoothed towards the kinds' shares of all
        entities, which is all a source without valid identifiers has)."""
        rec = self.rep.select("rep", pl.col("code").alias("source"),
                              pl.Series("identified", identified))
        per_source = rec.group_by("rep", "source").agg(pl.len().alias("n"),
                                                       pl.col("identified").sum().alias("silver"))
        kinds = per_source.group_by("rep").agg(kind_of(pl.col("source")))
        kinds = kinds.join(kinds.group_by("kind").len("entities"), on="kind")
        # the kind of a record's twins: its entity's kind, its own source left out unless
        # another record of that source is there too (no twins: no kind); the kind less one
        # source is worked out once per distinct (kind, source), not per entity
        held = per_source.filter(pl.col("silver") > 0).join(kinds.select("rep", "kind"), on="rep")
        lone = held.filter(pl.col("n") == 1).select("kind", "source").unique()
        lone = lone.with_columns(pl.Series("without", [
            "+".join(p for p in kind.split("+") if p != str(code))
            for kind, code in lone.iter_rows()], dtype=pl.Utf8))
        twins = held.join(lone, on=["kind", "source"], how="left").select(
            pl.col("source").alias("code"), "silver",
            pl.when(pl.col("n") > 1).then(pl.col("kind")).otherwise(pl.col("without"))
            .alias("kind")).filter(pl.col("kind") != "")
        names = pl.DataFrame({"source": list(self.source_codes),
                              "code": list(self.source_codes.values())},
                             schema={"source": pl.Utf8, "code": pl.Int32})
        twins = twins.join(names, on="code").drop("code")
        counts = twins.group_by("source", "kind").agg(
            pl.col("silver").sum().alias("n"))
        silver = per_source.rename({"source": "code"}).join(names, on="code") \
            .group_by("source").agg(pl.col("silver").sum())
        twinned = counts.group_by("source").agg(pl.col("n").sum())
        shares = silver.join(twinned, on="source", how="left").filter(pl.col("silver") >= MIN_QUERIES)
        self.silver_twins = dict(shares.select(
            "source", pl.col("n").fill_null(0) / pl.col("silver")).iter_rows())
        # without records of its own to learn from, a source's twins are any entity alike:
        # each kind in proportion to how many entities are of that kind
        entities = kinds.group_by("kind").agg(pl.col("entities").first())
        uniform = entities.with_columns((pl.col("entities") / pl.col("entities").sum())
                                        .alias("uniform")).select("kind", "uniform")
        per_source_n = counts.group_by("source").agg(pl.col("n").sum().alias("total"))
        grid = pl.DataFrame({"source": distinct(sources)}, schema={"source": pl.Utf8}) \
            .join(uniform, how="cross")
        shares = grid.join(counts, on=["source", "kind"], how="left").join(
            per_source_n, on="source", how="left").with_columns(
            ((pl.col("n").fill_null(0) + KIND_SMOOTHING * pl.col("uniform"))
             / (pl.col("total").fill_null(0) + KIND_SMOOTHING)).alias("share"))
        return kinds, shares.select("source", "kind", "share")

    def entity_shares(self, compared, rows: np.ndarray, values: pl.DataFrame) -> np.ndarray:
        """The compared pairs `rows`' term frequencies (rows × `tf_positions`) with each
        frequency-weighted agreement's value counted over entities (`value_shares`) instead of
        records; `values` holds record_id and the columns' values of the pairs' left records."""
        tf = compared.tf[rows].copy()
        ids = values["record_id"].to_numpy()
        left = np.searchsorted(ids, compared.left[rows])
        for j, k in enumerate(tf_positions(self.comparisons)):
            comp = self.comparisons[k]
            weighted = ~np.isnan(tf[:, j])
            gamma = compared.gamma[rows, k]
            for i, level in enumerate(comp.levels):
                hit = weighted & (gamma == comp.gamma(i))
                if not level.tf or not hit.any():
                    continue
                column = level.columns[0]
                tf[hit, j] = self.value_shares(column, values, left[hit])
        return tf

    def log_bayes_factors(self, compared, rows: np.ndarray, tf: np.ndarray,
                          sources: np.ndarray | None = None) -> np.ndarray:
        """log2 Bayes factors (rows × comparisons, groups applied) of the compared pairs `rows`
        with their `entity_shares` `tf`; `sources` (per row, the query's source) picks that
        source's m where `fit_source_m` learnt one.  Their sum over comparisons is the pair's
        log2 Bayes factor."""
        gamma = compared.gamma[rows]
        bf = np.ones(gamma.shape, dtype=np.float64)
        general = np.ones(len(gamma), dtype=bool)  # rows scored with the pairwise model's m
        for source, m in (self.m_of.items() if sources is not None else ()):
            mine = sources == source
            if mine.any():
                own = Model(self.comparisons, self.model.u, m, self.model.prior,
                            siblings=self.model.siblings)
                bf[mine] = score(gamma[mine], tf[mine], own)[0]
                general &= ~mine
        if general.any():
            bf[general] = score(gamma[general], tf[general], self.model)[0]
        # a level the model never saw in matches (m = 0) is strong evidence, not −inf: a sum
        # less one comparison must stay a number
        return np.log2(np.clip(bf, 2.0 ** -LOG_B_LIMIT, 2.0 ** LOG_B_LIMIT))

    def value_shares(self, column: str, values: pl.DataFrame, rows: np.ndarray) -> np.ndarray:
        """The share of entities carrying the value of `column` in rows `rows` of `values`.  A
        value seen on few resolved entities (or none) is rare by its count, but how rare is
        better told by its parts where it has them: a name seen once whose surname and given
        name are both common (李璐) is carried by more people than the sample shows, one of
        rare parts (宋瑶莲) by fewer, so such a value takes the larger of the two estimates —
        the product of its parts' shares, each counted over the resolved entities."""
        cols = [column, NAME_PARTS[column]] if column in self.parts_of else [column]
        agreed = values.select(cols)[rows]
        share = agreed.join(self.shares_of[column], on=column, how="left")
        if column in self.parts_of:
            surnames, givens = self.parts_of[column]
            floor = 1.0 / self.sample
            share = share.with_columns(*_split_name(column)) \
                .join(surnames.rename({"share": "surname_share"}), on="surname", how="left") \
                .join(givens.rename({"share": "given_share"}), on="given", how="left") \
                .with_columns(pl.when(pl.col("given").is_null()).then(None).otherwise(
                    pl.col("surname_share").fill_null(floor)
                    * pl.col("given_share").fill_null(floor)).alias("by_parts"))
            few = pl.col("entities").fill_null(0) <= GOOD_TURING_UP_TO
            share = share.with_columns(pl.when(few).then(pl.max_horizontal(
                pl.col("share").fill_null(self.unseen[column]), pl.col("by_parts")))
                .otherwise(pl.col("share")).alias("share"))
        return share["share"].fill_null(self.unseen[column]).to_numpy().astype(np.float32)

    def fit_source_m(self, candidates: pl.DataFrame, queries: pl.DataFrame, log_bf: np.ndarray,
                     gamma: np.ndarray) -> None:
        """Each source's m, comparison by comparison, from its queries' best pairs weighed
        without that comparison (`candidates` as for `weigh` plus `row`, the pair's row in the
        compared `gamma`; `log_bf` their per-comparison log Bayes factors; `queries`: every
        query with its source): the level shares weighted by the probability that the query is
        that target, smoothed towards the pairwise model's m.  Leaving the comparison out (in
        the twin rates too) keeps an attribute's own disagreement from hiding the matches it
        should be learnt on.

        What is left without the comparison can be a household: a child's record against a
        parent's shares phone, address and surname, and would teach the source that its
        matches' birth dates, or names, differ.  So a comparison is learnt only on pairs whose
        anchor (`anchor_of`: the name; for the name, the birth date) agrees as one person's
        does — its level weighs at least `ANCHOR_BITS` in the pairwise model — or is not
        there to compare (a hotline's name is still learnt on its phone numbers).

        Without a birth date there is no such anchor: an enterprise's legal representative,
        phone and often its building are the same for every company one person runs, and its
        name (its 字号 alike across such sister companies) does not tell them apart either.
        Learnt there, every comparison's m took sister companies for one company (543k records
        of exports made another way: m of a different name 0.007 → 0.41, of a different legal
        representative 0.0006 → 0.45; enterprise precision 0.989, 1.000 without), so a model
        without the birth date keeps the pairwise model's m for every source."""
        names = [c.name for c in self.comparisons]
        fitted: dict[str, list[np.ndarray]] = {}
        if NAME_ANCHOR not in names:
            self.m_of = fitted
            return
        total = log_bf.sum(axis=1)
        bits = [np.log2(np.maximum(m, 1e-300) / u) for m, u in zip(self.model.m, self.model.u)]
        for k, m in enumerate(self.model.m):
            anchor = anchor_of(self.comparisons[k], names)
            if not (gamma[candidates["row"].to_numpy(), k] >= 0).any():
                continue
            weighed = self.weigh(candidates.with_columns(pl.Series("log_bf", total - log_bf[:, k])))
            scored = self.probabilities(weighed, self.twin_rates_of(weighed, queries))
            for (source,), part in scored.group_by("source", maintain_order=True):
                rows = part["row"].to_numpy()
                levels = gamma[rows, k]
                weights = part["probability"].to_numpy()
                if anchor != names[k]:
                    a = names.index(anchor)
                    level = gamma[rows, a]
                    weights = np.where((level < 0) | (bits[a][np.maximum(level, 0)]
                                                      >= ANCHOR_BITS), weights, 0.0)
                weights = weights[levels >= 0]
                counts = np.bincount(levels[levels >= 0], weights=weights, minlength=len(m))
                mixed = np.maximum(counts + SOURCE_M_PSEUDO * m, 1e-6)
                fitted.setdefault(source, [mm.copy() for mm in self.model.m])[k] = \
                    mixed / mixed.sum()
        self.m_of = fitted

    def weigh(self, candidates: pl.DataFrame, kinds: pl.DataFrame | None = None) -> pl.DataFrame:
        """`candidates` (query, source, target, left, right, log_bf: one row per pair between a
        query and a target entity) → per query and target the best pair with log_b =
        log2(ω·BF) and the query's evidence Σ ω·BF.  `kinds` (query, target, kind) overrides
        the kind of some targets as their query sees them."""
        # ties broken by the pair, and rows kept in (query, target) order: the same run gives
        # the same figures whatever order the engine and the joins return rows in
        best = candidates.sort(["log_bf", "left", "right"], descending=[True, False, False]) \
            .group_by(["query", "target"], maintain_order=True).first()
        floor = 1.0 / (self.entities * max(self.kinds["kind"].n_unique(), 1))
        best = best.join(self.kinds.select(pl.col("rep").alias("target"), "kind"), on="target")
        if kinds is not None:
            best = best.join(kinds.rename({"kind": "seen"}), on=["query", "target"], how="left") \
                .with_columns(pl.coalesce("seen", "kind").alias("kind")).drop("seen")
        per_kind = self.kinds.group_by("kind").agg(pl.col("entities").first())
        best = best.join(per_kind, on="kind", how="left").with_columns(
            pl.col("entities").fill_null(1)).join(
            self.kind_shares, on=["source", "kind"], how="left").with_columns(
            (pl.col("log_bf") + (pl.col("share").fill_null(0.0).clip(floor, None)
                                 / pl.col("entities")).log(2)).alias("log_b")) \
            .sort("query", "target")
        evidence = best.group_by("query", maintain_order=True).agg(
            (2.0 ** pl.col("log_b").clip(-LOG_B_LIMIT, LOG_B_LIMIT)).sum().alias("evidence"))
        return best.join(evidence, on="query", maintain_order="left")

    def twin_rates_of(self, weighed: pl.DataFrame, queries: pl.DataFrame) -> dict[str, float]:
        """Per source, the share of its queries with a twin (EM, `twin_rates`) given `weigh`'s
        rows; `queries` lists every query with its source (one without candidates has no
        evidence)."""
        evidence = queries.join(weighed.group_by("query").agg(pl.col("evidence").first()),
                                on="query", how="left").with_columns(
            pl.col("evidence").fill_null(0.0)).sort("query")
        return twin_rates(evidence["source"].to_numpy(), evidence["evidence"].to_numpy(),
                          self.silver_twins)

    def probabilities(self, weighed: pl.DataFrame,
                      rates: dict[str, float] | None = None) -> pl.DataFrame:
        """`weigh`'s rows with the probability that the query is the target (twin rates
        `rates`, else the fitted ones)."""
        t = pl.col("source").replace_strict(self.rates if rates is None else rates, default=0.5,
                                            return_dtype=pl.Float64)
        return weighed.with_columns(
            (t * 2.0 ** pl.col("log_b").clip(-LOG_B_LIMIT, LOG_B_LIMIT)
             / (t * pl.col("evidence") + 1 - t)).alias("probability"))


def anchor_of(comparison: Comparison, names: list[str]) -> str:
    """The comparison that must agree on a pair for `Weigher.fit_source_m` to learn a source's
    m of `comparison` from it: the birth date for a comparison of the name or a part of it
    (its columns are the name's or derived from it) and for every comparison of a model
    without a name comparison (`names`), the name for any other."""
    on_name = comparison.name == NAME or any(
        c == NAME or c.startswith(f"{NAME}_") for c in comparison.columns)
    return NAME_ANCHOR if on_name or NAME not in names else NAME


def query_pairs(compared, rows: np.ndarray, left_rep: np.ndarray, right_rep: np.ndarray,
                queries: set, source_of: dict) -> pl.DataFrame:
    """The pairs `rows` in both directions, kept where the query side is one of `queries`
    (with the query's source, the pair's row in `compared` and the query's side: "l" where
    the query holds the pair's left record)."""
    pairs = pl.DataFrame({"left": compared.left[rows], "right": compared.right[rows],
                          "rep_l": left_rep, "rep_r": right_rep, "row": rows})
    both = pl.concat([
        pairs.select(pl.col("rep_l").alias("query"), pl.col("rep_r").alias("target"),
                     "left", "right", "row", pl.lit("l").alias("side")),
        pairs.select(pl.col("rep_r").alias("query"), pl.col("rep_l").alias("target"),
                     "left", "right", "row", pl.lit("r").alias("side"))])
    both = both.filter(pl.col("query").is_in(list(queries)))
    return both.with_columns(pl.col("query").replace_strict(source_of, return_dtype=pl.Utf8)
                             .alias("source"))


def assign(compared, linked: np.ndarray, weigher: Weigher, features: pl.DataFrame,
           record_ids: np.ndarray, rep: np.ndarray, identified: np.ndarray, sources: np.ndarray,
           threshold: float, possible_threshold: float,
           last: Decisions | None = None) -> Assignment:
    """Weigh every unidentified first-pass cluster against the entities its candidate pairs
    reach (see the module docstring).  `record_ids` ascending, with `rep` (first-pass entity),
    `identified` (a valid identifier) and `sources` per record, in the feature frame's order;
    fits the weigher's twin rates and per-source m.  With `last` (the store's run, its model
    reused), the queries whose candidate pairs did not change keep its decisions."""
    empty = Assignment(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0),
                       pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64,
                                            "probability": pl.Float64}), {}, np.zeros(0, np.int64),
                       0)
    rep_l = rep[np.searchsorted(record_ids, compared.left)]
    rep_r = rep[np.searchsorted(record_ids, compared.right)]
    per_entity = pl.DataFrame({"rep": rep, "identified": identified, "source": sources}) \
        .group_by("rep").agg(pl.col("identified").any(), pl.col("source").min())
    unidentified = per_entity.filter(~pl.col("identified"))
    queries = set(unidentified["rep"].to_list())
    rows = np.flatnonzero(~linked & ~compared.cannot_link & (rep_l != rep_r))
    if not queries or not rows.size:
        return empty
    source_of = dict(per_entity.select("rep", "source").iter_rows())
    candidates = query_pairs(compared, rows, rep_l[rows], rep_r[rows], queries, source_of)
    if not candidates.height:
        return empty
    rows_of, sources_of = candidates["row"].to_numpy(), candidates["source"].to_numpy()
    every = unidentified.select(pl.col("rep").alias("query"), "source")
    tf = weigher.entity_shares(compared, rows_of, features)   # the same every round
    for round_ in range(SOURCE_M_ROUNDS + 1):
        log_bf = weigher.log_bayes_factors(compared, rows_of, tf, sources_of)
        if round_ < SOURCE_M_ROUNDS:
            weigher.fit_source_m(candidates, every, log_bf, compared.gamma)
    weighed = weigher.weigh(candidates.with_columns(pl.Series("log_bf", log_bf.sum(axis=1))))
    weigher.rates = weigher.twin_rates_of(weighed, every)
    scored = weigher.probabilities(weighed)
    join = decide(scored, queries, threshold, possible_threshold)
    held, held_changed = np.zeros(0, np.int64), None
    if last is not None:
        marked = marked_candidates(candidates, last)
        held = held_queries(marked, last, record_ids, rep)
        if held.size:
            scored, join, held_changed = hold_decisions(marked, scored, join, held, queries,
                                                        threshold, possible_threshold)
    maybe = scored.filter((pl.col("probability") >= possible_threshold)
                          & (pl.col("probability") < threshold))
    possible = maybe.select(pl.col("left").alias("record_id_l"),
                            pl.col("right").alias("record_id_r"),
                            "probability").unique(["record_id_l", "record_id_r"], keep="first")
    return Assignment(join["left"].to_numpy(), join["right"].to_numpy(),
                      join["probability"].to_numpy(), possible, dict(weigher.rates),
                      np.array(sorted(queries), dtype=np.int64), join["query"].n_unique(),
                      decisions_of(candidates, scored, join), int(held.size), held_changed)


def decide(scored: pl.DataFrame, queries: set, threshold: float,
           possible_threshold: float) -> pl.DataFrame:
    """The joins (query, left, right, probability) of `scored` (query, source, target, left,
    right, probability per query and target): each query's best target at `threshold` or
    above, and the groups of `fragment_groups`."""
    top = scored.sort(["probability", "target"], descending=[True, False]) \
        .group_by("query", maintain_order=True) \
        .first()
    return pl.concat([top.filter(pl.col("probability") >= threshold)
                      .select("query", "left", "right", "probability"),
                      fragment_groups(scored, queries, possible_threshold, threshold)]) \
        .unique(["left", "right"], keep="first", maintain_order=True)


def marked_candidates(candidates: pl.DataFrame, last: Decisions) -> pl.DataFrame:
    """`candidates` with last run's decision columns of the query's side (`assign`, `joined`;
    null where the pair was not that side's candidate or not carried)."""
    stored = last.pairs.rename({"record_id_l": "left", "record_id_r": "right"})
    out = candidates.join(stored, on=["left", "right"], how="left", maintain_order="left")
    left = pl.col("side") == "l"
    return out.with_columns(pl.when(left).then("assign_l").otherwise("assign_r").alias("assign"),
                            pl.when(left).then("joined_l").otherwise("joined_r").alias("joined")) \
        .drop(*DECISION_COLUMNS)


def held_queries(marked: pl.DataFrame, last: Decisions, record_ids: np.ndarray,
                 rep: np.ndarray) -> np.ndarray:
    """The queries whose candidate pairs (`marked_candidates`) are exactly last run's
    candidates of their records: every one carried and a candidate of the same side then, as
    many as there were (none gone or no longer a candidate), and none of their records in
    `last.lost`."""
    now = marked.group_by("query").agg(pl.len().alias("now"),
                                       pl.col("assign").is_not_null().sum().alias("marked"))
    stored = last.pairs
    sides = [stored.filter(pl.col(f"assign_{side}").is_not_null())[f"record_id_{side}"].to_numpy()
             for side in ("l", "r")]
    ends = np.concatenate(sides)
    before = pl.DataFrame({"query": rep[np.searchsorted(record_ids, ends)]},
                          schema={"query": pl.Int64}).group_by("query").len("before")
    lost = np.unique(rep[np.searchsorted(record_ids, last.lost)]) if last.lost.size else \
        np.zeros(0, np.int64)
    held = now.join(before, on="query", how="left").filter(
        (pl.col("now") == pl.col("marked")) & (pl.col("now") == pl.col("before"))
        & ~pl.col("query").is_in(pl.Series(lost, dtype=pl.Int64).implode()))
    return np.sort(held["query"].to_numpy())


def hold_decisions(marked: pl.DataFrame, scored: pl.DataFrame, join: pl.DataFrame,
                   held: np.ndarray, queries: set, threshold: float,
                   possible_threshold: float) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`scored` and the joins with the `held` queries' rows and joins as last run decided
    them (their best pairs' stored probabilities, the pairs they joined by), the other
    queries' groups decided again beside them; and where weighing afresh (`join`, the fresh
    joins) would have joined a held query otherwise: per query and pair joined one way only,
    record_id_l, record_id_r, kept_probability (null: not joined as held) and
    fresh_probability (null: a fresh weighing would not join by it)."""
    is_held = pl.col("query").is_in(pl.Series(held, dtype=pl.Int64).implode())
    marked = marked.filter(is_held)
    kept = marked.filter(pl.col("assign").is_not_nan()).sort("assign", descending=True) \
        .unique(["query", "target"], keep="first").select(
            *scored.select("query", "source", "target", "left", "right").columns,
            pl.col("assign").cast(pl.Float64).alias("probability"))
    scored = pl.concat([scored.filter(~is_held).select(kept.columns), kept]) \
        .sort("query", "target", "left", "right")
    joined = marked.filter(pl.col("joined").is_not_null()).select(
        "query", "left", "right", pl.col("joined").cast(pl.Float64).alias("probability"))
    again = decide(scored, queries, threshold, possible_threshold).filter(~is_held)
    out = pl.concat([again, joined]).unique(["left", "right"], keep="first", maintain_order=True)

    on = ["query", "left", "right"]
    differ = joined.select(*on, pl.col("probability").alias("kept_probability")).join(
        join.filter(is_held).select(*on, pl.col("probability").alias("fresh_probability")),
        on=on, how="full", coalesce=True).filter(
        pl.col("kept_probability").is_null() | pl.col("fresh_probability").is_null())
    return scored, out, differ.sort(on).select(
        "query", pl.col("left").alias("record_id_l"), pl.col("right").alias("record_id_r"),
        "kept_probability", "fresh_probability")


def decisions_of(candidates: pl.DataFrame, scored: pl.DataFrame,
                 join: pl.DataFrame) -> pl.DataFrame:
    """Per candidate pair, this run's decision columns (`DECISION_COLUMNS`) for the store."""
    rows = candidates.select("query", "target", "left", "right", "side") \
        .join(scored.select("query", "target", "left", "right", "probability"),
              on=["query", "target", "left", "right"], how="left") \
        .join(join.select("query", "left", "right", pl.col("probability").alias("joined")),
              on=["query", "left", "right"], how="left") \
        .with_columns(pl.col("probability").fill_null(float("nan")).cast(pl.Float32).alias("assign"),
                      pl.col("joined").cast(pl.Float32))
    sides = [rows.filter(pl.col("side") == side).select(
        pl.col("left").alias("record_id_l"), pl.col("right").alias("record_id_r"),
        pl.col("assign").alias(f"assign_{side}"), pl.col("joined").alias(f"joined_{side}"))
        .unique(["record_id_l", "record_id_r"], keep="first") for side in ("l", "r")]
    return sides[0].join(sides[1], on=["record_id_l", "record_id_r"], how="full",
                         coalesce=True).select("record_id_l", "record_id_r", *DECISION_COLUMNS)


def fragment_groups(scored: pl.DataFrame, queries: set, possible_threshold: float,
                    threshold: float) -> pl.DataFrame:
    """Queries joined as a group (module docstring): from `scored` (query, its source,
    target, left, right, probability per query and target), the pairs (query, left, right, probability =
    the query's sum over the group) that join each group's confident queries to its other
    members."""
    edges = scored.filter(pl.col("probability") >= possible_threshold).select(
        "query", "source", "target", "left", "right", "probability")
    empty = edges.select("query", "left", "right", "probability").clear()
    if not edges.height:
        return empty
    nodes, inverse = np.unique(np.concatenate([edges["query"].to_numpy(),
                                               edges["target"].to_numpy()]),
                               return_inverse=True)
    k = edges.height
    graph = coo_matrix((np.ones(k, dtype=np.int8), (inverse[:k], inverse[k:])),
                       shape=(len(nodes), len(nodes)))
    component = connected_components(graph, directed=False)[1]
    identified = ~np.isin(nodes, np.fromiter(queries, dtype=np.int64, count=len(queries)))
    # one identified entity to anchor the group, and queries of different sources: two
    # name-only entries of one list that nothing else ties are as often two people who share
    # a name no identified record carries, which the name's frequency cannot show
    size = component.max() + 1
    anchors = np.bincount(component, weights=identified, minlength=size)
    source_of = dict(edges.select("query", "source").unique("query").iter_rows())
    query_sources = pl.DataFrame({"component": component[~identified],
                                  "source": [source_of.get(n) for n in nodes[~identified]]})
    repeated = query_sources.group_by("component").agg(
        (pl.col("source").n_unique() < pl.len()).alias("repeated")).filter("repeated")
    keep = (anchors[component] == 1) & ~np.isin(component, repeated["component"].to_numpy())
    # members still in: identified nodes of kept components, and queries until pruned
    member = pl.DataFrame({"node": nodes, "in": keep})
    edges = edges.filter(pl.col("query").is_in(member.filter("in")["node"].implode()))
    while edges.height:
        inside = member.filter("in")["node"].implode()
        mass = edges.filter(pl.col("target").is_in(inside)).group_by("query").agg(
            pl.col("probability").sum().alias("mass"))
        confident = mass.filter(pl.col("mass") >= threshold)["query"]
        dropped = edges.filter(~pl.col("query").is_in(confident.implode()))["query"].unique()
        if not dropped.len():
            break
        member = member.with_columns(pl.when(pl.col("node").is_in(dropped.implode()))
                                     .then(False).otherwise(pl.col("in")).alias("in"))
        edges = edges.filter(~pl.col("query").is_in(dropped.implode()))
    if not edges.height:
        return empty
    inside = member.filter("in")["node"].implode()
    edges = edges.filter(pl.col("target").is_in(inside))
    mass = edges.group_by("query").agg(pl.col("probability").sum().clip(None, 1.0).alias("mass"))
    return edges.join(mass, on="query").sort("query", "target").select(
        "query", "left", "right", pl.col("mass").alias("probability"))
