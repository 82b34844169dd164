"""Link one entity type: features, blocking, comparison, estimation, scoring, rules, clusters.

`link_entity` is the whole stage for one entity type; it returns its tables as Arrow/polars
frames and leaves writing them to `linkage.link.run_linkage`.  Domain rules on top of the
model: two records with valid identifiers more than one character apart (18-digit ID numbers,
credit codes, organisation codes) never link (`rule = 'cannot_link'`, probability 0, and never
in one cluster; one character apart may be a typo the check digit let through,
`linkage.link.features.pair_frame`); equal valid identifiers
with a compatible name (any level but "different", or missing) — or, where the name differs,
an agreeing corroborating comparison (`corroborating`: an enterprise's legal representative
or phone) — link (`rule = 'same_identifier'`, probability 1).  Match weights stay the model's, so they can be explained.
A reviewer's decisions (`linkage.link.labels`) override both: `rule = 'review_same'` /
`'review_different'`, probability 1 / 0, must- and cannot-links in clustering, and held at
their decision in EM.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import polars as pl
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkage.columns import bayes_factor, identifier_value
from linkage.engine.base import read_compact
from linkage.link.assign import Assignment, Weigher, assign
from linkage.link.blocking import (KEYS, RuleStats, build_keys, check_budget, count_pairs,
                                   fit_to_budget, generate_pairs)
from linkage.link.cluster import cluster
from linkage.link.comparisons import (Comparison, compare_batch, compile_comparisons,
                                      neutralise_implied, tf_positions)
from linkage.link.features import build_features, feature_frame, pair_frame, source_columns
from linkage.link.incremental import (Carry, compare_candidates, count_held, hold_scores,
                                      keep_decisions)
from linkage.link.keys import columns_read
from linkage.link.labels import run_labels
from linkage.link.model import (Model, estimate_by_sessions, estimate_prior, estimate_u,
                                initial_m, m_from_labels, pattern_counts, score, weigh)
from linkage.link.plan import Plan, catalogue_columns, make_plan
from linkage.link.recall import estimate_recall
from linkage.link.settings import LinkageSettings
from linkage.link.siblings import fit_siblings

BATCH_SIZE = 250_000
FEATURES = "_link_features"
PAIR_ORDER = ["record_id_l", "record_id_r"]
PREFIX = {"person": "P", "enterprise": "E"}


@dataclass
class Compared:
    """Comparison results for a set of pairs, in (record_id_l, record_id_r) order."""
    left: np.ndarray
    right: np.ndarray
    gamma: np.ndarray      # levels as scored (implied comparisons neutral)
    tf: np.ndarray
    raw_gamma: np.ndarray  # levels before `neutralise_implied` (for training)
    cannot_link: np.ndarray
    same_identifier: np.ndarray
    extra: dict[str, np.ndarray]


def compare_pairs(engine, pairs_table: str, comparisons: list[Comparison], identifiers: list[str],
                  extra: tuple[str, ...] = (), features: pl.DataFrame | None = None) -> Compared:
    """Compare the pairs of `pairs_table` whose records are both in the feature frame, in
    (record_id_l, record_id_r) order; `features` is the feature frame (`feature_frame`, fetched
    from the feature table when not given)."""
    if features is None:
        features = feature_frame(engine, comparisons, identifiers, FEATURES)
    q = engine.dialect.quote
    ids = features.get_column("record_id").implode()
    pairs = read_compact(engine, f"SELECT p.record_id_l, p.record_id_r"
                         f"{''.join(f', p.{q(e)}' for e in extra)} FROM {q(pairs_table)} p",
                         order_by=PAIR_ORDER) \
        .filter(pl.col("record_id_l").is_in(ids) & pl.col("record_id_r").is_in(ids))
    return compare_frame(pairs, comparisons, identifiers, features, extra)


def compare_frame(pairs: pl.DataFrame, comparisons: list[Comparison], identifiers: list[str],
                  features: pl.DataFrame, extra: tuple[str, ...] = ()) -> Compared:
    """Compare `pairs` (record_id_l, record_id_r and the `extra` columns; records of the
    feature frame) in batches through `compare_batch`, into arrays allocated once for all the
    pairs (batch results stacked at the end would be held twice over)."""
    n, k = pairs.height, len(comparisons)
    out = Compared(pairs.get_column("record_id_l").to_numpy(),
                   pairs.get_column("record_id_r").to_numpy(),
                   np.empty((n, k), np.int8), np.empty((n, len(tf_positions(comparisons))), np.float32),
                   np.empty((n, k), np.int8), np.empty(n, bool), np.empty(n, bool),
                   {e: pairs.get_column(e).to_numpy() for e in extra})
    for start in range(0, n, BATCH_SIZE):
        frame = pair_frame(features, pairs.slice(start, BATCH_SIZE).select(PAIR_ORDER), identifiers)
        part = slice(start, start + frame.height)
        raw, tf = compare_batch(frame, comparisons)
        out.raw_gamma[part] = raw
        out.gamma[part], out.tf[part] = neutralise_implied(raw, tf, comparisons)
        out.cannot_link[part] = frame.get_column("cannot_link").to_numpy()
        out.same_identifier[part] = frame.get_column("same_identifier").to_numpy()
    return out


def sample_u(comparisons, identifiers, size: int, seed: int, features: pl.DataFrame) -> list[np.ndarray]:
    """u probabilities from `size` random record pairs of the feature frame (seeded, so reruns
    agree)."""
    n = features.height
    size = int(min(size, n * (n - 1) // 2))
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, size), rng.integers(0, n, size)
    keep = i != j
    ids = features.get_column("record_id").to_numpy()
    pairs = pl.DataFrame({"record_id_l": ids[i[keep]], "record_id_r": ids[j[keep]]})
    return estimate_u(compare_frame(pairs, comparisons, identifiers, features).gamma, comparisons)


def labelled_pairs(engine, path: Path, entity_type: str, comparisons, identifiers,
                   features: pl.DataFrame | None = None, source: str = "records") -> Compared:
    """Compare the labelled pairs of a CSV/Parquet file (source, source_row of both + is_match)."""
    labels = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(
        path, infer_schema_length=0)
    labels = labels.select(
        pl.col("source_l").cast(pl.Utf8), pl.col("source_row_l").cast(pl.Int64),
        pl.col("source_r").cast(pl.Utf8), pl.col("source_row_r").cast(pl.Int64),
        pl.col("is_match").cast(pl.Utf8).str.to_lowercase().is_in(["1", "true", "yes", "y", "t"])
        .alias("is_match"))
    d = engine.dialect
    engine.load("_link_labels_raw", labels)
    engine.create_table(
        "_link_labels", "SELECT "
        "least(a.record_id, b.record_id) AS record_id_l, "
        "greatest(a.record_id, b.record_id) AS record_id_r, bool_or(x.is_match) AS is_match "
        f"FROM _link_labels_raw x JOIN {d.quote(source)} a ON a.source = x.source_l "
        f"AND a.source_row = x.source_row_l JOIN {d.quote(source)} b ON b.source = x.source_r "
        f"AND b.source_row = x.source_row_r WHERE a.entity_type = {d.literal(entity_type)} "
        f"AND b.entity_type = {d.literal(entity_type)} "
        "AND a.record_id <> b.record_id GROUP BY 1, 2", temp=True)
    engine.drop_table("_link_labels_raw")
    compared = compare_pairs(engine, "_link_labels", comparisons, identifiers, ("is_match",), features)
    engine.drop_table("_link_labels")
    return compared


def apply_rules(compared: Compared, probability: np.ndarray, comparisons: list[Comparison],
                corroborating: list[str] | tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Domain-rule overrides: (new probability, rule label or None per pair)."""
    names = [c.name for c in comparisons]
    compatible = (compared.gamma[:, names.index("name")] != 0 if "name" in names
                  else np.ones(len(probability), dtype=bool))
    for name in corroborating:
        if name in names:
            compatible |= compared.gamma[:, names.index(name)] > 0
    same = compared.same_identifier & compatible & ~compared.cannot_link
    rule = np.full(len(probability), None, dtype=object)
    rule[same] = "same_identifier"
    rule[compared.cannot_link] = "cannot_link"
    probability = np.where(same, 1.0, np.where(compared.cannot_link, 0.0, probability))
    return probability, rule


