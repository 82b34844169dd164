"""The schema proposal: where every source column goes in the unified tables, and why.

Per entity type one shared core table (named after the entity type) holds the identifying
attributes and every attribute two or more systems collect; one extension table per system
(`<entity>_<system>`) holds what only that system collects — its canonical attributes and its
unmapped columns (extras, named by the pinyin of the header) — and its own registration date,
which is record metadata of that department rather than a fact about the entity.  Columns empty
in an export and the export's own row numbering (序号) are not carried over.  Every address
column gets a derived `<address>_division_code` (GB/T 2260) beside it.  Every decision gets a
one-line rationale (zh and en).

`propose(engine)` reads `sources` and `source_columns` and returns a `Proposal`: the schema
columns (`unified_schema` table) and the crosswalk of every source column (`crosswalk`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
from pypinyin import lazy_pinyin

from linkage.attributes import ATTRIBUTES, header_key
from linkage.engine import Engine
from linkage.unify.standards import DIVISION_TYPE, EXTRA_TYPE, column_type

KEY = "entity_id"
METADATA = {"registration_date"}      # per-department record metadata: stays in extensions
# headers of an export's own row numbering (after header_key folding): not a fact about anyone
SERIAL_HEADERS = {"序号", "行号", "顺序号", "序列号", "no", "#", "index", "xh"}

SCHEMA_COLUMNS = {
    "entity_type": pl.Utf8, "table_name": pl.Utf8, "column_name": pl.Utf8, "position": pl.Int64,
    "placement": pl.Utf8, "system": pl.Utf8, "attribute": pl.Utf8, "derived": pl.Utf8, "header": pl.Utf8,
    "sql_type": pl.Utf8, "nullable": pl.Boolean, "check_sql": pl.Utf8, "standard": pl.Utf8,
    "label_zh": pl.Utf8, "label_en": pl.Utf8, "sources": pl.Utf8,
    "rationale_zh": pl.Utf8, "rationale_en": pl.Utf8,
}
CROSSWALK_COLUMNS = {
    "entity_type": pl.Utf8, "source": pl.Utf8, "system": pl.Utf8, "column_index": pl.Int64,
    "source_column": pl.Utf8, "attribute": pl.Utf8, "method": pl.Utf8, "confidence": pl.Float64,
    "fill_rate": pl.Float64, "transformation": pl.Utf8, "target_table": pl.Utf8,
    "target_column": pl.Utf8, "target": pl.Utf8, "rationale_zh": pl.Utf8, "rationale_en": pl.Utf8,
}


@dataclass
class Proposal:
    schema: pl.DataFrame       # one row per column of the unified tables
    crosswalk: pl.DataFrame    # one row per source column


def safe_name(text: str) -> str:
    """An SQL identifier for a header or system name: pinyin, lower case, [a-z0-9_]."""
    words = lazy_pinyin(str(text))
    name = re.sub(r"[^a-z0-9]+", "_", "_".join(words).lower()).strip("_")
    if not name:
        return "col"
    return f"c_{name}" if name[0].isdigit() else name


def extension_table(entity: str, system: str) -> str:
    return f"{entity}_{safe_name(system)}"


def is_serial(header: str) -> bool:
    """Whether a header names the export's row numbering (序号, No …)."""
    return header_key(header) in SERIAL_HEADERS


def system_labels(engine: Engine) -> dict[str, str]:
    """system → "title (system)" from the first source of each system ("system" when untitled)."""
    rows = engine.sql(f"SELECT system, {engine.dialect.arg_min('title', 'source')} AS title "
                      "FROM sources GROUP BY system")
    return {r["system"]: r["system"] if not r["title"] or r["title"] == r["system"]
            else f"{r['title']}({r['system']})" for r in rows.to_dicts()}


def _collected(columns: pl.DataFrame) -> pl.DataFrame:
    """Mapped source columns that hold data: entity_type, attribute, system, source."""
    return (columns.filter(pl.col("attribute").is_not_null() & (pl.col("fill_rate").fill_null(1.0) > 0))
            .select("entity_type", "attribute", "system", "source").unique())


