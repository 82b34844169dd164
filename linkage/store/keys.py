"""Record keys: what identifies a source's record from one export to the next.

A source with configured `key:` column(s) (the department's own record number) is keyed by
their values, a database server source by its key (`source_key`, its primary key by default);
any other source by an MD5 hash of its raw row (every filled column as read, with its name, in
name order — the row's content, so a changed row is a removed record and an added one).  Rows
with the same key in one source are told apart by their order (`#2`, `#3` … after the first).
`row_hash` (the raw row's hash) is kept for every record, so a keyed record whose content
changed is seen as changed.
"""

from __future__ import annotations

import polars as pl

from linkage.config import Config
from linkage.errors import ConfigError

_LINEAGE = ("record_id", "source", "source_row", "entity_type")


def record_keys(engine, config: Config, table: str = "clusters") -> pl.DataFrame:
    """record_id, source, entity_type, record_key, row_hash of every record of `table` (the
    linked records of `clusters`, or the `records` about to be linked), from table `raw_records`
    (settled) and the sources' mapped columns."""
    q = engine.dialect.quote
    columns = [c for c in engine.columns("raw_records") if c not in _LINEAGE]
    # filled columns only, each with its name: a column another source brings is no change
    row = "concat_ws(chr(31), " + ", ".join(f"{_sql_text(c + '=')} || {q(c)}" for c in sorted(columns)) + ")"
    keyed = {k: s.key_columns() for k, s in config.sources.items() if s.key_columns()}
    key_expr = "NULL"
    if keyed:
        mapped = dict(engine.sql("SELECT source || chr(31) || header AS k, attribute FROM source_columns "
                                 "WHERE attribute IS NOT NULL").iter_rows())
        cases = []
        for source, headers in sorted(keyed.items()):
            values = [_header_value(engine, config, mapped, source, h) for h in headers]
            cases.append(f"WHEN source = {_sql_text(source)} THEN "
                         f"nullif(concat_ws(chr(31), {', '.join(values)}), '')")
        key_expr = "CASE " + " ".join(cases) + " END"
    if "source_key" in columns:  # database server sources: their key as read
        key_expr = f"coalesce({key_expr}, source_key)"
    frame = engine.sql(f"""
        SELECT record_id, source, entity_type, coalesce({key_expr}, 'h' || md5({row})) AS key,
               md5({row}) AS row_hash
        FROM raw_records WHERE record_id IN (SELECT record_id FROM {q(table)}) ORDER BY record_id""")
    return frame.with_columns(
        pl.int_range(1, pl.len() + 1).over("source", "key").alias("nth")).select(
        "record_id", "source", "entity_type",
        pl.when(pl.col("nth") == 1).then(pl.col("key"))
        .otherwise(pl.col("key") + "#" + pl.col("nth").cast(pl.Utf8)).alias("record_key"),
        "row_hash")


def _header_value(engine, config: Config, mapped: dict, source: str, header: str) -> str:
    """SQL for one key column's trimmed text in raw_records (a mapped attribute or an extra)."""
    if f"{source}\x1f{header}" in mapped:
        value = engine.dialect.quote(mapped[f"{source}\x1f{header}"])
    elif engine.scalar("SELECT count(*) FROM source_columns WHERE source = ? AND header = ?",
                       [source, header]):
        value = f"json_extract_string(extras, {_sql_text('$.' + _json_key(header))})"
    else:
        raise ConfigError(f"{config.config_path or 'config'}: `sources.{source}.key`: the "
                          f"export has no column {header!r}")
    return f"nullif(trim({value}), '')"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_key(header: str) -> str:
    return '"' + header.replace('"', '\\"') + '"'