def possible_matches(compared: Compared, probability: np.ndarray, weight: np.ndarray,
                     record_ids: np.ndarray, first_rep: np.ndarray, rep: np.ndarray,
                     assignment: Assignment, s: LinkageSettings) -> tuple[pl.DataFrame, int]:
    """Pairs whose probability lies between `possible_threshold` and `threshold` and whose
    records ended in different entities — neither merged nor dropped, they wait for a person to
    decide — and how many entities there would be if every one of them were a match.  A pair
    touching an unidentified first-pass entity is judged by its assignment probability
    (`linkage.link.assign`), the others by the pairwise model."""
    at = {side: np.searchsorted(record_ids, ids)
          for side, ids in (("l", compared.left), ("r", compared.right))}
    weighed = np.isin(first_rep[at["l"]], assignment.queries) | \
        np.isin(first_rep[at["r"]], assignment.queries)
    band = (probability >= s.possible_threshold) & (probability < s.threshold) & \
        ~compared.cannot_link & ~weighed
    pairwise = pl.DataFrame({"record_id_l": compared.left[band].astype(np.int64),
                             "record_id_r": compared.right[band].astype(np.int64),
                             "match_probability": probability[band]})
    candidates = pl.concat([pairwise, assignment.possible.rename(
        {"probability": "match_probability"})]).unique(["record_id_l", "record_id_r"], keep="first")
    # every candidate is a compared pair: its weight by position, not by a join of all pairs
    rows = pair_positions(compared, candidates["record_id_l"].to_numpy(),
                          candidates["record_id_r"].to_numpy())
    candidates = candidates.with_columns(pl.Series("match_weight", weight[rows]))
    rep_l = rep[np.searchsorted(record_ids, candidates["record_id_l"].to_numpy())]
    rep_r = rep[np.searchsorted(record_ids, candidates["record_id_r"].to_numpy())]
    keep = rep_l != rep_r
    frame = candidates.filter(pl.Series(keep)).sort("record_id_l", "record_id_r")
    reps, inverse = np.unique(np.concatenate([rep, rep_l[keep], rep_r[keep]]),
                              return_inverse=True)
    n, k = len(rep), int(keep.sum())
    edges = (inverse[n:n + k], inverse[n + k:])
    graph = coo_matrix((np.ones(k, dtype=np.int8), edges), shape=(len(reps), len(reps)))
    return frame, int(connected_components(graph, directed=False)[0])


