"""The review queues of a run, each sorted by how much a decision is worth.

Every queue is a frame with `index` (its position), `kind` (`pair` or `cluster`), `entity_type`,
`value` (what a decision is worth, the sort key), `reason` and, for a pair, `record_id_l`,
`record_id_r` and the pair as the labels file names it (`linkage.review.store.KEY_COLUMNS`);
for a cluster, `entity_id` and `records`.

- `possible`: table possible_matches (between the two thresholds, in different entities, the
  sparse-record matches among them).  Worth: the chance p that keeping them apart is wrong,
  times the record pairs a "same" would join (size of one entity × size of the other).
- `conflicts`: entities holding two distinct valid values of an identifier (ID number, credit
  code), entities holding both records of a pair the domain rule says cannot link, and pairs
  whose decision in the labels file this run does not follow (labelled after it, or
  contradicting other labels).  Worth: the record pairs in conflict.
- `clusters`: entities of three or more records, by how many of their record pairs are held
  together only through other records (not linked directly), then by size.
- `audit`: the audit sample of this run (`linkage.review.audit`), in its random order, the
  entity types' samples interleaved.
"""

from __future__ import annotations

import polars as pl

from linkage.link.labels import canonical
from linkage.review.finished import FinishedRun
from linkage.review.store import KEY_COLUMNS

QUEUES = ("possible", "conflicts", "clusters", "audit")
PAIR_COLUMNS = ("record_id_l", "record_id_r", *KEY_COLUMNS)