def _placements(entity: str, collected: pl.DataFrame, n_systems: int, label: dict[str, str]) -> list[dict]:
    """One row per (attribute, table) of this entity type with the rationale of the placement."""
    rows = []
    for attr in ATTRIBUTES[entity].values():
        held = collected.filter(pl.col("attribute") == attr.name)
        systems = sorted(held["system"].unique().to_list())
        if not systems:
            continue
        sources = ";".join(sorted(held["source"].to_list()))
        named = "、".join(label[s] for s in systems)
        listed = ", ".join(label[s] for s in systems)
        if attr.name in METADATA:
            for system in systems:
                rows.append(dict(attribute=attr.name, table=extension_table(entity, system),
                                 placement="extension", system=system,
                                 sources=";".join(sorted(held.filter(pl.col("system") == system)["source"])),
                                 zh="登记日期是各部门自己的业务记录时间，留在部门扩展表",
                                 en="registration date is each department's own record metadata"))
            continue
        if attr.identifying:
            zh, en = (f"识别属性，放核心表供各部门共用（{named} 采集）",
                      f"identifying attribute, shared in the core table (collected by {listed})")
        elif len(systems) >= 2:
            zh, en = (f"{len(systems)} 个系统重复采集（{named}），统一采集一次放核心表",
                      f"collected by {len(systems)} systems ({listed}): collect once in the core table")
        elif n_systems == 1:
            zh, en = ("只有一个系统，全部放核心表", "single system: everything in the core table")
        else:
            rows.append(dict(attribute=attr.name, table=extension_table(entity, systems[0]),
                             placement="extension", system=systems[0], sources=sources,
                             zh=f"仅 {named} 采集，放该部门扩展表",
                             en=f"collected only by {listed}: department extension table"))
            continue
        rows.append(dict(attribute=attr.name, table=entity, placement="core", system=None,
                         sources=sources, zh=zh, en=en))
    return rows


def _schema_rows(entity: str, placements: list[dict], extras: pl.DataFrame,
                 label: dict[str, str]) -> list[dict]:
    rows: list[dict] = []
    taken: dict[str, set[str]] = {}

    def add(table: str, column: str, **values) -> str:
        used = taken.setdefault(table, set())
        name, k = column, 2
        while name in used:
            name, k = f"{column}_{k}", k + 1
        used.add(name)
        rows.append({"entity_type": entity, "table_name": table, "column_name": name,
                     "position": len(used), **values})
        return name

    key = dict(placement="key", attribute=None, derived=None, header=None, sql_type="VARCHAR(32)",
               nullable=False, check_sql=None, standard=None, label_zh="实体编号", label_en="Entity id", sources=None)
    add(entity, KEY, system=None, **key,
        rationale_zh="统一实体编号（关联结果），各表以此关联",
        rationale_en="unified entity key from the linkage; every table joins on it")
    for p in placements:
        if p["table"] not in taken:
            add(p["table"], KEY, system=p["system"], **key,
                rationale_zh="扩展表以实体编号关联核心表", rationale_en="extension joins the core table by entity key")
        attr = ATTRIBUTES[entity][p["attribute"]]
        ctype = column_type(attr)
        common = dict(placement=p["placement"], system=p["system"], attribute=attr.name, header=None,
                      nullable=True, sources=p["sources"])
        add(p["table"], attr.name, derived=None, sql_type=ctype.sql_type, check_sql=ctype.check(attr.name),
            standard=ctype.standard, label_zh=attr.label_zh, label_en=attr.label_en,
            rationale_zh=p["zh"], rationale_en=p["en"], **common)
        if attr.kind == "address":
            name = f"{attr.name}_division_code"
            add(p["table"], name, derived="division_code", sql_type=DIVISION_TYPE.sql_type,
                check_sql=DIVISION_TYPE.check(name), standard=DIVISION_TYPE.standard,
                label_zh=f"{attr.label_zh}行政区划代码", label_en=f"{attr.label_en} division code",
                rationale_zh="地址所在区县的国标区划代码，便于按区划统计与对接",
                rationale_en="standard division code of the address, for statistics and exchange", **common)
    for row in extras.iter_rows(named=True):
        table = extension_table(entity, row["system"])
        if table not in taken:
            add(table, KEY, system=row["system"], **key,
                rationale_zh="扩展表以实体编号关联核心表", rationale_en="extension joins the core table by entity key")
        row["column_name"] = add(
            table, safe_name(row["header"]), placement="extension", system=row["system"], attribute=None,
            derived=None, header=row["header"], sql_type=EXTRA_TYPE.sql_type, nullable=True, check_sql=None,
            standard=None, label_zh=row["header"], label_en=row["header"], sources=row["sources"],
            rationale_zh=f"{label[row['system']]} 特有字段（未对应标准属性），原样保留在部门扩展表",
            rationale_en=f"column only {label[row['system']]} keeps (no canonical attribute): department extension")
    return rows