def pair_positions(compared: Compared, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Rows of `compared` (in (left, right) order) holding the pairs (left, right)."""
    width = int(max(compared.right.max(initial=0), right.max(initial=0))) + 1
    keys = compared.left.astype(np.int64) * width + compared.right
    return np.searchsorted(keys, left.astype(np.int64) * width + right)


@dataclass
class Blocking:
    """What blocking needs before pairs are made: the records' table, the plan (rules fitted to
    the budget), the feature frame, and each rule's pair count."""
    source: str
    plan: Plan
    features: pl.DataFrame
    counts: list[int]


def prepare_blocking(engine, entity_type: str, s: LinkageSettings,
                     comparisons: list[Comparison]) -> Blocking:
    """Plan the blocking of one entity type (`s` resolved) and build the keys table and the
    feature frame from table `records` (the feature table is dropped once read: from here on
    the frame is read)."""
    # the entity type's records, only the columns linkage may read: a view of table `records`
    # (a temp table would hold a second copy of them in memory through the stage)
    source = "_link_records"
    q = engine.dialect.quote
    present = engine.columns("records")
    wanted = ["record_id", "source", "source_row", "entity_type",
              *source_columns(comparisons, s.blocking_rules or [], s.identifiers),
              *catalogue_columns(entity_type)]
    # (no ORDER BY: every use would sort it again; readers that need an order ask for it)
    engine.create_view(source, f"SELECT {', '.join(q(c) for c in dict.fromkeys(wanted) if c in present)} "
                       f"FROM records WHERE entity_type = {engine.dialect.literal(entity_type)}")
    plan = make_plan(engine, source, entity_type, s.blocking_rules)
    columns = build_features(engine, entity_type, comparisons, plan.rules, s.identifiers,
                             FEATURES, source)
    build_keys(engine, FEATURES, plan.rules, KEYS)
    counts = count_pairs(engine, KEYS, plan.rules)
    if plan.planned:
        plan.rules, counts = fit_planned_rules(engine, plan, s.max_pairs_per_rule, counts)
    check_budget(engine, FEATURES, KEYS, plan.rules, s.max_pairs_per_rule, columns, entity_type,
                 counts)
    # the table would hold the frame's data a second time for the rest of the stage
    features = feature_frame(engine, comparisons, s.identifiers, FEATURES)
    engine.drop_table(FEATURES)
    return Blocking(source, plan, features, counts)


