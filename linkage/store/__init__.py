"""The entity store of monthly runs: stable entity ids, their history, the runs' figures, and
what makes a run incremental.

A config with `store: path/to/x.duckdb` names its runs' entities by a store that outlives the
runs, scores with the stored model unless retrained (`linkage.store.models`), and compares only
the candidate pairs with a new or changed record: the levels of pairs between records unchanged
since the last run are carried from the store (`linkage.store.pairs`,
`linkage.link.incremental`; `--full` compares every pair again).  It keeps
per source the records last seen (by record key, `linkage.store.keys`), the entity id each
record had, every id ever given, the id changes of every run and each run's figures:

| table | content |
|---|---|
| `store_records` | source, record_key, entity_type, entity_id, row_hash, first_run, last_run |
| `entity_ids` | entity_type, entity_id, created_run, retired_run (null while in use); never reused |
| `id_counters` | entity_type, next_number: the number of the next new id |
| `entity_history` | run, entity_type, kind (new / merged / split / retired), old_id, new_id, records, record_keys |
| `runs` | run, finished_at, output, config |
| `run_figures` | run, entity_type, records, entities, redundant_records, hours_per_year, new, merged, split, retired, added_records, changed_records, removed_records, unchanged_records |
| `store_models`, `store_model_params` | the model per entity type the next run reuses (`linkage.store.models`) |
| `store_pairs`, `store_pair_settings` | every candidate pair of the last run, with its levels, term frequencies and second-pass placement (`linkage.store.pairs`) |
| `store_normalized_<entity type>` | the normalized rows of the last run's records, by their raw rows' hash (`linkage.store.normalized`) |

How a run uses it (`StoreRun`, driven by linkage.pipeline): `StoreRun(path)` takes the
store's lock (a second run against the same store is refused) and reads its state;
`normalized` hands the normalize stage the stored normalized rows of unchanged raw rows; `carry`
computes the records' keys and hands linking the stored pairs of unchanged records; `assign`
renames the run's clusters by the store's ids (`linkage.store.ids`), adds each record's
`record_key` and `row_hash` to them, and writes tables `entity_history`,
`record_changes` and `held_decisions` (the decisions kept from the last run that comparing and
weighing afresh would take otherwise: `linkage.link.incremental.HELD_COLUMNS`) of this run into
the run's database; `prepare` writes the new state into a
copy of the store file beside it (`.<name>.building-<pid>`) and tables `store_runs` (the trend
of every run, this one included) into the run's database; `commit` swaps the copy in with one
rename, just before the run's output is swapped in.  A run that fails or is killed at any point
before that rename leaves the store file exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import ExitStack
from pathlib import Path

import duckdb
import polars as pl

from linkage import outputs
from linkage.config import Config
from linkage.errors import OutputError, RunError
from linkage.link.incremental import HELD_COLUMNS, Carry
from linkage.store import pairs as store_pairs
from linkage.store.ids import stable_ids
from linkage.store.keys import record_keys
from linkage.store.models import SCHEMA as MODEL_SCHEMA
from linkage.store.models import load_models, trained_models
from linkage.store.normalized import NormalizedCache
from linkage.store.pairs import SCHEMA as PAIRS_SCHEMA

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_records (source VARCHAR, record_key VARCHAR, entity_type VARCHAR,
    entity_id VARCHAR, row_hash VARCHAR, first_run BIGINT, last_run BIGINT);
CREATE TABLE IF NOT EXISTS entity_ids (entity_type VARCHAR, entity_id VARCHAR, created_run BIGINT,
    retired_run BIGINT);
CREATE TABLE IF NOT EXISTS id_counters (entity_type VARCHAR, next_number BIGINT);
CREATE TABLE IF NOT EXISTS entity_history (run BIGINT, entity_type VARCHAR, kind VARCHAR,
    old_id VARCHAR, new_id VARCHAR, records BIGINT, record_keys VARCHAR[]);
CREATE TABLE IF NOT EXISTS runs (run BIGINT, finished_at VARCHAR, output VARCHAR, config VARCHAR);
CREATE TABLE IF NOT EXISTS run_figures (run BIGINT, entity_type VARCHAR, records BIGINT,
    entities BIGINT, redundant_records BIGINT, hours_per_year DOUBLE, new BIGINT, merged BIGINT,
    split BIGINT, retired BIGINT, added_records BIGINT, changed_records BIGINT,
    removed_records BIGINT, unchanged_records BIGINT);
""" + MODEL_SCHEMA + PAIRS_SCHEMA
_KINDS = ("new", "merged", "split", "retired")
_CHANGES = ("added", "changed", "removed", "unchanged")


