"""Incremental comparison: a run against the entity store compares only pairs that changed.

The entity store (`linkage.store.pairs`) keeps the levels and term frequencies of every pair the
last run compared.  A record whose (source, record key, row hash) is the same as at the store's
last run is *unchanged*, and so are its normalized values; a pair of two unchanged records
therefore has the same comparison levels as last time.  `compare_candidates` takes the
candidate pairs the usual blocking made this run and

- *carries* those between two unchanged records that the last run compared: their raw levels
  come from the store; the identifier rules (`cannot_link`, `same_identifier`), which depend on
  this month's other records, are recomputed from the feature frame;
- *compares* the others (a new or changed record on either side, or a pair the last run did not
  block) as a run without a store would.

A carried pair also keeps its *score*: while the run reuses the store's model, its term
frequencies are the ones it was scored with before (`hold_scores`), not this month's value
counts.  Otherwise people moving in and out would move decisions between records nobody
touched — four newcomers sharing a name lower the score of an old pair of two unchanged
records of that name (0.28 → 0.12 in a 250,000-people city), and an entity could lose a record
without any of its records changing.  (The second pass still weighs such a newcomer as a rival
entity for a record without a valid identifier: that is new evidence, not a moved score.)  New evidence about a pair comes with a new or changed
record, which is compared afresh; a retrained model (`--retrain`, u drift, `--full`) scores
every pair with this month's frequencies.  The pairs whose held score differs from this
month's frequencies are counted (`held_pairs`), and those whose link decision it keeps as it
was (`held_decisions`; `count_held`): these are where a run comparing every pair would decide
otherwise.

A pair's raw levels are kept as one 64-bit code (`pack`: 4 bits a comparison, so up to 16
comparisons of up to 14 levels; settings beyond that are compared in full every run).
Scoring, clustering with its constraints, the second pass (`linkage.link.assign`) and the
recall estimate then run on all records as usual; the second pass's queries whose candidate
pairs are all carried, as last month, keep last month's decisions (`Decisions`, kept with the
pairs: `keep_decisions`) while the model is the store's.  Carried levels are used only when the
store's pairs were compared under the same comparison settings, linkage version and region;
`linkage run --full` carries nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from linkage.columns import IDENTIFIER_VALUE, IDENTIFIER_WRITTEN, TERM_FREQUENCY
from linkage.link.assign import DECISION_COLUMNS, Assignment, Decisions
from linkage.link.comparisons import Comparison, level_tf, neutralise_implied
from linkage.link.features import pair_frame
from linkage.link.keys import is_fixed
from linkage.link.model import Model, weigh


@dataclass
class Carry:
    """What a run against the store brings in and takes out.

    `pairs`: per entity type, the pairs between unchanged records the store holds levels for —
    record_id_l < record_id_r (this run's ids), gamma (raw levels, `pack`ed), tf (the term
    frequencies they were scored with; null from a store that did not keep them) and the
    second pass's decisions (`DECISION_COLUMNS`; null where none or not kept);
    `comparisons`: per entity type, the comparison settings (`linkage.link.run.comparison_key`)
    they were made with; `lost`: per entity type, this run's records that were a second-pass
    query's record in a stored pair whose other record changed or is gone.  The run fills in,
    per entity type, `held`: the carried pairs with their stored term frequencies (for
    `hold_scores`), `decisions`: the carried pairs' second-pass decisions (for `assign`),
    `compared`: every candidate pair's raw levels, term frequencies as scored and second-pass
    decisions (for the store to keep), `compared_with`: the comparison settings this run used,
    `figures`: the pairs compared, carried and held, the queries held, and `differences`: the
    decisions a run comparing and weighing afresh would take otherwise (`HELD_COLUMNS`)."""
    pairs: dict[str, pl.DataFrame]
    comparisons: dict[str, str]
    lost: dict[str, np.ndarray] = field(default_factory=dict)
    held: dict[str, pl.DataFrame] = field(default_factory=dict)
    decisions: dict[str, Decisions] = field(default_factory=dict)
    compared: dict[str, pl.DataFrame] = field(default_factory=dict)
    compared_with: dict[str, str] = field(default_factory=dict)
    figures: dict[str, dict] = field(default_factory=dict)
    differences: list[pl.DataFrame] = field(default_factory=list)


# table `held_decisions` of a run against the store: the decisions it kept from the last run
# where comparing and weighing afresh would decide otherwise — a pair's link decision by its
# held score ("score"), a record's second-pass placement ("placement"); a null probability is
# "not linked / not joined by this pair" on that side
HELD_COLUMNS = {"entity_type": pl.Utf8, "record_id_l": pl.Int64, "record_id_r": pl.Int64,
                "held": pl.Utf8, "kept_probability": pl.Float64, "fresh_probability": pl.Float64}


def held_frame(entity_type: str, held: str, frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (record_id_l, record_id_r, kept_probability, fresh_probability) as rows of
    table `held_decisions`."""
    return frame.select(pl.lit(entity_type).alias("entity_type"), "record_id_l", "record_id_r",
                        pl.lit(held).alias("held"), "kept_probability", "fresh_probability") \
        .cast(HELD_COLUMNS)