def fit_planned_rules(engine, plan: Plan, budget: int, counts: list[int]) -> tuple[list, list[int]]:
    """Planned rules over the pair budget (`counts`: each rule's pairs) keep only blocks small
    enough to fit (rules that cannot fit at all are dropped); the keys table is rebuilt and the
    pairs counted again when anything changed.  Returns the rules and their pair counts."""
    fitted, reasons = [], []
    for rule, reason, pairs in zip(plan.rules, plan.reasons, counts):
        if pairs > budget:
            rule = fit_to_budget(engine, FEATURES, rule, budget)
            reason = f"{reason}; large blocks left out to fit the pair budget"
        if rule is not None:
            fitted.append(rule)
            reasons.append(reason)
    if fitted != plan.rules:
        plan.reasons = reasons
        build_keys(engine, FEATURES, fitted, KEYS)
        counts = count_pairs(engine, KEYS, fitted)
    return fitted, counts


@dataclass
class ScoredPairs:
    """Every compared pair of one entity type as scored, decided and labelled, written out as
    table `pairs` batch by batch (`batches`): the Bayes factors of a batch are computed as it
    is written — for every pair at once they would be 8 bytes per pair and comparison."""
    entity_type: str
    compared: Compared
    weight: np.ndarray
    probability: np.ndarray
    rule: np.ndarray               # domain-rule or review label per pair, or None
    model: Model
    rule_labels: list[str]         # the blocking rules' labels, by rule number

    @property
    def num_rows(self) -> int:
        return len(self.weight)

    def batches(self, size: int = 1_000_000) -> Iterator[pa.Table]:
        """The rows of table `pairs` in (record_id_l, record_id_r) order, `size` at a time (at
        least one table, empty when there are no pairs, so that the columns are known)."""
        c, labels = self.compared, np.array(self.rule_labels, dtype=object)
        for start in range(0, max(self.num_rows, 1), size):
            part = slice(start, start + size)
            bf = score(c.gamma[part], c.tf[part], self.model)[0]
            n = len(bf)
            columns = {
                "record_id_l": c.left[part].astype(np.int64),
                "record_id_r": c.right[part].astype(np.int64),
                "entity_type": pa.array([self.entity_type] * n, pa.string()),
                "match_weight": self.weight[part], "match_probability": self.probability[part],
                "rule": pa.array(self.rule[part], pa.string()),
                "blocked_by": pa.array(labels[c.extra["rule"][part].astype(np.int64)], pa.string()),
            }
            for k, comp in enumerate(self.model.comparisons):
                columns[f"gamma_{comp.name}"] = c.gamma[part, k]
            for k, comp in enumerate(self.model.comparisons):
                columns[bayes_factor(comp.name)] = bf[:, k]
            yield pa.table(columns)


