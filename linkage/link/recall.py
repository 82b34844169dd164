"""How many true links the run missed, estimated from the data itself (no truth needed).

Records that share one valid identifier (the same 18-digit ID number, the same credit code)
are the same entity: a silver standard the run finds with near certainty.  The records that
could be missed are the others — their identifier is blank, or present but invalid (a wrong
digit).  How often would the run still have linked those?  Take silver records and make each
look like one of the others, drawn at random: blank what that record has blank (records
without an ID number often lack more than the ID), then remove the identifier or give it one
wrong digit or two swapped neighbours; run them through the same blocking rules, comparisons,
model and threshold against every record (their original left out), and, where they link to
nothing, through the second pass that weighs them against the entities they reach
(linkage.link.assign).  The share that ends with its own entity is the recovery rate q of that
kind of record.  Each source gets its own rate, from its own silver records where it has
enough, else from everyone's.

Then, for a source with L linked records of a kind, about L / q of them truly had a twin, so
about L (1 − q) / q were missed (never more than its unlinked records); where q is too small to
divide by, the records of that kind are taken to have twins as often as the source's records
with a valid identifier do.  Each missed record loses as many pairs as the simulated records
that were not recovered had twins (records with few twins have fewer paths to them and are
missed more often; where every simulated record was recovered, the twins of the source's silver
records), which turns missed records into missed pairs and an estimated pairwise recall.  A
pair of two records without a valid identifier is missed from both ends, so a missed record's
twins that lack one count half: their share is taken from the record's source and kind, among
the cluster-mates of its linked records (`unidentified_twin_share`).  Missed records are also
the error of the distinct-entity and redundant-record counts, with a band from the Wilson
interval of q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from linkage.columns import TERM_FREQUENCY, identifier_value
from linkage.link.assign import Weigher, kind_of
from linkage.link.blocking import build_keys, unpivoted_keys
from linkage.link.comparisons import Comparison
from linkage.link.features import build_features, feature_frame
from linkage.link.model import Model, score
from linkage.link.settings import LinkageSettings

SAMPLE_PER_SOURCE = 1500   # silver records simulated per source and kind
MIN_OWN_SILVER = 60        # fewer silver records of its own: a source borrows everyone's
Z = 1.96                   # 95 % Wilson interval
MIN_RATE = 0.2             # below this recovery rate, missed records come from the twin rate
KINDS = ("missing", "invalid")
# columns the normalizer derives from an identifier column, besides <column>_flag / _legacy
DERIVED = {"id_number": ("id_birth_date", "id_gender", "id_region"),
           "uscc": ("org_key", "reg_key")}


@dataclass
class Simulation:
    """Silver records made to look like one kind of record of one source."""
    source: str
    kind: str          # missing | invalid
    borrowed: bool     # from everyone's silver records (the source has too few of its own)
    original: np.ndarray   # record ids of the silver records
    recovered: np.ndarray  # bool: still linked to their cluster
    twins: np.ndarray      # the other records of each original's entity (pairs lost if not)


def wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _fetch(engine, table: str, ids: np.ndarray) -> pl.DataFrame:
    """Rows of `table` for record ids `ids`, in that order (ids may repeat)."""
    engine.load("_recall_ids", pl.DataFrame({"record_id": ids.astype(np.int64),
                                             "position": np.arange(len(ids), dtype=np.int64)}),
                temp=True)
    # ordered here, not by the query: on Spark an ORDER BY is jobs of its own
    rows = engine.sql(f"SELECT t.*, i.position AS _position FROM {engine.dialect.quote(table)} t "
                      "JOIN _recall_ids i USING (record_id)")
    engine.drop_table("_recall_ids")
    return rows.sort("_position").drop("_position")


def _filled(engine, table: str, columns: list[str]) -> pl.DataFrame:
    """Per record, a bit mask of which of `columns` it fills."""
    d = engine.dialect
    present = [c for c in columns if c in engine.columns(table)]
    bits = " + ".join(d.shift_left(d.cast(f"{d.quote(c)} IS NOT NULL", "bigint"), i)
                      for i, c in enumerate(present))
    return engine.sql(f"SELECT record_id, {bits or '0'} AS mask FROM {d.quote(table)} "
                      "ORDER BY record_id")


def _cover(pool: pl.DataFrame, patterns: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """For each pattern (record_id, mask), a silver record of `pool` (record_id, mask) filling
    what the pattern fills — or as much of it as any silver record does — drawn at random:
    pairs (silver, pattern), silver ids not repeated where the pool allows."""
    by_mask = {m: g["record_id"].to_numpy()
               for (m,), g in pool.sort("record_id").group_by("mask", maintain_order=True)}
    out_silver, out_pattern = [], []
    for (mask,), group in patterns.group_by("mask", maintain_order=True):
        overlap = {m: bin(m & mask).count("1") for m in by_mask}
        most = max(overlap.values())
        ids = np.concatenate([by_mask[m] for m, o in overlap.items() if o == most])
        n = group.height
        out_silver.append(rng.choice(ids, size=n, replace=n > len(ids)))
        out_pattern.append(group["record_id"].to_numpy())
    return pl.DataFrame({"silver": np.concatenate(out_silver),
                         "pattern": np.concatenate(out_pattern)}).sort("silver")


def _corrupt(values: list[str], rng: np.random.Generator) -> list[str]:
    """Each ID number with one wrong digit or two neighbours swapped (in the 17-digit body)."""
    out = []
    for value in values:
        chars = list(value)
        i = int(rng.integers(0, 16))
        if rng.random() < 0.5 and chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10) if chars[i].isdigit() \
                else "0"
        out.append("".join(chars))
    return out


def _simulated_rows(engine, table: str, identifier: str, silver: np.ndarray,
                    patterns: np.ndarray, kind: str, offset: int,
                    rng: np.random.Generator) -> pl.DataFrame:
    """Silver records `silver` made to look like the records `patterns` (one each): every
    column blank in the pattern is blanked, then the identifier removed (`missing`) or given one
    wrong digit or two swapped neighbours (`invalid`).  New ids: −offset − position."""
    both = _fetch(engine, table, np.concatenate([silver, patterns]))  # one query for the two
    rows, shapes = both.head(len(silver)), both.slice(len(silver))
    lineage = {"record_id", "source", "source_row", "entity_type"}
    columns = [c for c in rows.columns if c not in lineage]
    original = rows[identifier]  # as it was before blanking
    rows = rows.with_columns([pl.when(shapes[c].is_null()).then(None).otherwise(pl.col(c)).alias(c)
                              for c in columns])
    derived = [c for c in (f"{identifier}_flag", f"{identifier}_legacy",
                           *DERIVED.get(identifier, ())) if c in rows.columns]
    if kind == "invalid" and identifier == "id_number":
        from linkage.normalize.ids import normalize_id_number

        typo = pl.Series(identifier, _corrupt(original.to_list(), rng), pl.Utf8)
        fresh = normalize_id_number(typo, identifier, derive=True)
        rows = rows.with_columns([fresh[c].cast(rows.schema[c]) for c in [identifier, *derived]
                                  if c in fresh.columns])
    else:
        rows = rows.with_columns([pl.lit(None, rows.schema[c]).alias(c)
                                  for c in [identifier, *derived]])
    return rows.with_columns((-offset - pl.int_range(0, pl.len(), dtype=pl.Int64)).alias("record_id"))


def simulate(engine, entity_type: str, table: str, s: LinkageSettings,
             comparisons: list[Comparison], model: Model, features: pl.DataFrame,
             clusters: pl.DataFrame, first_rep: pl.DataFrame, weigher: Weigher,
             keys: str, kinds: pl.DataFrame) -> list[Simulation]:
    """Run silver records, made to look like the records of each kind of each source (their
    blank columns, their missing or invalid identifier), through the run's blocking,
    comparisons, model and threshold, and the second pass's weighing of records linked to
    nothing (`first_rep`: record_id → first-pass entity; `kinds`: `_kinds` of the
    records)."""
    identifier = s.identifiers[0]
    ident = identifier_value(identifier)
    rng = np.random.default_rng(s.seed)
    valid = features.select("record_id", ident).filter(pl.col(ident).is_not_null())
    silver = valid.filter(pl.len().over(ident) > 1).join(kinds.select("record_id", "source"),
                                                          on="record_id")
    masks = _filled(engine, table, [c.column for c in comparisons if c.column != identifier])
    silver = silver.join(masks, on="record_id").sort("record_id")
    plans, frames, offset = [], [], 1
    for (source, kind), group in kinds.filter(pl.col("kind") != "valid").group_by(
            ["source", "kind"], maintain_order=True):
        own = silver.filter(pl.col("source") == source)
        borrowed = own.height < MIN_OWN_SILVER
        pool = silver if borrowed else own
        if not pool.height:
            continue
        size = min(SAMPLE_PER_SOURCE, pool.height)
        patterns = group.select("record_id").join(masks, on="record_id").sort("record_id").sample(
            size, with_replacement=True, seed=int(rng.integers(2**31)))
        pairs = _cover(pool, patterns, rng)
        chosen = pairs["silver"].to_numpy()
        frames.append(_simulated_rows(engine, table, identifier, chosen,
                                      pairs["pattern"].to_numpy(), kind, offset, rng))
        plans.append((source, kind, borrowed, chosen, offset))
        offset += len(chosen)
    if not plans:
        return []
    engine.load("_recall_records", pl.concat(frames, how="diagonal_relaxed"), temp=True)
    uncapped = [r.model_copy(update={"max_block": None}) for r in s.blocking_rules]
    build_features(engine, entity_type, comparisons, s.blocking_rules, s.identifiers,
                   "_recall_features", "_recall_records", lookup=table)
    build_keys(engine, "_recall_features", uncapped, "_recall_keys")
    originals = pl.concat([pl.DataFrame({"record_id_l": -o - np.arange(len(c), dtype=np.int64),
                                         "original": c.astype(np.int64)})
                           for _, _, _, c, o in plans])
    # term frequencies are the population's, not the sample's: the original record's
    tf = [c for c in features.columns if c.startswith(TERM_FREQUENCY)]
    simulated = feature_frame(engine, comparisons, s.identifiers, "_recall_features").drop(tf) \
        .join(originals.rename({"record_id_l": "record_id"}), on="record_id") \
        .join(features.select("record_id", *tf).rename({"record_id": "original"}), on="original") \
        .select(features.columns)
    # every candidate pair of a simulated record, as blocking would have made it (its original
    # left out: it is the record being simulated)
    engine.load("_recall_originals", originals, temp=True)
    d = engine.dialect
    if d.subquery_per_column or not uncapped:
        joins = " UNION ".join(
            f"SELECT s.record_id AS record_id_l, m.record_id AS record_id_r FROM _recall_keys s "
            f"JOIN {d.quote(keys)} m ON s.k{i} = m.k{i}" for i in range(len(uncapped)))
    else:  # one join over the keys unpivoted
        joins = (f"SELECT DISTINCT s.record_id AS record_id_l, m.record_id AS record_id_r "
                 f"FROM ({unpivoted_keys(d, '_recall_keys', uncapped)}) s "
                 f"JOIN ({unpivoted_keys(d, keys, uncapped)}) m ON s.i = m.i AND s.k = m.k")
    found = engine.sql(
        f"SELECT f.* FROM ({joins}) f JOIN _recall_originals o USING (record_id_l) "
        "WHERE f.record_id_r <> o.original ORDER BY 1, 2") if joins else pl.DataFrame()
    for name in ("_recall_originals", "_recall_keys", "_recall_features", "_recall_records"):
        engine.drop_table(name)
    source_of = {}
    for source, _, _, chosen, offset in plans:
        source_of.update(dict.fromkeys((-offset - np.arange(len(chosen))).tolist(), source))
    recovered = _recovered(found, originals, simulated, features, clusters, first_rep, weigher,
                           source_of, comparisons, s, model)
    sizes = clusters.group_by("entity_id").len("size")
    chosen_ids = pl.Series(np.concatenate([chosen for _, _, _, chosen, _ in plans]))
    twins_of = dict(clusters.filter(pl.col("record_id").is_in(chosen_ids.implode()))
                    .join(sizes, on="entity_id").select("record_id", pl.col("size") - 1).iter_rows())
    out = []
    for source, kind, borrowed, chosen, offset in plans:
        sim_ids = -offset - np.arange(len(chosen), dtype=np.int64)
        out.append(Simulation(source, kind, borrowed, chosen,
                              np.array([i in recovered for i in sim_ids.tolist()], dtype=bool),
                              np.array([twins_of[i] for i in chosen.tolist()], dtype=np.int64)))
    return out


def _recovered(found: pl.DataFrame, originals: pl.DataFrame, simulated: pl.DataFrame,
               features: pl.DataFrame, clusters: pl.DataFrame, first_rep: pl.DataFrame,
               weigher: Weigher, source_of: dict, comparisons: list[Comparison],
               s: LinkageSettings, model: Model) -> set[int]:
    """The simulated records the run would have put with their original's entity: linked by
    the pairwise model to one of its records, or, linked to nothing, weighed against the
    first-pass entities its pairs reach, with probabilities over those that make up the
    original's entity summing to the threshold (linkage.link.assign, alone or as a group)."""
    if not found.height:
        return set()
    from linkage.link.run import apply_rules, compare_frame

    # the simulated records and the records their pairs reach (not a copy of every feature)
    reached = features.filter(pl.col("record_id").is_in(found["record_id_r"].unique().implode()))
    both = pl.concat([simulated, reached], how="vertical_relaxed").sort("record_id")
    compared = compare_frame(found, comparisons, s.identifiers, both)
    _, _, probability = score(compared.gamma, compared.tf, model)
    probability, _ = apply_rules(compared, probability, comparisons, s.corroborating)
    linked = (probability >= s.threshold) & ~compared.cannot_link
    entity = clusters.select("record_id", "entity_id")
    pairs = pl.DataFrame({"record_id_l": compared.left, "record_id_r": compared.right,
                          "linked": linked}).join(originals, on="record_id_l").join(
        entity.rename({"record_id": "original", "entity_id": "own"}), on="original").join(
        entity.rename({"record_id": "record_id_r"}), on="record_id_r")
    recovered = set(pairs.filter(pl.col("linked") & (pl.col("own") == pl.col("entity_id")))
                    ["record_id_l"].to_list())
    # the others linked to nothing: queries, as in the run's second pass
    anything = set(pairs.filter("linked")["record_id_l"].to_list())
    rows = np.flatnonzero(~np.isin(compared.left, list(anything)) & ~compared.cannot_link)
    if not rows.size:
        return recovered
    reps = first_rep.rename({"record_id": "record_id_r", "rep": "target"})
    query_source = pl.Series(compared.left[rows]).replace_strict(source_of,
                                                                  return_dtype=pl.Utf8)
    log_bf = weigher.log_bayes_factors(compared, rows, weigher.entity_shares(compared, rows, both),
                                       query_source.to_numpy()).sum(axis=1)
    candidates = pl.DataFrame({"query": compared.left[rows], "left": compared.left[rows],
                               "right": compared.right[rows], "log_bf": log_bf,
                               "source": query_source}) \
        .join(reps, left_on="right", right_on="record_id_r")
    scored = weigher.probabilities(weigher.weigh(candidates, _own_kinds(originals, first_rep,
                                                                         weigher)))
    # the targets are first-pass entities; the original's entity may be several of them (a
    # name-only fragment the second pass joined), among which the query splits its
    # probability, as a real query does before the second pass joins them as a group
    # (only the targets reached: a join of every record is gigabytes at 10M records)
    final = first_rep.filter(pl.col("rep").is_in(scored["target"].unique().implode())) \
        .join(entity, on="record_id").group_by("rep").agg(pl.col("entity_id").first())
    own = scored.join(final.rename({"rep": "target"}), on="target").join(
        originals.rename({"record_id_l": "query"}), on="query").join(
        entity.rename({"record_id": "original", "entity_id": "own"}), on="original") \
        .filter(pl.col("entity_id") == pl.col("own"))
    joined = own.group_by("query").agg(pl.col("probability").sum()) \
        .filter(pl.col("probability") >= s.threshold)
    return recovered | set(joined["query"].to_list())


