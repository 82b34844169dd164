"""One reviewer's session over a finished run: the queues, their progress, and every decision.

`ReviewSession(run, reviewer)` opens the labels file (`store`), makes sure the run has an audit
sample of its own (drawn and saved beside the labels when it has none, `audit`), builds the
queues (`queues`) and answers what the app asks: the progress of every queue, a page of one
queue, one item (a pair view or a cluster view, `views`) with the next item still to decide,
and the decisions — a pair same / different / unsure, a cluster confirmed as one entity, some
of a cluster's records split off it — each appended to the labels file before the answer, and
undone in reverse order within the session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import polars as pl

from linkage.review import queues as q
from linkage.review.audit import design_for, designs_path, draw, load_designs, save_design
from linkage.review.finished import FinishedRun
from linkage.review.store import KEY_COLUMNS, Action, LabelStore, pair_key
from linkage.review.views import cluster_view, pair_view

DECISIONS = ("same", "different", "unsure")
PAGE = 100


class ReviewError(ValueError):
    """A request the session cannot carry out (unknown queue or item, a split of nothing)."""


@dataclass
class Done:
    action: Action
    queue: str
    index: int | None


class ReviewSession:
    def __init__(self, run: FinishedRun, reviewer: str, audit_size: int | None = None,
                 audit_seed: int | None = None):
        self.run, self.reviewer = run, reviewer
        self.store = LabelStore(run.labels_path)
        self.designs = self._audit_designs(audit_size or run.config.review.audit_size, audit_seed)
        self.queues = {"possible": q.possible(run), "conflicts": q.conflicts(run, self.store.current),
                       "clusters": q.clusters(run), "audit": q.audit(run, self.designs)}
        self.done: list[Done] = []

    def _audit_designs(self, size: int, seed: int | None) -> list[dict]:
        path = designs_path(self.run.labels_path)
        designs = load_designs(path)
        out = []
        for entity_type, model in self.run.models.items():
            design, this_run = design_for(designs, entity_type, model.fingerprint)
            if not this_run:
                design = draw(self.run.engine, entity_type, model.threshold, model.fingerprint, size,
                              secrets.randbits(32) if seed is None else seed, self.run.output_dir)
                save_design(path, design)
            out.append(design)
        return out

    # --- progress ------------------------------------------------------------------------
    def _status(self, name: str) -> pl.Series:
        """Per item of a queue: the decision in force (pairs) or "reviewed" (clusters), or null."""
        frame = self.queues[name]
        if not frame.height:
            return pl.Series("status", [], pl.Utf8)
        decided = self.store.current
        status = pl.Series("status", [None] * frame.height, pl.Utf8)
        if "key_l" in frame.columns and decided.height:
            joined = frame.select("index", *KEY_COLUMNS).join(
                decided.select(*KEY_COLUMNS, "decision"), on=list(KEY_COLUMNS), how="left",
                maintain_order="left")
            status = joined["decision"].alias("status")
        if "entity_id" in frame.columns:
            touched = self._reviewed_entities()
            clusters = frame["entity_id"].is_in(list(touched)) & frame["kind"].eq("cluster")
            status = pl.select(pl.when(clusters).then(pl.lit("reviewed")).otherwise(status)
                               .alias("status")).to_series()
        return status

    def _reviewed_entities(self) -> set[str]:
        """Entities of this run a confirmed cluster or a split speaks about."""
        rows = self.store.current.filter(pl.col("kind").is_in(["cluster", "split"]))
        if not rows.height:
            return set()
        ids = self.run.lineage.join(self.run.engine.sql("SELECT record_id, entity_id FROM clusters"),
                                    on="record_id")
        hit = rows.join(ids, left_on=["source_l", "key_l"], right_on=["source", "key"])
        return set(hit["entity_id"].to_list())

    def state(self) -> dict:
        queues = []
        for name in q.QUEUES:
            status = self._status(name)
            queues.append({"name": name, "total": len(status),
                           "done": int(status.is_not_null().sum())})
        return {"reviewer": self.reviewer, "output": str(self.run.output_dir),
                "labels": str(self.store.path), "queues": queues,
                "labels_saved": self.store.rows.height,
                "audit": [{"id": d["id"], "entity_type": d["entity_type"], "size": len(d["units"]),
                           "drawn": d["created_at"]} for d in self.designs]}

    def page(self, name: str, offset: int = 0, limit: int = PAGE, pending: bool = False) -> dict:
        frame = self._queue(name).with_columns(self._status(name))
        total = frame.height
        if pending:
            frame = frame.filter(pl.col("status").is_null())
        rows = frame.slice(max(offset, 0), max(min(limit, 500), 1))
        if "record_id_l" in rows.columns:
            names = self.run.engine.sql("SELECT record_id, name FROM records WHERE record_id IN "
                                        "(SELECT unnest(?::BIGINT[]))",
                                        [rows["record_id_l"].drop_nulls().to_list()
                                         + rows["record_id_r"].drop_nulls().to_list()])
            lookup = dict(names.iter_rows())
            rows = rows.with_columns(
                pl.col("record_id_l").replace_strict(lookup, default=None, return_dtype=pl.Utf8)
                .alias("name_l"),
                pl.col("record_id_r").replace_strict(lookup, default=None, return_dtype=pl.Utf8)
                .alias("name_r"))
        keep = [c for c in ("index", "kind", "entity_type", "reason", "value", "status",
                            "record_id_l", "record_id_r", "name_l", "name_r", "match_probability",
                            "match_weight", "entity_id", "records") if c in rows.columns]
        return {"queue": name, "total": total, "matching": frame.height, "offset": offset,
                "items": rows.select(keep).to_dicts()}

    # --- items ---------------------------------------------------------------------------
    def _queue(self, name: str) -> pl.DataFrame:
        if name not in self.queues:
            raise ReviewError(f"no queue {name!r}")
        return self.queues[name]

    def _row(self, name: str, index: int) -> dict:
        frame = self._queue(name)
        if not 0 <= index < frame.height:
            raise ReviewError(f"queue {name!r} has no item {index}")
        return frame.row(index, named=True)

    def next_pending(self, name: str, index: int) -> int | None:
        """The first undecided item after `index`, wrapping round; None when all are decided."""
        pending = self._status(name).is_null().arg_true().to_numpy()
        later = pending[pending > index]
        return int(later[0]) if len(later) else (int(pending[0]) if len(pending) else None)

    def item(self, name: str, index: int, reveal: bool = False) -> dict:
        row = self._row(name, index)
        if row["kind"] == "pair":
            view = pair_view(self.run, row["record_id_l"], row["record_id_r"], reveal)
        else:
            view = cluster_view(self.run, row["entity_id"], reveal)
        status = self._status(name)
        return {"queue": name, "index": index, "total": len(status), "kind": row["kind"],
                "reason": row["reason"], "status": status[index],
                "next": self.next_pending(name, index), "view": view}

    # --- decisions -----------------------------------------------------------------------
    def _keys(self, left: list[int], right: list[int]) -> list[tuple]:
        lineage = self.run.lineage
        ids = sorted(set(left) | set(right))
        rows = {r["record_id"]: r for r in lineage.filter(pl.col("record_id").is_in(ids)).to_dicts()}
        if len(rows) != len(ids):
            raise ReviewError("a record of the decision is not in this run")
        return [pair_key(rows[a]["entity_type"], rows[a]["source"], rows[a]["key"],
                         rows[b]["source"], rows[b]["key"]) for a, b in zip(left, right)]

    def _record(self, keys: list[tuple], decision: str, kind: str, name: str,
                index: int | None, sample: str | None = None) -> dict:
        action = self.store.decide(keys, decision, reviewer=self.reviewer, kind=kind, queue=name,
                                   sample=sample)
        self.done.append(Done(action, name, index))
        return {"saved": len(keys), "action": action.id,
                "next": self.next_pending(name, index) if index is not None and name in self.queues
                else None}

    def label(self, name: str, index: int, decision: str) -> dict:
        if decision not in DECISIONS:
            raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
        row = self._row(name, index)
        if row["kind"] != "pair":
            raise ReviewError("only a pair is decided same or different; split or confirm a cluster")
        key = tuple(row[c] for c in KEY_COLUMNS)
        return self._record([key], decision, "pair", name, index, row.get("sample"))

    def _cluster_records(self, entity_id: str) -> list[int]:
        return self.run.engine.sql("SELECT record_id FROM clusters WHERE entity_id = ? "
                                   "ORDER BY record_id", [entity_id])["record_id"].to_list()

    def split(self, entity_id: str, records: list[int], name: str = "cluster",
              index: int | None = None) -> dict:
        """The `records` of an entity are a different entity from the rest of it."""
        members = self._cluster_records(entity_id)
        part = sorted(set(int(r) for r in records))
        rest = [r for r in members if r not in part]
        if not part or not rest or not set(part) <= set(members):
            raise ReviewError("choose some, not all, of the entity's records to split off")
        left = [a for a in part for _ in rest]
        right = [b for _ in part for b in rest]
        return self._record(self._keys(left, right), "different", "split", name, index)

    def confirm(self, entity_id: str, name: str = "cluster", index: int | None = None) -> dict:
        """All records of an entity are one entity."""
        members = self._cluster_records(entity_id)
        if len(members) < 2:
            raise ReviewError(f"entity {entity_id} has one record: nothing to confirm")
        return self._record(self._keys(members[:1] * (len(members) - 1), members[1:]), "same",
                            "cluster", name, index)

    def undo(self) -> dict:
        """Undo this session's last decision; where to go back to."""
        if not self.done:
            raise ReviewError("nothing to undo in this session")
        last = self.done.pop()
        self.store.undo(last.action, self.reviewer)
        return {"undone": len(last.action.pairs), "queue": last.queue, "index": last.index}
