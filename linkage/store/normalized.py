"""The normalized records kept in the entity store, so a month normalizes only its new and
changed rows.

Normalizing is value by value (`linkage.normalize`): a raw row gives the same normalized row
whenever it is read with the same columns, for the same entity type and region, by the same
normalizer code and reference data.  So each raw row of a run against a store gets a cache key:
two 64-bit hashes of its values (every column `normalize_records` reads but `record_id` and
`source_row`, which only number the row), seeded by a digest of everything else its
normalization depends on (`context`: the entity type, the config's region, the raw frame's
columns and their types, and `fingerprint()`: the source of linkage/normalize/ and of the
modules it imports, the reference data it loads, and the versions of the libraries it calls —
polars' among them, whose row hash is stable only within a version).  A row whose key the store
holds takes its normalized row from it; only the others are normalized.  One table per entity
type:

| table | content |
|---|---|
| `store_normalized_<entity type>` | key_a, key_b (the cache key), then the columns of table `records` of that entity type as normalized, `record_id` and `source_row` null (each run numbers its own rows) |

Each run leaves in the tables the rows of its own records only (rows gone from the exports
leave them; quarantined rows, which are never records, are not kept), written with the rest of
the store in its transaction (`linkage.store`); `--full` ignores them and writes them afresh.
The functions take an open DuckDB connection to the store (`linkage.store` owns it).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Self

import numpy as np
import polars as pl
import pyarrow as pa

import linkage
from linkage.attributes import ENTITY_TYPES

PACKAGE = Path(linkage.__file__).parent
# what normalizing reads besides the row (tests/store/test_normalized.py checks the lists
# against linkage/normalize/'s imports and data files)
CODE = ("normalize/**/*.py", "attributes.py", "columns.py")
DATA = ("data/admin/*", "data/phones/*", "data/regions/*")
LIBRARIES = ("numpy", "opencc", "phonenumbers", "polars", "pypinyin")
NUMBERS = ("record_id", "source_row")
KEYS = ("key_a", "key_b")


def table_name(entity_type: str) -> str:
    return f"store_normalized_{entity_type}"


@functools.cache
def fingerprint(package: Path = PACKAGE) -> str:
    """A digest of the normalizer code and reference data under `package` and of the versions
    of the libraries normalizing calls."""
    return files_digest(CODE + DATA, package, LIBRARIES)


def files_digest(patterns: tuple[str, ...], package: Path = PACKAGE,
                 libraries: tuple[str, ...] = ()) -> str:
    """A digest of the files under `package` matching `patterns` (paths and contents) and of
    the installed versions of `libraries`."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(p for p in package.glob(pattern) if p.is_file()):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in libraries:
        digest.update(f"{name}=={metadata.version(name)}\0".encode())
    return digest.hexdigest()


def context(raw: pl.DataFrame, entity_type: str, region: str | None) -> str:
    """Everything besides a row's values that its normalized row depends on."""
    columns = ", ".join(f"{name}: {dtype}" for name, dtype in raw.schema.items())
    return f"{entity_type}; region {region or '-'}; columns {columns}; code {fingerprint()}"


def cache_keys(raw: pl.DataFrame, entity_type: str, region: str | None) -> pl.DataFrame:
    """key_a, key_b of each row of `raw` (one entity type's raw records, as `normalize_records`
    takes them), in its order."""
    seeds = hashlib.sha256(context(raw, entity_type, region).encode()).digest()
    values = raw.drop(*NUMBERS, strict=False)
    return pl.DataFrame([values.hash_rows(seed=int.from_bytes(seeds[i:i + 8], "big")).alias(k)
                         for i, k in zip((0, 8), KEYS)])