def _own_kinds(originals: pl.DataFrame, first_rep: pl.DataFrame, weigher: Weigher
               ) -> pl.DataFrame:
    """For each simulated record, its original's entity as the simulated record sees it: the
    kind of the entity's other records (the original is the record being simulated)."""
    # the members of the originals' entities only, not every record's
    reps = originals.join(first_rep.rename({"record_id": "original"}), on="original")["rep"]
    members = first_rep.filter(pl.col("rep").is_in(reps.unique().implode())) \
        .join(weigher.rep.select("record_id", "code"), on="record_id")
    own = originals.join(members.rename({"record_id": "original"}), on="original")
    others = own.join(members.rename({"record_id": "member", "code": "member_code"}),
                      on="rep").filter(pl.col("member") != pl.col("original"))
    kinds = others.group_by("record_id_l", "rep").agg(kind_of(pl.col("member_code")))
    return kinds.select(pl.col("record_id_l").alias("query"), pl.col("rep").alias("target"),
                        "kind")


def _kinds(engine, table: str, identifier: str, clusters: pl.DataFrame) -> pl.DataFrame:
    """Per record: source, kind (valid / missing / invalid identifier, by its flag) and the
    size of its cluster."""
    flag, q = f"{identifier}_flag", engine.dialect.quote
    columns = set(engine.columns(table))
    value = f"nullif(trim({q(identifier)}), '')" if identifier in columns else "NULL"
    valid = f"{q(flag)} = 'valid'" if flag in columns else "false"
    records = engine.sql(f"SELECT record_id, source, CASE WHEN {value} IS NULL THEN 'missing' "
                         f"WHEN {valid} THEN 'valid' ELSE 'invalid' END AS kind "
                         f"FROM {q(table)} ORDER BY record_id")
    sizes = clusters.with_columns(pl.len().over("entity_id").alias("size"))
    return records.join(sizes.select("record_id", "size"), on="record_id").sort("record_id")