@dataclass
class EntityResult:
    entity_type: str
    pairs: ScoredPairs
    clusters: pl.DataFrame       # record_id, entity_id
    blocking: list[RuleStats]
    linked_pairs: int
    model: Model
    settings: LinkageSettings
    seconds: dict[str, float]
    plan: Plan
    recall: dict
    recall_table: pl.DataFrame
    possible: pl.DataFrame       # possible matches: record_id_l, record_id_r, probability, weight
    entities_if_linked: int
    assignment: Assignment
    labels: dict                 # reviewed pairs used: same, different, in_em, unresolved


def record_sources(engine, source: str, entity_type: str) -> np.ndarray:
    """Each record's source in record_id order, as an object array whose elements are the
    few source names themselves (not a string object per record: at 10M records that is half
    a gigabyte, and comparing a name with itself is an identity check)."""
    table, kind = engine.dialect.quote(source), engine.dialect.literal(entity_type)
    names = engine.sql(f"SELECT DISTINCT source FROM {table} WHERE entity_type = {kind} "
                       "ORDER BY source")["source"]
    codes = engine.sql(f"SELECT dense_rank() OVER (ORDER BY source) - 1 AS code FROM {table} "
                       f"WHERE entity_type = {kind} ORDER BY record_id")["code"]
    return np.array(names.to_list(), dtype=object)[codes.to_numpy()]


