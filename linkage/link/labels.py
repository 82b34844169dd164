"""Clerical-review labels: the file format, and what a run does with them.

A reviewer's decisions (`linkage review`, `linkage.review`) are appended to one CSV file beside
the config (`Config.labels_path`, by default `<config stem>.labels.csv`), one row per record
pair, never rewritten:

| column        | content                                                                  |
|---------------|--------------------------------------------------------------------------|
| `labelled_at` | UTC time, ISO 8601 with milliseconds (`2024-06-01T08:30:12.345+00:00`)    |
| `reviewer`    | who decided                                                              |
| `action`      | id of the reviewer's action (a cluster split writes many rows, one action) |
| `kind`        | `pair` (one pair decided), `cluster` (a cluster confirmed as one entity) or `split` (records split off a cluster) |
| `decision`    | `same`, `different`, `unsure` or `retracted` (an undo with nothing before it) |
| `queue`       | the review queue it was decided in (`possible`, `conflicts`, `clusters`, `audit`, …) |
| `entity_type` | person / enterprise                                                      |
| `source_l`, `key_l`, `source_r`, `key_r` | the two records: source key and row key, the pair in (source, key) order |
| `key_type`    | what the row keys are: `source_row` (the 1-based data row of the source file) |
| `sample`      | the audit sample the pair was drawn in (`linkage.review.audit`), else blank |

Records are named by source and a stable row key, never by a run's record ids, so labels
survive re-runs.  The last decision per pair wins (latest `labelled_at`, then file order);
`unsure` and `retracted` leave the pair undecided.  A torn last line (a crash while writing)
is ignored.

A run (`linkage.link.run.link_entity`) reads the file through `run_labels`: a `same` pair is a
must-link and a `different` pair a cannot-link — the pair's probability becomes 1 or 0 (`rule`
`review_same` / `review_different`), clustering joins the first and never puts the second in
one entity, even through other records (`linkage.link.cluster`) — and the labelled candidate
pairs are held at their decision in EM (`linkage.link.model`), so they correct the m
estimates in proportion to how many there are instead of replacing them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from linkage.errors import ConfigError, first_line

COLUMNS = ("labelled_at", "reviewer", "action", "kind", "decision", "queue", "entity_type",
           "source_l", "key_l", "source_r", "key_r", "key_type", "sample")
PAIR = ("source_l", "key_l", "source_r", "key_r")
KINDS = ("pair", "cluster", "split")
DECISIONS = ("same", "different", "unsure", "retracted")
KEY_TYPES = {"source_row": "source_row"}  # key type -> the records column that holds the key
REQUIRED = ("labelled_at", "kind", "decision", "entity_type", *PAIR, "key_type")


class LabelsError(ConfigError):
    """A labels file that cannot be read; the message names the file, line and column."""


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Utf8 for c in COLUMNS}).with_columns(
        pl.lit(None, pl.Int64).alias("line"))


def parse(data: bytes, where: str) -> pl.DataFrame:
    """Label rows from the bytes of a labels file (all text, plus `line`: the file line), in
    file order; a last line without its newline (torn by a crash) is left out."""
    data = data.removeprefix(b"\xef\xbb\xbf")  # saved by a spreadsheet program
    if not data.strip():
        return empty()
    if not data.endswith(b"\n"):
        data = data[:data.rfind(b"\n") + 1]
    try:
        rows = pl.read_csv(io.BytesIO(data), infer_schema_length=0, encoding="utf8")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise LabelsError(f"{where}: not a labels CSV file ({first_line(exc)})") from None
    missing = [c for c in REQUIRED if c not in rows.columns]
    if missing:
        raise LabelsError(f"{where}: line 1: missing column(s) {', '.join(missing)}; a labels file "
                          f"has the columns {', '.join(COLUMNS)}")
    rows = rows.with_columns([pl.lit(None, pl.Utf8).alias(c) for c in COLUMNS if c not in rows.columns])
    rows = rows.select(*COLUMNS, pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("line"))
    checks = [(c, pl.col(c).is_null()) for c in REQUIRED]
    checks += [(c, ~pl.col(c).is_in(list(allowed)))
               for c, allowed in (("kind", KINDS), ("decision", DECISIONS), ("key_type", KEY_TYPES))]
    checks.append(("key_l", pl.col("key_type").eq("source_row")
                   & (pl.col("key_l").cast(pl.Int64, strict=False).is_null()
                      | pl.col("key_r").cast(pl.Int64, strict=False).is_null())))
    for column, bad in checks:
        wrong = rows.filter(bad)
        if wrong.height:
            row = wrong.row(0, named=True)
            raise LabelsError(f"{where}: line {row['line']}, column {column}: "
                              f"{row[column]!r} is not valid ({wrong.height} such row(s))")
    return rows


def read_labels(path: Path) -> pl.DataFrame:
    """Every row of the labels file at `path` (`parse`); an absent file has none."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return empty()
    except OSError as exc:
        raise LabelsError(f"{path}: cannot read the labels file ({exc.strerror})") from None
    return parse(data, str(path))