def with_keys(run: FinishedRun, pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (record_id_l, record_id_r, …) with the pair's key columns, as labels name it."""
    lineage = run.lineage
    for side in ("l", "r"):
        pairs = pairs.join(lineage.select(pl.col("record_id").alias(f"record_id_{side}"),
                                          pl.col("source").alias(f"source_{side}"),
                                          pl.col("key").alias(f"key_{side}")),
                           on=f"record_id_{side}", how="left", maintain_order="left")
    return canonical(pairs.with_columns(pl.lit("source_row").alias("key_type")))


def possible(run: FinishedRun) -> pl.DataFrame:
    frame = run.engine.sql(
        "WITH size AS (SELECT record_id, count(*) OVER (PARTITION BY entity_id) AS n FROM clusters) "
        "SELECT m.entity_type, m.record_id_l, m.record_id_r, m.match_probability, m.match_weight, "
        "m.match_probability * a.n * b.n AS value FROM possible_matches m "
        "JOIN size a ON a.record_id = m.record_id_l JOIN size b ON b.record_id = m.record_id_r "
        "ORDER BY value DESC, m.record_id_l, m.record_id_r")
    return _pairs(run, frame.with_columns(pl.lit("possible").alias("reason"))).with_row_index("index")


def clusters(run: FinishedRun) -> pl.DataFrame:
    frame = run.engine.sql("""
        WITH size AS (SELECT entity_type, entity_id, count(*) AS records FROM clusters
                      GROUP BY ALL HAVING count(*) >= 3),
             direct AS (SELECT a.entity_id, count(*) AS links, min(p.match_weight) AS weakest
                        FROM pairs p JOIN link_model m USING (entity_type)
                        JOIN clusters a ON a.record_id = p.record_id_l
                        JOIN clusters b ON b.record_id = p.record_id_r
                        WHERE a.entity_id = b.entity_id AND p.match_probability >= m.threshold
                          AND coalesce(p.rule, '') <> 'cannot_link'
                        GROUP BY ALL)
        SELECT s.entity_type, s.entity_id, s.records,
               s.records * (s.records - 1) / 2 - coalesce(d.links, 0) AS value, d.weakest
        FROM size s LEFT JOIN direct d USING (entity_id)
        ORDER BY value DESC, s.records DESC, s.entity_id""")
    return _clusters(frame.with_columns(pl.lit("loose").alias("reason"))).with_row_index("index")


def conflicts(run: FinishedRun, decided: pl.DataFrame) -> pl.DataFrame:
    """Entities in conflict, then the pairs whose label (`decided`: the decisions in force,
    `linkage.link.labels.current`) the run does not follow."""
    parts, q = [], run.engine.dialect.quote
    for entity_type, model in run.models.items():
        for column in model.settings.identifiers or []:
            flag = f"{column}_flag"
            if not {column, flag} <= set(run.engine.columns("records")):
                continue
            parts.append(run.engine.sql(f"""
                WITH v AS (SELECT c.entity_id, r.{q(column)} AS value, count(*) AS n
                           FROM records r JOIN clusters c USING (record_id)
                           WHERE r.entity_type = ? AND r.{q(flag)} = 'valid' GROUP BY ALL)
                SELECT ? AS entity_type, entity_id, 'identifiers:' || ? AS reason,
                       (sum(n) * sum(n) - sum(n * n)) / 2 AS value
                FROM v GROUP BY entity_id HAVING count(*) > 1""", [entity_type, entity_type, column]))
    parts.append(run.engine.sql("""
        SELECT p.entity_type, a.entity_id, 'cannot_link' AS reason, count(*) AS value
        FROM pairs p JOIN clusters a ON a.record_id = p.record_id_l
        JOIN clusters b ON b.record_id = p.record_id_r
        WHERE p.rule = 'cannot_link' AND a.entity_id = b.entity_id GROUP BY ALL"""))
    frame = pl.concat([p.with_columns(pl.col("value").cast(pl.Float64)) for p in parts])
    sizes = run.engine.sql("SELECT entity_id, count(*) AS records FROM clusters GROUP BY ALL")
    entities = frame.group_by("entity_type", "entity_id").agg(
        pl.col("reason").sort().str.join(" "), pl.col("value").sum()).join(sizes, on="entity_id")
    entities = _clusters(entities.sort(["value", "entity_id"], descending=[True, False]))
    return pl.concat([entities, _label_disagreements(run, decided)], how="diagonal_relaxed") \
        .with_row_index("index")


def _label_disagreements(run: FinishedRun, decided: pl.DataFrame) -> pl.DataFrame:
    """Decided pairs whose records this run put together against a "different", or apart
    against a "same"."""
    decided = decided.filter(pl.col("decision").is_in(["same", "different"])
                             & (pl.col("key_type") == "source_row"))
    ids = run.lineage.join(run.engine.sql("SELECT record_id, entity_id FROM clusters"),
                           on="record_id")
    for side in ("l", "r"):
        decided = decided.join(ids.select(pl.col("source").alias(f"source_{side}"),
                                          pl.col("key").alias(f"key_{side}"),
                                          pl.col("record_id").alias(f"record_id_{side}"),
                                          pl.col("entity_id").alias(f"entity_{side}")),
                               on=[f"source_{side}", f"key_{side}"])
    wrong = decided.filter((pl.col("entity_l") == pl.col("entity_r")) == (pl.col("decision") == "different"))
    frame = wrong.select(
        "entity_type", pl.min_horizontal("record_id_l", "record_id_r").alias("record_id_l"),
        pl.max_horizontal("record_id_l", "record_id_r").alias("record_id_r"),
        pl.concat_str(pl.lit("label_"), "decision").alias("reason"), pl.lit(1.0).alias("value"))
    return _pairs(run, frame)


def audit(run: FinishedRun, designs: list[dict]) -> pl.DataFrame:
    """The units of `designs` (one per entity type, of this run), interleaved by their order."""
    rows = [{"entity_type": d["entity_type"], "record_id_l": u["record_id_l"],
             "record_id_r": u["record_id_r"], "sample": d["id"], "stratum": u["stratum"],
             "position": (u["order"] + 0.5) / len(d["units"])}
            for d in designs for u in d["units"]]
    frame = pl.DataFrame(rows, schema={"entity_type": pl.Utf8, "record_id_l": pl.Int64,
                                       "record_id_r": pl.Int64, "sample": pl.Utf8,
                                       "stratum": pl.Int64, "position": pl.Float64})
    frame = frame.sort("position", "entity_type").with_columns(
        pl.lit("audit").alias("reason"), pl.lit(0.0).alias("value"))
    weights = run.engine.sql("SELECT record_id_l, record_id_r, match_weight, match_probability "
                             "FROM pairs")
    frame = frame.join(weights, on=["record_id_l", "record_id_r"], how="left", maintain_order="left")
    return _pairs(run, frame.drop("position")).with_row_index("index")


def _pairs(run: FinishedRun, frame: pl.DataFrame) -> pl.DataFrame:
    return with_keys(run, frame).with_columns(pl.lit("pair").alias("kind"))


def _clusters(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit("cluster").alias("kind"))
