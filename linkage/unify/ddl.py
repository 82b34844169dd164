"""Render the unified schema as SQL DDL (DuckDB and PostgreSQL) and as JSON Schema, and load
golden records into it.

Per entity type: the core table, one extension table per department (primary key and foreign
key `entity_id`), `<entity>_value_source` (which source each golden value came from) and
`<entity>_source_record` (which department rows make up each entity).  Only portable SQL is
used: VARCHAR(n), DATE, DOUBLE PRECISION, BIGINT, CHECK with SIMILAR TO / IN, COMMENT ON.
"""

from __future__ import annotations

import re

import polars as pl

from linkage.columns import source_of
from linkage.unify.golden import golden_column
from linkage.unify.proposal import KEY
from linkage.unify.standards import row_type

# reserved words of PostgreSQL / DuckDB a pinyin column name could spell
RESERVED = {
    "all", "and", "any", "array", "as", "asc", "between", "both", "case", "cast", "check", "column",
    "constraint", "create", "default", "desc", "distinct", "do", "else", "end", "except", "false",
    "for", "foreign", "from", "grant", "group", "having", "in", "into", "is", "join", "key", "leading",
    "limit", "not", "null", "offset", "on", "only", "or", "order", "primary", "references", "select",
    "some", "table", "then", "to", "true", "union", "unique", "user", "using", "when", "where", "with",
}
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")

# lineage tables per entity type: suffix → (columns after entity_id: name, SQL type, JSON type),
# primary key, comment zh, comment en
LINEAGE = {
    "value_source": (
        [("table_name", "VARCHAR", "string"), ("column_name", "VARCHAR", "string"),
         ("source", "VARCHAR", "string")],
        (KEY, "table_name", "column_name"),
        "每个统一字段的取值来源（存活规则选中的源）", "source of each golden value"),
    "source_record": (
        [("source", "VARCHAR", "string"), ("source_row", "BIGINT", "integer")],
        ("source", "source_row"),
        "实体由哪些部门的哪些行组成（溯源）", "department rows of each entity"),
}


def ident(name: str) -> str:
    """An identifier, quoted only when it must be."""
    if _PLAIN.match(name) and name not in RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _tables(schema: pl.DataFrame) -> list[tuple[str, str, pl.DataFrame]]:
    """(entity_type, table, its columns) in DDL order: core first, then extensions by name."""
    out = []
    for entity in sorted(schema["entity_type"].unique().to_list()):
        mine = schema.filter(pl.col("entity_type") == entity)
        names = sorted(mine["table_name"].unique().to_list(), key=lambda t: (t != entity, t))
        out += [(entity, t, mine.filter(pl.col("table_name") == t).sort("position")) for t in names]
    return out


class Dialect:
    """How the DDL is spelled for one database; this base writes the portable SQL that DuckDB
    and PostgreSQL both read (`linkage publish` subclasses it per target)."""

    comment_statements = True  # COMMENT ON …; False: inline COMMENT clauses (MySQL)

    def ident(self, name: str) -> str:
        return ident(name)

    def text(self, value: str) -> str:
        return _text(value)

    def column_type(self, sql_type: str, key: bool = False) -> str:
        return sql_type

    def check(self, expression: str, column: str) -> str:
        return expression.replace(column, self.ident(column), 1)

    def column_comment(self, text: str) -> str:
        return ""

    def table_options(self, comment: str) -> str:
        return ""


PORTABLE = Dialect()


def _column_ddl(row: dict, entity: str, table: str, d: Dialect) -> str:
    key = row["placement"] == "key"
    parts = [d.ident(row["column_name"]), d.column_type(row["sql_type"], key)]
    if not row["nullable"]:
        parts.append("NOT NULL")
    if key:
        parts.append("PRIMARY KEY")
        if table != entity:
            parts.append(f"REFERENCES {d.ident(entity)} ({KEY})")
    if row["check_sql"]:
        parts.append(f"CHECK ({d.check(row['check_sql'], row['column_name'])})")
    if comment := d.column_comment(_column_comment(row)):
        parts.append(comment)
    return "    " + " ".join(parts)


def _column_comment(r: dict) -> str:
    label = f"{r['label_zh']} {r['label_en']}" if r["label_zh"] != r["label_en"] else r["label_zh"]
    return " — ".join(x for x in (label, r["standard"], r["rationale_zh"]) if x)


def _table_comment(entity: str, table: str, rows: pl.DataFrame) -> str:
    label = "人员" if entity == "person" else "企业"
    if table == entity:
        return f"{label}核心表：识别属性与多个部门共同采集的属性，统一采集一次 / {entity} core table"
    system = rows["system"].drop_nulls()[0]
    return f"{label}扩展表：{system} 部门特有字段 / {entity} extension of {system}"


def table_names(schema: pl.DataFrame) -> list[str]:
    """Every table of the DDL in creation order (a table after those it references)."""
    return [t for _, t, _ in _tables(schema)] + [
        f"{entity}_{suffix}" for entity in sorted(schema["entity_type"].unique().to_list())
        for suffix in LINEAGE]