def canonical(rows: pl.DataFrame) -> pl.DataFrame:
    """`rows` with each pair in (source, key) order, so one pair has one spelling."""
    swap = (pl.col("source_l") > pl.col("source_r")) | (
        (pl.col("source_l") == pl.col("source_r")) & (pl.col("key_l") > pl.col("key_r")))
    return rows.with_columns(
        [pl.when(swap).then(pl.col(f"{a}_r")).otherwise(pl.col(f"{a}_l")).alias(f"{a}_l")
         for a in ("source", "key")]
        + [pl.when(swap).then(pl.col(f"{a}_l")).otherwise(pl.col(f"{a}_r")).alias(f"{a}_r")
           for a in ("source", "key")])


def current(rows: pl.DataFrame) -> pl.DataFrame:
    """The decision in force for each labelled pair: its last row (latest `labelled_at`, then
    file order), pairs whose last decision is `retracted` left out."""
    if not rows.height:
        return rows
    order = rows.with_row_index("_order")
    last = canonical(order).sort("labelled_at", "_order").group_by(
        "entity_type", "key_type", *PAIR, maintain_order=True).last()
    return last.filter(pl.col("decision") != "retracted").sort("_order").drop("_order")


@dataclass
class RunLabels:
    """One entity type's decided pairs, as record ids of a run (left < right)."""
    left: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    same: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    unresolved: int = 0  # decided pairs naming a record this run does not have

    def state(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Per pair (left < right): 1 decided same, 0 decided different, -1 undecided."""
        out = np.full(len(left), -1, dtype=np.int8)
        if not len(self.left) or not len(left):
            return out
        keys = self.left.astype(np.int64) * (1 << 32) + self.right
        order = np.argsort(keys)
        wanted = np.asarray(left, np.int64) * (1 << 32) + np.asarray(right, np.int64)
        at = np.clip(np.searchsorted(keys[order], wanted), 0, len(keys) - 1)
        hit = keys[order][at] == wanted
        out[hit] = self.same[order][at[hit]].astype(np.int8)
        return out

    def override(self, state: np.ndarray, probability: np.ndarray,
                 rule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Decided pairs (`state` from `state`) get probability 1 or 0 and their rule label."""
        rule = rule.copy()
        rule[state == 1] = "review_same"
        rule[state == 0] = "review_different"
        return np.where(state >= 0, state.astype(np.float64), probability), rule

    def must(self) -> tuple[np.ndarray, np.ndarray]:
        return self.left[self.same], self.right[self.same]

    def cannot(self) -> tuple[np.ndarray, np.ndarray]:
        return self.left[~self.same], self.right[~self.same]

    def counts(self, in_em: int = 0) -> dict:
        return {"same": int(self.same.sum()), "different": int((~self.same).sum()),
                "in_em": int(in_em), "unresolved": int(self.unresolved)}


def run_labels(engine, path: Path | None, entity_type: str, source: str = "records") -> RunLabels:
    """The decided pairs of `path` (same / different) among the records of table `source` of
    one entity type, as record ids; pairs naming a record the table lacks are counted."""
    if path is None:
        return RunLabels()
    decided = current(read_labels(path)).filter(
        pl.col("decision").is_in(["same", "different"]) & (pl.col("entity_type") == entity_type))
    if not decided.height:
        return RunLabels()
    parts, q = [], engine.dialect.quote
    for key_type, column in KEY_TYPES.items():
        part = decided.filter(pl.col("key_type") == key_type)
        if not part.height:
            continue
        engine.load("_link_review_labels", part.select(
            pl.int_range(pl.len()).alias("i"), "source_l", pl.col("key_l").cast(pl.Int64),
            "source_r", pl.col("key_r").cast(pl.Int64), (pl.col("decision") == "same").alias("same")),
            temp=True)
        parts.append(engine.sql(
            "SELECT least(a.record_id, b.record_id) AS l, greatest(a.record_id, b.record_id) AS r, "
            f"x.same FROM _link_review_labels x JOIN {q(source)} a ON a.source = x.source_l "
            f"AND a.{q(column)} = x.key_l JOIN {q(source)} b ON b.source = x.source_r "
            f"AND b.{q(column)} = x.key_r WHERE a.entity_type = ? AND b.entity_type = ? "
            "AND a.record_id <> b.record_id ORDER BY l, r", [entity_type, entity_type]))
        engine.drop_table("_link_review_labels")
    found = pl.concat(parts) if parts else pl.DataFrame(
        schema={"l": pl.Int64, "r": pl.Int64, "same": pl.Boolean})
    return RunLabels(found["l"].to_numpy(), found["r"].to_numpy(), found["same"].to_numpy(),
                     decided.height - found.height)
