"""Run the stages of a linkage run in order, with progress lines and per-stage timings.

read → normalize → link → measure → unify → report, every table in `<output>/linkage.duckdb`
(a Spark run, `engine: {kind: spark}`, keeps them as Parquet under `<output>/tables/` and
copies them there at the end) and the files of the output contract beside it.  The run checks, per source, that
rows in = records + quarantined and fails loudly otherwise.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import polars as pl

from linkage import __version__
from linkage import quarantine as q
from linkage.attributes import ATTRIBUTES, ENTITY_TYPES
from linkage.config import Config
from linkage.connectors import read_source
from linkage.connectors.mapping import (canonical_frame, map_columns, mapping_frame,
                                       unmapped_message)
from linkage.connectors.server import mask_url
from linkage.connectors.spill import SpilledRecords
from linkage.engine import Engine, open_engine, open_run_engine
from linkage import outputs
from linkage.errors import ConfigError, OutputError, RunError, SourceError
from linkage.measure.masking import mask_json
from linkage.link import run_linkage
from linkage.measure import run_measure
from linkage.normalize import Memo, normalize_records, release_reference_data
from linkage.quarantine import QUARANTINE_SCHEMA
from linkage.report import render_report
from linkage.unify import run_unify

if TYPE_CHECKING:
    from linkage.store.normalized import NormalizedCache

# records normalized and appended to table `records` at a time: what normalize holds in Python
CHUNK_ROWS = 200_000
IDENTIFYING = {
    "person": ("name", "id_number"),
    "enterprise": ("name", "uscc", "org_code", "reg_number"),
}


@dataclass
class StageLog:
    echo: Callable[[str], None] = print
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, label: str):
        index = len(self.timings) + 1
        self.echo(f"[{index}] {label} …")
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.timings[name] = round(seconds, 3)
        self.echo(f"    {label} done in {seconds:.1f} s")


def _quarantine_frame(source: str, entries: pl.DataFrame) -> pl.DataFrame:
    return entries.select(pl.lit(source).alias("source"), *QUARANTINE_SCHEMA)


def read_sources(config: Config, engine: Engine, workdir: Path, log: StageLog) -> SpilledRecords:
    """Read every source, map its columns, and write sources/source_columns/quarantine; return
    the raw records (numbered source by source, in the order of the sources' keys), spilled to
    files in `workdir` as each source is mapped, which go to table raw_records in the
    background."""
    spilled = SpilledRecords(workdir / "raw", CHUNK_ROWS)
    quarantine, columns, sources = [], [], []
    next_id = 1
    # sources are read two at a time (CSV parsing and Excel unzipping leave the GIL), then
    # mapped and numbered one by one in config order
    with ThreadPoolExecutor(2, thread_name_prefix="linkage-read") as pool:
        reads = {key: pool.submit(read_source, config, key, workdir) for key in config.sources}
    # records are numbered source by source in the order of the sources' keys, not of the
    # config file: the same exports give the same run whatever order a config lists them in
    for key, source in sorted(config.sources.items()):
        where = mask_url(source.url) if source.url else str(config.source_path(source))
        try:
            table = reads.pop(key).result()  # the source's raw table is freed once mapped
            mappings = map_columns(table, source.entity, source.columns, where)
            if unusable := unmapped_message(table, mappings, source.entity, where):
                raise SourceError(unusable)
        except SourceError as exc:
            raise RunError(f"source {key!r}: {exc}") from None
        frame = canonical_frame(table, mappings).with_columns(
            pl.lit(key).alias("source"), pl.lit(source.entity).alias("entity_type"))
        frame = frame.with_row_index("record_id", offset=next_id).with_columns(
            pl.col("record_id").cast(pl.Int64))
        next_id += frame.height
        spilled.add(source.entity, frame)
        del frame
        quarantine.append(_quarantine_frame(key, table.quarantine))
        columns.append(mapping_frame(key, mappings))
        sources.append({
            "source": key, "system": config.system_of(key), "title": source.title or key,
            "entity_type": source.entity, "path": where, "format": source.format,
            "encoding": table.encoding, "header_row": table.header_row, "rows_in": table.rows_in,
            "read_quarantined": table.quarantine.height,
            "updates_per_year": source.updates_per_year,
        })
        mapped = sum(1 for m in mappings if m.attribute)
        log.echo(f"    {key}: {table.rows_in} rows, {mapped}/{len(mappings)} columns mapped, "
                 f"{table.quarantine.height} quarantined"
                 + (f", encoding {table.encoding}" if table.encoding else ""))
        del table  # its unmapped columns live on only as `extras`
    engine.load_in_background("raw_records", spilled.dataset(ENTITY_TYPES))
    engine.load("quarantine", pl.concat(quarantine))
    engine.load("source_columns", pl.concat(columns))
    engine.load("sources", pl.DataFrame(sources, schema_overrides={
        "updates_per_year": pl.Float64, "encoding": pl.Utf8, "header_row": pl.Int64}))
    return spilled


def normalize_stage(config: Config, engine: Engine, raw: SpilledRecords,
                    cache: NormalizedCache | None = None) -> None:
    """Normalize each entity type's raw records into table `records`; rows with nothing to
    link on go to quarantine.  The raw records are read from their spill files `CHUNK_ROWS` at
    a time and each chunk, normalized, is appended to the table while the next is made, so
    neither the raw nor the normalized records sit in Python all at once; a `Memo` normalizes
    the costly columns' distinct values once for all the chunks.  With the entity store's
    `cache`, rows it holds normalized are read from it and only the others normalized
    (`linkage.store.normalized`).  Later stages read the table."""
    unusable, usable = [], 0
    for entity in ENTITY_TYPES:
        if raw.rows(entity):
            usable += _normalize_entity(config, engine, raw, entity, cache, unusable)
    engine.settle("records")
    release_reference_data()
    if not usable:
        raise RunError("nothing to link: no source holds a usable data row (every source is "
                       "empty, holds only its header, or has no name or ID in any row); see "
                       "`linkage profile FILE`")
    bad = pl.concat(unusable)
    if bad.height:
        engine.load("_unusable", bad)
        engine.execute("INSERT INTO quarantine SELECT * FROM _unusable")
        engine.execute("DROP TABLE _unusable")


def _normalize_entity(config: Config, engine: Engine, raw: SpilledRecords, entity: str,
                      cache: NormalizedCache | None, unusable: list[pl.DataFrame]) -> int:
    """Normalize one entity type's raw records into table `records` (see `normalize_stage`);
    rows with nothing to link on are added to `unusable`.  Returns the records made."""
    usable = 0
    columns = [c for c in raw.schema(entity) if c in _entity_columns(entity)]
    cached, todo = None, None
    if cache is not None:
        cached = cache.rows(entity, config.region, raw.chunks(entity, columns))
        if cached.hits:  # else every row is to be normalized: no filter on record ids
            todo = cached.todo_ids
    memo = Memo(entity, config.region, functools.partial(raw.distinct, entity, among=todo))
    normalize = functools.partial(normalize_records, entity_type=entity,
                                  region_hint=config.region, memo=memo)
    reason = q.entry(0, "no_identifying_value", None, attributes=list(IDENTIFYING[entity]))
    for chunk in raw.chunks(entity, columns):
        normalized = normalize(chunk) if cached is None else cached.normalized(chunk, normalize)
        keys = [k for k in IDENTIFYING[entity] if k in normalized.columns]
        blank = (pl.all_horizontal([pl.col(k).is_null() for k in keys]) if keys
                 else pl.repeat(True, normalized.height))
        mask = normalized.select(blank.alias("blank"))["blank"]
        unusable.append(chunk.filter(mask).select(
            "source", "source_row", pl.lit(None, pl.Int64).alias("line"),
            *(pl.lit(reason[c]).alias(c) for c in ("code", "detail", "reason")),
            pl.struct(pl.exclude("record_id", "source", "source_row", "entity_type"))
            .struct.json_encode().alias("raw")))
        part = normalized.filter(~mask)
        if cached is not None:
            cached.keep(part)
        usable += part.height
        engine.append_in_background("records", part)  # written while the next chunk is made
        del chunk, normalized, mask, part
    return usable


def _entity_columns(entity: str) -> set[str]:
    return {"record_id", "source", "source_row", "source_key", "entity_type", "extras",
            *ATTRIBUTES[entity]}


def row_accounting(engine: Engine) -> pl.DataFrame:
    """rows_in = records + quarantined, per source; raises RunError when any source is off."""
    table = engine.sql("""
        SELECT s.source, s.rows_in,
               coalesce(r.n, 0) AS records, coalesce(q.n, 0) AS quarantined,
               s.rows_in = coalesce(r.n, 0) + coalesce(q.n, 0) AS balanced
        FROM sources s
        LEFT JOIN (SELECT source, count(*) n FROM records GROUP BY source) r USING (source)
        LEFT JOIN (SELECT source, count(*) n FROM quarantine GROUP BY source) q USING (source)
        ORDER BY s.source""")
    engine.load("row_accounting", table)
    off = table.filter(~pl.col("balanced"))
    if off.height:
        lines = [f"{r['source']}: {r['rows_in']} rows in but {r['records']} records + "
                 f"{r['quarantined']} quarantined" for r in off.to_dicts()]
        raise RunError("row accounting failed (rows were lost):\n" + "\n".join(lines))
    return table


def write_outputs(engine: Engine, out: Path) -> None:
    engine.export_parquet("records", out / "records.parquet")  # in table order: entity type, record_id
    engine.export_parquet("quarantine", out / "quarantine.parquet", order_by="source, source_row")
    engine.export_parquet("pairs", out / "pairs.parquet", order_by="record_id_l, record_id_r")
    engine.export_parquet("clusters", out / "clusters.parquet", order_by="record_id")


def plan_blocking(config: Config, echo: Callable[[str], None] = print) -> list[tuple]:
    """Read and normalize the sources (nothing is written) and plan each entity type's blocking:
    [(entity type, records, Blocking)] — what `linkage plan` prints."""
    import tempfile

    from linkage.link.comparisons import compile_comparisons
    from linkage.link.run import prepare_blocking

    log = StageLog(lambda _m: None)
    engine = open_engine(None, **config.engine.duckdb_limits())
    try:
        with tempfile.TemporaryDirectory(prefix="linkage-plan-") as workdir:
            raw = read_sources(config, engine, Path(workdir), log)
            normalize_stage(config, engine, raw)
            engine.settle()  # raw_records is read from the spill files in `workdir`
        out = []
        for entity in ENTITY_TYPES:
            count = engine.scalar("SELECT count(*) FROM records WHERE entity_type = ?", [entity])
            if count:
                settings = config.linkage_for(entity).resolved(entity)
                blocking = prepare_blocking(engine, entity, settings,
                                            compile_comparisons(settings.comparisons))
                out.append((entity, count, blocking))
    finally:
        engine.close()
    return out


def run(config: Config, echo: Callable[[str], None] = print, retrain: str | None = None) -> dict:
    """Run the whole pipeline for a loaded config; returns the metrics dict written to metrics.json.

    A run against an entity store reuses the store's model (`linkage.store.models`) unless
    `retrain` gives a reason to train afresh (the CLI's "--retrain" or "--full").

    Everything is built in a fresh folder beside the output and swapped in only when the whole
    run succeeded (`linkage.outputs`): a failed or killed run leaves the previous output whole."""
    target = config.output_dir()
    inputs = [config.source_path(s) for s in config.sources.values() if s.path is not None]
    if config.config_path is not None:
        inputs.append(config.config_path)
    log = StageLog(echo)
    store = _open_store(config)
    try:
        with outputs.building(target, inputs) as out:
            metrics = _run_stages(config, out, log, store, retrain)
            if store is not None:  # the store first: an output never names ids the store lacks
                store.commit()
    except OSError as exc:
        raise OutputError(f"{exc.filename or target}: {exc.strerror or exc}") from None
    finally:
        if store is not None:
            store.close()
    echo(f"done: {target}")
    return metrics


def _open_store(config: Config):
    """The run's use of the entity store named by `store:` (linkage.store), or None."""
    path = config.store_path()
    if path is None:
        return None
    from linkage.store import StoreRun

    if path.is_relative_to(config.output_dir()):
        raise ConfigError(f"{config.config_path or 'config'}: `store`: {path} is inside the output "
                          f"folder {config.output_dir()}, which each run replaces; keep it outside")
    return StoreRun(path, config.engine.duckdb_limits())


def _run_stages(config: Config, out: Path, log: StageLog, store=None,
                retrain: str | None = None) -> dict:
    workdir = out / ".work"
    workdir.mkdir()
    engine = open_run_engine(config.engine, out)
    try:
        with log.stage("read", "read sources"):
            raw = read_sources(config, engine, workdir, log)
        with log.stage("normalize", "normalize"):
            cache = (store.normalized(workdir / "normalized", full=retrain == "--full")
                     if store is not None else nullcontext())
            with cache as cached:
                normalize_stage(config, engine, raw, cached)
            del raw
            accounting = row_accounting(engine)
        carry = None
        if store is not None:  # incremental: the levels of unchanged records' pairs are carried
            with log.stage("carry", "pairs kept in the entity store"):
                engine.settle("raw_records")
                carry = store.carry(engine, config, full=retrain == "--full")
        with log.stage("link", "link"):
            link_stats = run_linkage(engine, {e: config.linkage_for(e) for e in ENTITY_TYPES},
                                     progress=log.echo, base_dir=config.base_dir,
                                     pairs_in_background=True,  # only the report reads pairs
                                     labels=config.labels_path(),
                                     models=store.models if store is not None else None,
                                     retrain=retrain, carry=carry)
        if store is not None:
            with log.stage("store", "stable entity ids"):
                engine.settle("raw_records")
                store_figures = store.assign(engine, config)
        with log.stage("measure", "measure"):
            engine.settle("raw_records")
            measure = run_measure(engine, config.burden, config.report.language)
        if store is not None:
            store.prepare(engine, store_figures, measure, config.output_dir(), config)
        with log.stage("unify", "unify"):
            unify = run_unify(engine, measure, out)
        with log.stage("write", "write outputs"):
            engine.settle()
            write_outputs(engine, out)
            engine.finish()
        metrics = {
            "run": {"name": config.name, "version": __version__, "language": config.report.language,
                    "config": str(config.config_path) if config.config_path else None,
                    "engine": config.engine.described()},
            "row_accounting": accounting.to_dicts(),
            "link": link_stats,
            "measure": measure,
            "unify": unify,
            **({"store": store_figures} if store is not None else {}),
        }
        with log.stage("report", "report"):
            metrics["run"]["stage_seconds"] = log.timings
            metrics = mask_json(metrics)
            (out / "metrics.json").write_text(
                json.dumps(metrics, ensure_ascii=False, indent=2, sort_keys=True, default=str,
                           allow_nan=False), encoding="utf-8")
            render_report(engine, metrics, out, config.report.language)
    finally:
        engine.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return metrics