@dataclass
class CachedRows:
    """One entity type's raw records in a run: which of them the store holds normalized
    (`todo_ids`: the others, to be normalized), their normalized rows (`normalized`) and what the
    store is to keep of them (`keep`)."""

    entity_type: str
    keys: pl.DataFrame  # record_id, key_a, key_b, hit
    con: object | None
    scratch: Path
    kept: list[pl.DataFrame] = field(default_factory=list)  # the keys of the run's records
    fresh: list[Path] = field(default_factory=list)  # the rows normalized afresh, to store

    @property
    def todo_ids(self) -> pl.Series:
        """The record ids of the rows to normalize afresh."""
        return self.keys.filter(~pl.col("hit"))["record_id"]

    @property
    def hits(self) -> int:
        return int(self.keys["hit"].sum())

    def normalized(self, chunk: pl.DataFrame, normalize: Callable[[pl.DataFrame], pl.DataFrame]
                   ) -> pl.DataFrame:
        """What `normalize(chunk)` gives, for a chunk of the raw records: the rows the store
        holds are read from it, `normalize` is given the others."""
        keys = chunk.select("record_id").join(self.keys, on="record_id", how="left",
                                              maintain_order="left")
        hit = keys["hit"]
        if not hit.any():
            return normalize(chunk)
        stored = self._stored(keys.filter(hit).join(chunk.select(NUMBERS), on="record_id")
                              .select(*KEYS, *NUMBERS))
        if hit.all():
            parts = [stored]
        else:
            fresh = normalize(chunk.filter(~hit))
            parts = [fresh, stored.select(fresh.columns)]
        return chunk.select("record_id").join(pl.concat(parts), on="record_id", how="left",
                                              maintain_order="left")

    def _stored(self, wanted: pl.DataFrame) -> pl.DataFrame:
        """The stored rows of `wanted` (key_a, key_b, record_id, source_row), numbered as they."""
        self.con.register("_wanted", wanted.to_arrow())
        try:
            return self.con.sql(f"""
                SELECT c.* EXCLUDE (key_a, key_b)
                       REPLACE (w.record_id AS record_id, w.source_row AS source_row)
                FROM {table_name(self.entity_type)} c
                JOIN _wanted w ON c.key_a = w.key_a AND c.key_b = w.key_b""").pl()
        finally:
            self.con.unregister("_wanted")

    def keep(self, records: pl.DataFrame) -> None:
        """Note the normalized rows that became records (a part of a chunk, after quarantine):
        those the store lacks go to a scratch file until `NormalizedCache.write`."""
        keys = records.select("record_id").join(self.keys, on="record_id", how="left",
                                                maintain_order="left")
        self.kept.append(keys.select(KEYS))
        fresh = ~keys["hit"]
        if fresh.any():
            path = self.scratch / f"{self.entity_type}-{len(self.fresh)}.arrow"
            pl.concat([keys.select(KEYS).filter(fresh), records.filter(fresh).with_columns(
                pl.lit(None, records.schema[c]).alias(c) for c in NUMBERS)], how="horizontal"
            ).write_ipc(path, compat_level=pl.CompatLevel.newest())
            self.fresh.append(path)


class NormalizedCache:
    """One run's use of the store's normalized rows: `rows` per entity type while normalizing
    (the store read through `con`, None when nothing is to be read from it: no store yet, or
    `--full`), `write` into the store's new state.  Closing it closes `con`; what was noted
    for `write` stays."""

    def __init__(self, con, scratch: Path):
        self.con = con
        self.scratch = scratch
        self.entities: dict[str, CachedRows] = {}
        self.tables = set() if con is None else {
            r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def rows(self, entity_type: str, region: str | None,
             chunks: Iterable[pl.DataFrame]) -> CachedRows:
        """The `CachedRows` of one entity type's raw records, normalized for `region`; `chunks`
        are the records (as `normalize_records` takes them) a part at a time."""
        keys = pl.concat([pl.concat([chunk.select("record_id"),
                                     cache_keys(chunk, entity_type, region)], how="horizontal")
                          for chunk in chunks])
        if table_name(entity_type) in self.tables:
            stored = self.con.sql(f"SELECT key_a, key_b, true AS hit FROM {table_name(entity_type)}").pl()
            keys = keys.join(stored, on=list(KEYS), how="left", maintain_order="left")
            keys = keys.with_columns(pl.col("hit").fill_null(False))
        else:
            keys = keys.with_columns(pl.lit(False).alias("hit"))
        self.scratch.mkdir(parents=True, exist_ok=True)
        rows = CachedRows(entity_type, keys, self.con, self.scratch)
        self.entities[entity_type] = rows
        return rows

    @property
    def figures(self) -> dict[str, dict]:
        """Per entity type: the raw rows normalized afresh and those read from the store."""
        return {e: {"normalized_rows": r.keys.height - r.hits, "stored_rows": r.hits}
                for e, r in self.entities.items()}

    def write(self, con) -> None:
        """Leave in the store the normalized rows of this run's records (inside the caller's
        transaction, on the store's new state)."""
        present = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        for entity_type in ENTITY_TYPES:
            table, rows = table_name(entity_type), self.entities.get(entity_type)
            kept = pl.concat(rows.kept).unique() if rows is not None and rows.kept else None
            if kept is None:
                con.execute(f"DROP TABLE IF EXISTS {table}")
                continue
            fresh = [pa.ipc.open_file(pa.memory_map(str(p))).read_all() for p in rows.fresh]
            if fresh:
                fresh = pa.concat_tables(fresh)
                con.register("_fresh", fresh.append_column(
                    "_n", pa.array(np.arange(fresh.num_rows, dtype=np.int64))))
            # one row per key (a raw row keyed twice in an export is one normalized row), by
            # the keys and a row number alone: DISTINCT ON would hash every column of every row
            once = ("SELECT * EXCLUDE (_n) FROM _fresh WHERE _n IN "
                    "(SELECT min(_n) FROM _fresh GROUP BY key_a, key_b)")
            if rows.hits and table in present:  # the rest of the table is as this run read it
                con.register("_kept", kept.to_arrow())
                con.execute(f"DELETE FROM {table} c WHERE NOT EXISTS (SELECT 1 FROM _kept k "
                            "WHERE k.key_a = c.key_a AND k.key_b = c.key_b)")
                if fresh:
                    con.execute(f"INSERT INTO {table} BY NAME {once}")
            else:
                con.execute(f"DROP TABLE IF EXISTS {table}")
                con.execute(f"CREATE TABLE {table} AS {once}")