def to_sql(schema: pl.DataFrame, title: str = "linkage", dialect: Dialect = PORTABLE) -> str:
    """The DDL of every unified table, with a comment per table and column."""
    d = dialect
    lines = [f"-- Unified schema proposed by {title}; runs on DuckDB and PostgreSQL.",
             "-- Column comments: label — standard — rationale of the placement.",
             "-- Attribute columns are nullable (a blank is unknown, not a value); CHECK constraints hold",
             "-- the national standards, so a value breaking them stays in the source for correction.", ""]
    comments = []
    for entity, table, rows in _tables(schema):
        body = [_column_ddl(r, entity, table, d) for r in rows.iter_rows(named=True)]
        comment = _table_comment(entity, table, rows)
        lines += [f"CREATE TABLE {d.ident(table)} (", ",\n".join(body), f"){d.table_options(comment)};", ""]
        comments.append(f"COMMENT ON TABLE {d.ident(table)} IS {d.text(comment)};")
        for r in rows.iter_rows(named=True):
            comments.append(f"COMMENT ON COLUMN {d.ident(table)}.{d.ident(r['column_name'])} "
                            f"IS {d.text(_column_comment(r))};")
    for entity in sorted(schema["entity_type"].unique().to_list()):
        for suffix, (columns, key, zh, en) in LINEAGE.items():
            table = d.ident(f"{entity}_{suffix}")
            key_type = d.column_type("VARCHAR(32)", True)
            body = [f"    {KEY} {key_type} NOT NULL REFERENCES {d.ident(entity)} ({KEY})"]
            body += [f"    {name} {d.column_type(sql_type, name in key)} NOT NULL"
                     for name, sql_type, _ in columns]
            body.append(f"    PRIMARY KEY ({', '.join(key)})")
            lines += [f"CREATE TABLE {table} (", ",\n".join(body), f"){d.table_options(f'{zh} / {en}')};", ""]
            comments.append(f"COMMENT ON TABLE {table} IS {d.text(f'{zh} / {en}')};")
    return "\n".join(lines + (comments if d.comment_statements else [])) + "\n"


def to_json_schema(schema: pl.DataFrame, title: str = "linkage") -> dict:
    """A JSON Schema (draft 2020-12) with one definition per unified table."""
    defs, props = {}, {}
    for entity, table, rows in _tables(schema):
        properties = {}
        for r in rows.iter_rows(named=True):
            fragment = dict(row_type(r).json) if r["placement"] != "key" else {"type": "string"}
            if r["nullable"]:
                fragment["type"] = [fragment["type"], "null"]
            fragment.update({"title": r["label_zh"], "description": r["rationale_zh"],
                             "x-rationale-en": r["rationale_en"], "x-sql-type": r["sql_type"]})
            if r["standard"]:
                fragment["x-standard"] = r["standard"]
            if r["header"]:
                fragment["x-source-header"] = r["header"]
            if r["sources"]:
                fragment["x-sources"] = r["sources"].split(";")
            properties[r["column_name"]] = fragment
        defs[table] = {"type": "object", "title": _table_comment(entity, table, rows),
                       "properties": properties, "required": [KEY], "additionalProperties": False,
                       "x-primary-key": [KEY]}
        if table != entity:
            defs[table]["x-foreign-key"] = {KEY: f"{entity}.{KEY}"}
        props[table] = {"type": "array", "items": {"$ref": f"#/$defs/{table}"}}
    for entity in sorted(schema["entity_type"].unique().to_list()):
        for suffix, (columns, key, zh, en) in LINEAGE.items():
            table = f"{entity}_{suffix}"
            properties = {KEY: {"type": "string"}, **{n: {"type": t} for n, _, t in columns}}
            defs[table] = {"type": "object", "title": f"{zh} / {en}", "properties": properties,
                           "required": list(properties), "additionalProperties": False,
                           "x-primary-key": list(key), "x-foreign-key": {KEY: f"{entity}.{KEY}"}}
            props[table] = {"type": "array", "items": {"$ref": f"#/$defs/{table}"}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "unified_schema.json", "title": f"Unified schema ({title})",
            "type": "object", "properties": props, "$defs": defs}


def load_statements(schema: pl.DataFrame, entity: str, golden: str, clusters: str | None = None) -> list[str]:
    """DuckDB statements that fill the unified tables of `entity` from a golden-record relation
    (`golden`: a table name or read_parquet(...)), and the source-record table from `clusters`."""
    statements = []
    for _, table, rows in [t for t in _tables(schema) if t[0] == entity]:
        cols = rows.to_dicts()
        names = ", ".join(ident(r["column_name"]) for r in cols)
        values = ", ".join(f"g.{ident(golden_column(r))}" for r in cols)
        where = "" if table == entity else f" WHERE list_contains(g.systems, {_text(cols[0]['system'])})"
        statements.append(f"INSERT INTO {ident(table)} ({names}) SELECT {values} FROM {golden} g{where}")
    value_rows = schema.filter((pl.col("entity_type") == entity) & (pl.col("placement") != "key")).to_dicts()
    if value_rows:
        union = " UNION ALL ".join(
            f"SELECT {KEY}, {_text(r['table_name'])}, {_text(r['column_name'])}, "
            f"{ident(source_of(golden_column(r)))} FROM {golden} "
            f"WHERE {ident(source_of(golden_column(r)))} IS NOT NULL" for r in value_rows)
        statements.append(f"INSERT INTO {ident(entity + '_value_source')} {union}")
    if clusters:
        statements.append(f"INSERT INTO {ident(entity + '_source_record')} SELECT {KEY}, source, source_row "
                          f"FROM {clusters} WHERE entity_type = {_text(entity)}")
    return statements