BITS = 4  # per comparison in a packed code: levels -1 … 14


def packable(comparisons: list[Comparison]) -> bool:
    """Whether the levels of these comparisons fit one packed code."""
    return len(comparisons) * BITS <= 64 and all(len(c.levels) < 2 ** BITS - 1 for c in comparisons)


def pack(raw_gamma: np.ndarray) -> np.ndarray:
    """One int64 per pair holding its levels (n × k, -1 … 14)."""
    shifts = np.arange(raw_gamma.shape[1], dtype=np.uint64) * BITS
    codes = ((raw_gamma.astype(np.int64) + 1).astype(np.uint64) << shifts).sum(axis=1, dtype=np.uint64)
    return codes.view(np.int64)


def unpack(codes: np.ndarray, k: int) -> np.ndarray:
    """The levels (n × k, int8) of packed codes."""
    shifts = np.arange(k, dtype=np.uint64) * BITS
    mask = np.uint64(2 ** BITS - 1)
    return ((codes.view(np.uint64)[:, None] >> shifts) & mask).astype(np.int8) - 1


def carried_compared(pairs: pl.DataFrame, raw_gamma: np.ndarray, comparisons: list[Comparison],
                     identifiers: list[str], features: pl.DataFrame, extra: tuple[str, ...] = ()):
    """A `Compared` for `pairs` (record_id_l, record_id_r and the `extra` columns) from their
    stored raw levels: term frequencies (`level_tf`) and identifier rules (`pair_frame`)
    recomputed from `features`, on their columns alone."""
    from linkage.link.run import Compared

    derived = (TERM_FREQUENCY, IDENTIFIER_VALUE, IDENTIFIER_WRITTEN)
    wanted = ["record_id", *(c for c in features.columns if c.startswith(derived)),
              *(c for c in features.columns if is_fixed(c))]
    frame = pair_frame(features.select(wanted), pairs.select("record_id_l", "record_id_r"),
                       identifiers)
    gamma, tf = neutralise_implied(raw_gamma, level_tf(frame, raw_gamma, comparisons), comparisons)
    return Compared(frame.get_column("record_id_l").to_numpy(), frame.get_column("record_id_r").to_numpy(),
                    gamma, tf, raw_gamma, frame.get_column("cannot_link").to_numpy(),
                    frame.get_column("same_identifier").to_numpy(),
                    {e: pairs[e].to_numpy() for e in extra})


def compare_candidates(carry: Carry, entity_type: str, candidates: pl.DataFrame, key: str,
                       comparisons: list[Comparison], identifiers: list[str],
                       features: pl.DataFrame, extra: tuple[str, ...] = ()):
    """Compare `candidates` (record_id_l, record_id_r, `extra`; sorted), carrying the levels of
    the pairs the store holds (see the module docstring); record what was compared and carried
    in `carry`."""
    from linkage.link.run import compare_frame

    stored = carry.pairs.pop(entity_type, None)  # read once: freed when compared
    if stored is None or carry.comparisons.get(entity_type) != key or not packable(comparisons):
        stored = pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64,
                                      "gamma": pl.Int64, "tf": pl.List(pl.Float32),
                                      **{c: pl.Float32 for c in DECISION_COLUMNS}})
    on = ["record_id_l", "record_id_r"]
    carry.decisions[entity_type] = Decisions(
        stored.select(*on, *DECISION_COLUMNS).filter(
            pl.any_horizontal(pl.col(c).is_not_null() for c in DECISION_COLUMNS)),
        carry.lost.get(entity_type, np.zeros(0, np.int64)))
    kept = candidates.join(stored, on=on, how="inner", maintain_order="left")
    fresh = candidates.join(stored, on=on, how="anti", maintain_order="left")
    raw = unpack(kept["gamma"].to_numpy(), len(comparisons))
    parts = [compare_frame(fresh, comparisons, identifiers, features, extra),
             carried_compared(kept, raw, comparisons, identifiers, features, extra)]
    carry.held[entity_type] = kept.select("record_id_l", "record_id_r", "tf").drop_nulls("tf")
    carry.figures[entity_type] = {"compared_pairs": fresh.height, "carried_pairs": kept.height}
    del kept
    compared = _stacked(parts)
    if packable(comparisons):
        carry.compared_with[entity_type] = key
        carry.compared[entity_type] = pl.DataFrame({
            "record_id_l": compared.left, "record_id_r": compared.right,
            "gamma": pack(compared.raw_gamma)})
    return compared