def propose(engine: Engine) -> Proposal:
    """The unified schema and the crosswalk from `sources` and `source_columns`."""
    columns = engine.sql("""
        SELECT s.entity_type, c.source, s.system, s.title, c.column_index, c.header, c.attribute,
               c.method, c.confidence, c.fill_rate
        FROM source_columns c JOIN sources s USING (source)
        ORDER BY s.entity_type, c.source, c.column_index""")
    collected = _collected(columns)
    label = system_labels(engine)
    schema_rows = []
    for entity in sorted(columns["entity_type"].unique().to_list()):
        mine = columns.filter(pl.col("entity_type") == entity)
        n_systems = mine["system"].n_unique()
        placements = _placements(entity, collected.filter(pl.col("entity_type") == entity), n_systems, label)
        extras = (mine.filter(pl.col("attribute").is_null() & (pl.col("fill_rate").fill_null(1.0) > 0)
                              & ~pl.col("header").map_elements(is_serial, return_dtype=pl.Boolean))
                  .group_by("system", "header", maintain_order=True)
                  .agg(pl.col("source").unique().sort().str.join(";").alias("sources")))
        schema_rows += _schema_rows(entity, placements, extras, label)
    schema = pl.DataFrame(schema_rows, schema=SCHEMA_COLUMNS)
    return Proposal(schema, _crosswalk(columns, schema))


def _crosswalk(columns: pl.DataFrame, schema: pl.DataFrame) -> pl.DataFrame:
    """Every source column with its transformation and target table.column."""
    targets = schema.filter(pl.col("placement") != "key")
    by_attribute = {(r["entity_type"], r["attribute"], r["system"]): r for r in targets.filter(
        pl.col("attribute").is_not_null() & pl.col("derived").is_null()).iter_rows(named=True)}
    by_header = {(r["entity_type"], r["system"], r["header"]): r
                 for r in targets.filter(pl.col("header").is_not_null()).iter_rows(named=True)}
    rows = []
    for c in columns.iter_rows(named=True):
        entity, attr_name = c["entity_type"], c["attribute"]
        if attr_name:
            target = (by_attribute.get((entity, attr_name, None))
                      or by_attribute.get((entity, attr_name, c["system"])))
            ctype = column_type(ATTRIBUTES[entity][attr_name])
        else:
            target = by_header.get((entity, c["system"], c["header"]))
            ctype = EXTRA_TYPE
        if target is None and is_serial(c["header"]):
            zh = "导出文件的行序号，不是实体信息，不迁移"
            en = "row numbering of the export, not a fact: not carried over"
            table = column = None
        elif target is None:
            zh, en = "导出中该列全为空，不迁移", "empty in the export: not carried over"
            table = column = None
        else:
            zh, en = target["rationale_zh"], target["rationale_en"]
            table, column = target["table_name"], target["column_name"]
        rows.append({
            "entity_type": entity, "source": c["source"], "system": c["system"],
            "column_index": c["column_index"], "source_column": c["header"], "attribute": attr_name,
            "method": c["method"], "confidence": c["confidence"], "fill_rate": c["fill_rate"],
            "transformation": (f"{ctype.transformation_zh} / {ctype.transformation_en}" if table
                               else "不迁移 / not carried over"),
            "target_table": table, "target_column": column,
            "target": f"{table}.{column}" if table else None, "rationale_zh": zh, "rationale_en": en,
        })
    return pl.DataFrame(rows, schema=CROSSWALK_COLUMNS)