class StoreRun:
    """One run's use of the store (see the module docstring)."""

    def __init__(self, path: Path, limits: dict | None = None):
        """`limits`: DuckDB settings every connection to the store is opened with (the run's
        `engine.memory_limit` and `threads`, so the store's buffers stay within them too)."""
        self.path = path
        self.limits = dict(limits or {})
        self.building = path.with_name(f".{path.name}.building-{os.getpid()}")
        self._held = ExitStack()
        self.keys: pl.DataFrame | None = None  # this run's record keys (`carry`)
        self.carried: Carry | None = None
        self.cache: NormalizedCache | None = None
        self._held.enter_context(outputs.lock(path, f"another linkage run is using the entity store {path}"))
        try:
            self._read()
        except BaseException:
            self.close()
            raise

    def _connect(self, path: Path | None = None, read_only: bool = False):
        """A DuckDB connection to `path` (in memory when None) within the run's limits."""
        return duckdb.connect(":memory:" if path is None else str(path), read_only=read_only,
                              config=self.limits)

    def _read(self) -> None:
        for stale in self.path.parent.glob(f".{self.path.name}.building-*"):
            stale.unlink(missing_ok=True)  # left by a killed run (we hold the lock)
        tables = {"store_records": None, "entity_ids": None, "id_counters": None, "runs": None,
                  "store_models": None, "store_model_params": None}
        if self.path.exists():
            try:
                with self._connect(self.path, read_only=True) as con:
                    present = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
                    if not {"store_models", "store_model_params"} <= present:  # a store from before
                        con.sql("ATTACH ':memory:' AS _empty")
                        con.execute(MODEL_SCHEMA.replace("EXISTS ", "EXISTS _empty."))
                    for name in tables:
                        where = name if name in present else f"_empty.{name}"
                        tables[name] = con.sql(f"SELECT * FROM {where}").pl()
            except duckdb.Error as exc:
                raise OutputError(f"{self.path}: not a linkage entity store ({exc})") from None
        else:
            with self._connect() as con:
                con.execute(_SCHEMA)
                for name in tables:
                    tables[name] = con.sql(f"SELECT * FROM {name}").pl()
        self.previous = tables["store_records"]
        self.ages = tables["entity_ids"]
        self.counters = dict(tables["id_counters"].iter_rows())
        self.run = int(tables["runs"]["run"].max() or 0) + 1
        self.models = load_models(tables["store_models"], tables["store_model_params"])

    def normalized(self, scratch: Path, full: bool = False) -> NormalizedCache:
        """This run's cache of normalized rows (`linkage.store.normalized`), reading the store's
        unless `full`; its scratch files go to folder `scratch` (which must last until `prepare`).
        Close it (a context manager) once normalized."""
        if full or not self.path.exists():
            self.cache = NormalizedCache(None, scratch)
            return self.cache
        try:
            self.cache = NormalizedCache(self._connect(self.path, read_only=True), scratch)
        except duckdb.Error as exc:
            raise OutputError(f"{self.path}: not a linkage entity store ({exc})") from None
        return self.cache

    def carry(self, engine, config: Config, full: bool = False) -> Carry:
        """What this run carries from the store (`linkage.link.incremental`): the levels of the
        stored pairs between records of table `records` unchanged since the last run (none
        when `full`); the run fills in what it compared, for `prepare` to keep."""
        self.keys = record_keys(engine, config, "records")
        unchanged = self.keys.join(self.previous.select("source", "record_key", "row_hash"),
                                   on=["source", "record_key", "row_hash"], how="semi")
        self.carried = Carry({}, {})
        if full or not self.path.exists():
            return self.carried
        try:
            with self._connect(self.path, read_only=True) as con:
                present = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
                self.carried = store_pairs.load_carry(con, unchanged, present,
                                                      store_pairs.made_with(config))
        except duckdb.Error as exc:
            raise OutputError(f"{self.path}: not a linkage entity store ({exc})") from None
        return self.carried

    def assign(self, engine, config: Config) -> dict:
        """Rename table `clusters`' entity ids by the store's; write this run's `entity_history`
        and `record_changes`; return the figures of metrics.json's "store"."""
        keys = self.keys if self.keys is not None else record_keys(engine, config)
        clusters = engine.sql("SELECT * FROM clusters ORDER BY record_id")
        current = keys.join(clusters.select("record_id", pl.col("entity_id").alias("cluster")),
                            on="record_id")
        self.assigned = stable_ids(current, self.previous, self.ages, self.counters, self.run)
        self.records = keys.join(self.assigned.ids, on="record_id")
        engine.load("clusters", clusters.drop("entity_id").join(self.assigned.ids, on="record_id")
                    .join(keys.select("record_id", "record_key", "row_hash"), on="record_id")
                    .sort("record_id"))
        self.changes = _record_changes(self.records, self.previous)
        engine.load("entity_history", self.assigned.history)
        engine.load("record_changes", self.changes)
        differences = self.carried.differences if self.carried is not None else []
        engine.load("held_decisions", pl.concat(differences) if differences
                    else pl.DataFrame(schema=HELD_COLUMNS))
        return self._figures()

    def _figures(self) -> dict:
        history = self.assigned.history
        out = {"run": self.run, "path": str(self.path)}
        for entity_type in sorted(self.records["entity_type"].unique().to_list()):
            kinds = history.filter(pl.col("entity_type") == entity_type)["kind"].value_counts()
            changes = self.changes.filter(pl.col("entity_type") == entity_type)
            out[entity_type] = {
                **{k: int(kinds.filter(pl.col("kind") == k)["count"].sum()) for k in _KINDS},
                **{f"{c}_records": int(changes[c].sum()) for c in _CHANGES},
                **(self.carried.figures.get(entity_type, {}) if self.carried else {}),
                **(self.cache.figures.get(entity_type, {}) if self.cache else {}),
            }
        return out

    def prepare(self, engine, figures: dict, measure: dict, output: Path, config: Config) -> None:
        """Write the store's new state into a copy beside it and table `store_runs` (every
        run's figures, this one's included) into the run's database."""
        overview, hours = measure.get("overview", {}), measure.get("reentry", {}).get("totals", {})
        rows = [{"run": self.run, "entity_type": e,
                 "records": overview.get(e, {}).get("records"), "entities": overview.get(e, {}).get("entities"),
                 "redundant_records": overview.get(e, {}).get("redundant_records"),
                 "hours_per_year": float(hours.get(e, {}).get("hours_per_year") or 0.0),
                 **{k: figures[e][k] for k in _KINDS},
                 **{f"{c}_records": figures[e][f"{c}_records"] for c in _CHANGES}}
                for e in figures if isinstance(figures[e], dict)]
        run_row = pl.DataFrame([{"run": self.run, "finished_at": dt.datetime.now().isoformat(timespec="seconds"),
                                 "output": str(output), "config": str(config.config_path or "")}])
        stored = self.records.join(
            self.previous.select("source", "record_key", "first_run"), on=["source", "record_key"],
            how="left").select(
            "source", "record_key", "entity_type", "entity_id", "row_hash",
            pl.col("first_run").fill_null(self.run).cast(pl.Int64), pl.lit(self.run, pl.Int64).alias("last_run"))
        models = trained_models(engine, self.run)
        gone = self.assigned.history.filter(pl.col("kind").is_in(["merged", "retired"]))["old_id"].unique()
        if self.path.exists():
            shutil.copyfile(self.path, self.building)
        try:
            with self._connect(self.building) as con:
                con.execute("BEGIN")
                con.execute(_SCHEMA)
                con.register("_records", stored.to_arrow())
                con.register("_created", self.assigned.created.to_arrow())
                con.register("_history", self.assigned.history.to_arrow())
                con.register("_figures", pl.DataFrame(rows).to_arrow())
                con.register("_run", run_row.to_arrow())
                con.register("_gone", pl.DataFrame({"entity_id": gone}).to_arrow())
                con.register("_counters", pl.DataFrame(
                    list(self.assigned.next_number.items()), schema=["entity_type", "next_number"],
                    orient="row").to_arrow())
                con.execute("DELETE FROM store_records")
                con.execute("INSERT INTO store_records SELECT * FROM _records")
                con.execute(f"UPDATE entity_ids SET retired_run = {self.run} "
                            "WHERE entity_id IN (SELECT entity_id FROM _gone) AND retired_run IS NULL")
                con.execute("INSERT INTO entity_ids SELECT entity_type, entity_id, created_run, NULL FROM _created")
                con.execute("DELETE FROM id_counters")
                con.execute("INSERT INTO id_counters SELECT * FROM _counters")
                con.execute("INSERT INTO entity_history SELECT * FROM _history")
                con.execute("INSERT INTO run_figures BY NAME SELECT * FROM _figures")
                con.execute("INSERT INTO runs SELECT * FROM _run")
                if self.carried is not None:
                    store_pairs.write(con, self.carried, self.records, store_pairs.made_with(config))
                if self.cache is not None:
                    self.cache.write(con)
                if models is not None:  # the models this run trained replace the stored ones
                    con.register("_models", models[0].to_arrow())
                    con.register("_params", models[1].to_arrow())
                    for table, frame in (("store_models", "_models"), ("store_model_params", "_params")):
                        con.execute(f"DELETE FROM {table} WHERE entity_type IN "
                                    f"(SELECT entity_type FROM {frame})")
                        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {frame}")
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
                trend = con.sql("SELECT * FROM run_figures ORDER BY run, entity_type").pl()
            with open(self.building, "rb") as f:
                os.fsync(f.fileno())
        except duckdb.Error as exc:
            raise RunError(f"{self.path}: the entity store could not be written ({exc})") from None
        engine.load("store_runs", trend)

    def commit(self) -> None:
        """Swap the prepared copy in (one rename)."""
        os.replace(self.building, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def close(self) -> None:
        """Drop an uncommitted copy and release the lock."""
        if self.cache is not None:
            self.cache.close()
        self.building.unlink(missing_ok=True)
        self._held.close()


def _record_changes(records: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Per entity type and source: records added, changed (same key, other content), removed
    and unchanged since the store's last run."""
    both = records.join(previous.select("source", "record_key", pl.col("row_hash").alias("old_hash")),
                        on=["source", "record_key"], how="left")
    now = both.group_by("entity_type", "source").agg(
        pl.col("old_hash").is_null().sum().alias("added"),
        (pl.col("old_hash").is_not_null() & (pl.col("old_hash") != pl.col("row_hash"))).sum().alias("changed"),
        (pl.col("old_hash") == pl.col("row_hash")).sum().alias("unchanged"))
    removed = previous.join(records.select("source", "record_key"), on=["source", "record_key"],
                            how="anti").group_by("entity_type", "source").agg(pl.len().alias("removed"))
    return (now.join(removed, on=["entity_type", "source"], how="full", coalesce=True)
            .select("entity_type", "source", *(pl.col(c).fill_null(0).cast(pl.Int64) for c in _CHANGES))
            .sort("entity_type", "source"))