def unidentified_twin_share(kinds: pl.DataFrame, clusters: pl.DataFrame) -> dict:
    """(source, kind) → the share of its linked records' cluster-mates that lack a valid
    identifier."""
    members = kinds.join(clusters.select("record_id", "entity_id"), on="record_id").with_columns(
        (pl.col("kind") != "valid").cast(pl.Int64).alias("unidentified"))
    members = members.with_columns(pl.col("unidentified").sum().over("entity_id").alias("in_cluster"))
    mates = members.filter((pl.col("size") > 1) & pl.col("unidentified").cast(pl.Boolean)) \
        .group_by("source", "kind").agg(
            ((pl.col("in_cluster") - 1).sum() / (pl.col("size") - 1).sum()).alias("share"))
    return {(r["source"], r["kind"]): float(r["share"]) for r in mates.to_dicts()}


def estimate_recall(engine, entity_type: str, table: str, s: LinkageSettings,
                    comparisons: list[Comparison], model: Model, features: pl.DataFrame,
                    clusters: pl.DataFrame, first_rep: pl.DataFrame, weigher: Weigher,
                    keys: str) -> tuple[dict, pl.DataFrame]:
    """The estimate (a dict for metrics.json) and its per-source table (`recall_estimate`)."""
    ident = identifier_value(s.identifiers[0]) if s.identifiers else None
    valid = features[ident].drop_nulls() if ident in features.columns else pl.Series([], dtype=pl.Utf8)
    if valid.len() == valid.n_unique():
        # no two records share a valid identifier: nothing to simulate from, and nothing to
        # say — not a recall of 1
        return {"estimated": False, "reason": "no two records share a valid identifier to build "
                "a silver standard on"}, pl.DataFrame()
    identifier = s.identifiers[0]
    kinds = _kinds(engine, table, identifier, clusters)
    sims = simulate(engine, entity_type, table, s, comparisons, model, features, clusters,
                    first_rep, weigher, keys, kinds)
    rate = {(x.source, x.kind): x for x in sims}
    valid = kinds.filter(pl.col("kind") == "valid")
    per_source = valid.group_by("source").agg(
        (pl.col("size").filter(pl.col("size") > 1) - 1).mean().alias("twins"),
        (pl.col("size") > 1).mean().alias("twin_rate"))
    twins = {r["source"]: r for r in per_source.to_dicts()}
    unidentified_share = unidentified_twin_share(kinds, clusters)
    linked_valid = valid.filter(pl.col("size") > 1)
    mean_twins = float(linked_valid["size"].mean() - 1) if linked_valid.height else 1.0
    overall_twin_rate = float((valid["size"] > 1).mean()) if valid.height else 0.0
    rows = []
    for (source, kind), group in kinds.filter(pl.col("kind") != "valid").group_by(
            ["source", "kind"], maintain_order=True):
        n = group.height
        linked = int((group["size"] > 1).sum())
        sim = rate.get((source, kind))
        if sim is None or not len(sim.recovered):
            continue
        k = int(sim.recovered.sum())
        low_q, high_q = wilson(k, len(sim.recovered))
        point_q = k / len(sim.recovered)
        known = twins.get(source) or {}
        twin_rate = known.get("twin_rate") if known.get("twin_rate") is not None \
            else overall_twin_rate
        # pairs a missed record loses: its twins, as many as the simulated records that were
        # not recovered had (records with few twins have fewer paths, and are missed more)
        lost = sim.twins[~sim.recovered]
        per_twin = float(lost.mean()) if len(lost) else known.get("twins") or mean_twins
        # a twin without a valid identifier may be missed from its own side too: half each
        shared = unidentified_share.get((source, kind), 0.0)
        per_twin = float(per_twin or 1.0) * (1 - shared / 2)

        def missed(qv: float) -> float:
            """Records of this kind that truly had a twin, less those linked: L / q where the
            recovery rate is informative, else the share of the source's valid records that
            have a twin (the kind's records are assumed to have twins as often)."""
            truly = linked / qv if qv >= MIN_RATE else n * twin_rate
            return float(min(max(truly - linked, 0.0), n - linked))

        rows.append({"entity_type": entity_type, "source": source, "kind": kind, "records": n,
                     "linked": linked, "simulated": len(sim.recovered), "recovered": k,
                     "borrowed": sim.borrowed, "recovery_rate": point_q,
                     "recovery_low": low_q, "recovery_high": high_q,
                     "missed_records": missed(point_q), "missed_low": missed(high_q),
                     "missed_high": missed(low_q), "twins_per_record": per_twin,
                     "unidentified_twin_share": shared, "twin_rate": float(twin_rate)})
    table_out = pl.DataFrame(rows) if rows else pl.DataFrame()
    sizes = clusters.group_by("entity_id").len()["len"].to_numpy().astype(np.float64)
    found_pairs = float((sizes * (sizes - 1) / 2).sum())
    entities = int(len(sizes))
    records = int(clusters.height)
    out = {"estimated": True, "identifier": identifier, "silver_records":
           int(kinds.filter((pl.col("kind") == "valid") & (pl.col("size") > 1)).height),
           "found_pairs": found_pairs}
    for label, column in (("", "missed_records"), ("_low", "missed_low"),
                          ("_high", "missed_high")):
        missed_records = float(table_out[column].sum()) if rows else 0.0
        missed_pairs = float((table_out[column] * table_out["twins_per_record"]).sum()) if rows else 0.0
        out[f"missed_records{label}"] = round(missed_records, 1)
        out[f"pairwise_recall{label}"] = (found_pairs / (found_pairs + missed_pairs)
                                          if found_pairs + missed_pairs else 1.0)
        out[f"distinct_entities{label}"] = round(entities - missed_records, 1)
        out[f"redundant_records{label}"] = round(records - entities + missed_records, 1)
    # the band runs the other way for recall: more missed records, lower recall
    out["pairwise_recall_low"], out["pairwise_recall_high"] = (
        out.pop("pairwise_recall_high"), out.pop("pairwise_recall_low"))
    out["distinct_entities_low"], out["distinct_entities_high"] = (
        out.pop("distinct_entities_high"), out.pop("distinct_entities_low"))
    return out, table_out