def identifier_codes(frame: pl.DataFrame, identifiers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Record ids (ascending) and dense int codes of their valid identifiers (-1 = none), from
    the feature frame."""
    cols = [identifier_value(c) for c in identifiers]
    codes = frame.select([(pl.col(c).rank("dense") - 1).fill_null(-1).cast(pl.Int64).alias(c)
                          for c in cols])
    matrix = codes.to_numpy() if cols else np.zeros((frame.height, 0), dtype=np.int64)
    return frame["record_id"].to_numpy(), matrix


def merge_near_codes(record_ids: np.ndarray, codes: np.ndarray, compared: Compared) -> np.ndarray:
    """`codes` with two valid identifiers of compared pairs that differ without being apart
    (one character: `linkage.link.features.pair_frame`) given one code, so clustering may put
    their records together when the model links them — only two: a chain of such values
    (393388834, 3933U8834, 3933UB834) keeps its codes, so two values apart never share one."""
    at_l = np.searchsorted(record_ids, compared.left)
    at_r = np.searchsorted(record_ids, compared.right)
    out = codes.copy()
    for k in range(codes.shape[1]):
        a, b = codes[at_l, k], codes[at_r, k]
        near = (a >= 0) & (b >= 0) & (a != b) & ~compared.cannot_link
        if not near.any():
            continue
        n = int(codes[:, k].max()) + 1
        graph = coo_matrix((np.ones(int(near.sum()), dtype=np.int8), (a[near], b[near])),
                           shape=(n, n))
        label = connected_components(graph, directed=False)[1]
        pairs_only = np.bincount(label)[label] == 2
        label = np.where(pairs_only, label + n, np.arange(n))   # codes and pair labels apart
        out[:, k] = np.where(codes[:, k] >= 0, label[np.maximum(codes[:, k], 0)], -1)
    return out


# a stored model is retrained when this month's u sample moved further than this from its u
# (total variation distance of one comparison's levels): the population changed, not noise —
# reruns on the same records give 0, a month of synth churn about 0.005
DRIFT_LIMIT = 0.05


@dataclass
class StoredModel:
    """A model kept in the entity store (`linkage.store`): the run that trained it, the resolved
    comparison settings it was fitted for (JSON), m and u per comparison (indexed by gamma) and
    the prior.  Term frequencies are not kept: they are this month's value counts, as in a
    full run."""
    run: int
    comparisons: str
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float


def comparison_key(settings_json: str) -> str:
    """The comparison settings of resolved settings (as JSON, table `link_model`'s `settings`),
    as canonical JSON: a stored model fits only these."""
    return json.dumps(json.loads(settings_json)["comparisons"], sort_keys=True, ensure_ascii=False)


def u_drift(stored: list[np.ndarray], fresh: list[np.ndarray]) -> float:
    """Largest total variation distance between two u's level shares, over the comparisons."""
    return max((0.5 * float(np.abs(a - b).sum()) for a, b in zip(stored, fresh)), default=0.0)


def obtain_model(engine, entity_type: str, s: LinkageSettings, comparisons: list[Comparison],
                 compared: Compared, known: np.ndarray, features: pl.DataFrame, source: str,
                 base_dir: Path | None, stored: StoredModel | None,
                 retrain: str | None = None) -> Model:
    """The model that scores this run: `stored` when it was fitted for these comparisons and
    this month's u sample lies within `DRIFT_LIMIT` of its u; else trained here (u from random
    pairs, m from the labels file or by EM sessions, then the prior) — always when `retrain`
    gives a reason to.  `model.source` says which and why; `model.drift` is the u drift
    measured against a stored model."""
    u = sample_u(comparisons, s.identifiers, s.u_sample_pairs, s.seed, features)
    reason = retrain or "no stored model"
    drift = None
    if stored is not None and retrain is None:
        drift = round(u_drift(stored.u, u), 6) if comparison_key(s.model_dump_json()) == stored.comparisons else None
        if drift is None:
            reason = f"comparisons changed since run {stored.run}"
        elif drift > DRIFT_LIMIT:
            reason = f"u drift {drift:.3f} > {DRIFT_LIMIT} since run {stored.run}"
        else:
            return Model(comparisons, stored.u, stored.m, stored.prior, converged=True,
                         trained_on=f"store (run {stored.run})",
                         source=f"store (run {stored.run})", drift=drift)
    model = Model(comparisons, u, source=f"trained ({reason})", drift=drift)
    total_pairs = max(features.height * (features.height - 1) // 2, 1)
    if s.labels is not None:
        path = s.labels if s.labels.is_absolute() or base_dir is None else base_dir / s.labels
        labelled = labelled_pairs(engine, path, entity_type, comparisons, s.identifiers, features,
                                  source)
        model.m = m_from_labels(labelled.gamma, labelled.extra["is_match"].astype(bool),
                                comparisons)
        model.trained_on = f"labels ({len(labelled.left):,} pairs)"
        patterns, pattern_n = pattern_counts(compared.gamma)
        if len(patterns):
            estimate_prior(patterns, pattern_n, model, total_pairs, s.em_max_iterations,
                           s.em_tolerance)
    elif len(compared.gamma):
        sessions = estimate_by_sessions(compared.raw_gamma, compared.gamma,
                                        compared.extra["rules"].astype(np.int64),
                                        [(r.label, {c for k in r.columns for c in columns_read(k)})
                                         for r in s.blocking_rules], total_pairs, model,
                                        s.em_max_iterations, s.em_tolerance, known=known)
        model.trained_on = "em: " + "; ".join(sessions)
        if (known >= 0).any():
            model.trained_on += f"; {int((known >= 0).sum()):,} reviewed pairs held at their decision"
    else:
        model.m = initial_m(comparisons)
    return model


def link_entity(engine, entity_type: str, settings: LinkageSettings,
                progress: Callable[[str], None] | None = None,
                base_dir: Path | None = None, labels: Path | None = None,
                stored: StoredModel | None = None, retrain: str | None = None,
                carry: Carry | None = None) -> EntityResult:
    """Link one entity type of table `records`, honouring the reviewer's decisions in the
    labels file `labels`; `stored` is the entity store's model, reused when still valid unless
    `retrain` gives a reason not to (`obtain_model`); with `carry` (a run against the store)
    only pairs with a new or changed record are compared (`linkage.link.incremental`)."""
    say = progress or (lambda _msg: None)
    s = settings.resolved(entity_type)
    comparisons = compile_comparisons(s.comparisons)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 3)
        clock = now

    blocking = prepare_blocking(engine, entity_type, s, comparisons)
    plan, source, features = blocking.plan, blocking.source, blocking.features
    lap("features")
    s = s.model_copy(update={"blocking_rules": plan.rules})
    counts = blocking.counts
    rules = generate_pairs(engine, KEYS, plan.rules, "_link_candidates", counts)
    say(f"{entity_type}: {sum(r.pairs for r in rules):,} candidate pairs from "
        f"{len(rules)} blocking rules")
    lap("blocking")
    if carry is None:
        compared = compare_pairs(engine, "_link_candidates", comparisons, s.identifiers,
                                 ("rule", "rules"), features)
    else:
        compared = compare_candidates(
            carry, entity_type, read_compact(engine, "SELECT record_id_l, record_id_r, rule, rules "
                                             "FROM _link_candidates", order_by=PAIR_ORDER),
            comparison_key(s.model_dump_json()), comparisons, s.identifiers, features,
            ("rule", "rules"))
    engine.drop_table("_link_candidates")
    reviewed = run_labels(engine, labels, entity_type, source)
    known = reviewed.state(compared.left, compared.right)
    lap("compare")
    model = obtain_model(engine, entity_type, s, comparisons, compared, known, features, source,
                         base_dir, stored, retrain)
    say(f"{entity_type}: EM {model.iterations} iterations, prior {model.prior:.3g}")
    model.siblings = fit_siblings(compared.gamma, compared.cannot_link, comparisons, model.u,
                                  model.m)
    held = hold_scores(carry, entity_type, compared, model) if carry is not None else None
    lap("estimate")
    weight, probability = weigh(compared.gamma, compared.tf, model)
    if carry is not None:
        count_held(carry, entity_type, held, compared, weight, probability, s.threshold)
    probability, rule = apply_rules(compared, probability, comparisons, s.corroborating)
    probability, rule = reviewed.override(known, probability, rule)
    linked = (probability >= s.threshold) & ~compared.cannot_link
    record_ids, codes = identifier_codes(features, s.identifiers)
    codes = merge_near_codes(record_ids, codes, compared)
    first_rep = cluster(record_ids, compared.left[linked], compared.right[linked], weight[linked],
                        codes, reviewed.must(), reviewed.cannot())
    sources = record_sources(engine, source, entity_type)
    identified = (codes >= 0).any(axis=1)
    weigher = Weigher(comparisons, model, features, first_rep, identified, sources)
    last = carry.decisions.pop(entity_type, None) if carry is not None else None
    if not model.source.startswith("store"):  # a model trained afresh decides afresh
        last = None
    assignment = assign(compared, linked, weigher, features, record_ids, first_rep, identified,
                        sources, s.threshold, s.possible_threshold, last)
    if carry is not None:
        keep_decisions(carry, entity_type, assignment)
    rep = first_rep
    if len(assignment.left):
        rows = pair_positions(compared, assignment.left, assignment.right)
        linked[rows] = True
        probability[rows] = assignment.probability
        rule[rows] = "assigned"
        rep = cluster(record_ids, compared.left[linked], compared.right[linked], weight[linked],
                      codes, reviewed.must(), reviewed.cannot())
    lap("score_cluster")
    possible, if_linked = possible_matches(compared, probability, weight, record_ids, first_rep,
                                           rep, assignment, s)
    clusters = pl.DataFrame({"record_id": record_ids, "rep": rep})
    recall, recall_table = estimate_recall(
        engine, entity_type, source, s, comparisons, model, features,
        clusters.rename({"rep": "entity_id"}),
        pl.DataFrame({"record_id": record_ids, "rep": first_rep}), weigher, KEYS)
    lap("estimate_recall")
    prefix = PREFIX.get(entity_type, entity_type[:1].upper())
    clusters = clusters.select(
        "record_id", (pl.lit(prefix) + pl.col("rep").cast(pl.Utf8).str.zfill(9)).alias("entity_id"))
    scored = ScoredPairs(entity_type, compared, weight, probability, rule, model,
                         [r.label for r in s.blocking_rules])
    engine.drop_table(KEYS)
    engine.drop_view(source)
    return EntityResult(entity_type, scored, clusters, rules, int(linked.sum()),
                        model, s, seconds, plan, recall, recall_table,
                        possible.select(pl.lit(entity_type).alias("entity_type"), pl.all()),
                        if_linked, assignment, reviewed.counts(int((known >= 0).sum())))