@dataclass
class Held:
    """Carried pairs scored with their stored term frequencies: their rows in the `Compared` and
    the match weight and probability this month's frequencies would give them."""
    rows: np.ndarray
    weight: np.ndarray
    probability: np.ndarray


def hold_scores(carry: Carry, entity_type: str, compared, model: Model) -> Held | None:
    """Put the term frequencies the carried pairs were scored with before into `compared.tf`,
    when `model` is the store's (see the module docstring), and keep every pair's frequencies
    as scored for the store; returns what this month's frequencies would have given the pairs
    whose frequencies moved (for `count_held`), or None when nothing is held."""
    held = carry.held.pop(entity_type, None)
    k = compared.tf.shape[1]
    out = None
    if held is not None and held.height and k and model.source.startswith("store"):
        from linkage.link.run import pair_positions

        rows = pair_positions(compared, held["record_id_l"].to_numpy(), held["record_id_r"].to_numpy())
        stored = held["tf"].list.to_array(k).to_numpy().astype(np.float32)
        now = compared.tf[rows]
        moved = ~((stored == now) | (np.isnan(stored) & np.isnan(now))).all(axis=1)
        rows, stored = rows[moved], stored[moved]
        out = Held(rows, *weigh(compared.gamma[rows], now[moved], model))
        compared.tf[rows] = stored
    if entity_type in carry.compared:
        carry.compared[entity_type] = carry.compared[entity_type].with_columns(
            pl.Series("tf", compared.tf).cast(pl.List(pl.Float32)))
    return out


def keep_decisions(carry: Carry, entity_type: str, assignment: Assignment) -> None:
    """Put the second pass's decisions beside the compared pairs the store keeps, and count the
    queries that kept last run's decisions (`held_queries`) and, of those, the ones weighing
    afresh would have joined otherwise (`held_assignments`)."""
    figures = carry.figures.setdefault(entity_type, {})
    changed = assignment.held_changed
    figures.update(held_queries=assignment.held,
                   held_assignments=0 if changed is None else changed["query"].n_unique())
    if changed is not None and changed.height:
        carry.differences.append(held_frame(entity_type, "placement", changed))
    if entity_type not in carry.compared:
        return
    decisions = assignment.decisions
    if decisions is None:
        decisions = pl.DataFrame(schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64,
                                         **{c: pl.Float32 for c in DECISION_COLUMNS}})
    carry.compared[entity_type] = carry.compared[entity_type].join(
        decisions, on=["record_id_l", "record_id_r"], how="left", maintain_order="left")


def count_held(carry: Carry, entity_type: str, held: Held | None, compared, weight: np.ndarray,
               probability: np.ndarray, threshold: float) -> None:
    """Count in `carry.figures` the held pairs whose match weight (`weight`, as scored) this
    month's frequencies would move (`held_pairs`) and, of those no identifier rule decides, the
    ones whose link decision (`probability` against `threshold`) they would reverse
    (`held_decisions`)."""
    figures = carry.figures.setdefault(entity_type, {})
    figures.update(held_pairs=0, held_decisions=0)
    if held is None:
        return
    rows = held.rows
    ruled = compared.cannot_link[rows] | compared.same_identifier[rows]
    reversed_ = ~ruled & ((probability[rows] >= threshold) != (held.probability >= threshold))
    figures.update(held_pairs=int((np.abs(weight[rows] - held.weight) > 1e-9).sum()),
                   held_decisions=int(reversed_.sum()))
    if reversed_.any():
        at = rows[reversed_]
        carry.differences.append(held_frame(entity_type, "score", pl.DataFrame({
            "record_id_l": compared.left[at], "record_id_r": compared.right[at],
            "kept_probability": probability[at], "fresh_probability": held.probability[reversed_]})))


def _stacked(parts: list):
    """One `Compared` of several, in (record_id_l, record_id_r) order."""
    from linkage.link.run import Compared

    left = np.concatenate([p.left for p in parts])
    right = np.concatenate([p.right for p in parts])
    order = np.lexsort((right, left))

    def cat(name):
        return np.concatenate([getattr(p, name) for p in parts])[order]

    return Compared(left[order], right[order], cat("gamma"), cat("tf"), cat("raw_gamma"),
                    cat("cannot_link"), cat("same_identifier"),
                    {e: np.concatenate([p.extra[e] for p in parts])[order] for e in parts[0].extra})
