"""How the published tables are spelled in each target: PostgreSQL and MySQL / MariaDB.

The unified schema's DDL (`linkage.unify.ddl.to_sql`) asks a `Dialect` for quoting, types,
CHECK expressions and comments.  PostgreSQL takes the portable SQL as it is; MySQL / MariaDB
quote with backticks, need a length on key VARCHARs (TEXT elsewhere), spell SIMILAR TO as a
REGEXP anchored at both ends and write comments inline (COMMENT '…', at most 1024 characters
per column and 2048 per table).  The publication's own tables (`PUBLICATION_TABLES`) are
rendered here for both.
"""

from __future__ import annotations

import re

from linkage.unify.ddl import Dialect

# the tables a publication adds beside the unified schema: name → (columns: name, type,
# nullable), primary key, comment
PUBLICATION_TABLES = {
    "linkage_record_entity": (
        [("source", "VARCHAR", False), ("source_row", "BIGINT", False), ("source_key", "VARCHAR", True),
         ("entity_type", "VARCHAR", False), ("entity_id", "VARCHAR(32)", False)],
        ("source", "source_row"),
        ("记录与实体对照：每个部门的每一行属于哪个实体（source_key：数据库源的主键值）/ "
         "record-to-entity crosswalk (source_key: a database source's row key)")),
    "linkage_column_crosswalk": (
        [("source", "VARCHAR", False), ("source_column", "VARCHAR", False),
         ("attribute", "VARCHAR", True), ("target", "VARCHAR", True), ("entity_type", "VARCHAR", False),
         ("system", "VARCHAR", True), ("method", "VARCHAR", True), ("fill_rate", "DOUBLE PRECISION", True)],
        ("source", "source_column"),
        "字段对照：每个部门字段进入统一表的哪一列 / source column to unified column"),
    "linkage_publication": (
        [("run_name", "VARCHAR", False), ("linkage_version", "VARCHAR", False),
         ("published_at", "VARCHAR", False), ("metrics", "JSON", False)],
        ("run_name",),
        "本次发布：运行名称、版本、时间与全部指标（metrics.json）/ this publication and its run's metrics"),
}


class PostgresDialect(Dialect):
    def column_type(self, sql_type: str, key: bool = False) -> str:
        return "JSONB" if sql_type == "JSON" else sql_type


_SIMILAR = re.compile(r"^(?P<column>\S+) SIMILAR TO '(?P<pattern>[^']*)'$")


class MySQLDialect(Dialect):
    comment_statements = False

    def ident(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def text(self, value: str) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"

    def column_type(self, sql_type: str, key: bool = False) -> str:
        if sql_type == "VARCHAR":
            return "VARCHAR(191)" if key else "TEXT"  # 191 × 4 bytes: an InnoDB key fits
        return sql_type

    def check(self, expression: str, column: str) -> str:
        similar = _SIMILAR.match(expression)
        if similar:
            return f"{self.ident(column)} REGEXP {self.text('^(' + similar['pattern'] + ')$')}"
        return expression.replace(column, self.ident(column), 1)

    def column_comment(self, text: str) -> str:
        return f"COMMENT {self.text(text[:1024])}"

    def table_options(self, comment: str) -> str:
        return f" COMMENT={self.text(comment[:2048])}"


def publication_ddl(d: Dialect) -> list[str]:
    """CREATE TABLE (and, for PostgreSQL, COMMENT ON) statements of the publication tables."""
    statements = []
    for table, (columns, key, comment) in PUBLICATION_TABLES.items():
        body = [f"    {d.ident(name)} {d.column_type(sql_type, name in key)}"
                + ("" if nullable else " NOT NULL") for name, sql_type, nullable in columns]
        body.append(f"    PRIMARY KEY ({', '.join(d.ident(k) for k in key)})")
        statements.append(f"CREATE TABLE {d.ident(table)} (\n" + ",\n".join(body)
                          + f"\n){d.table_options(comment)}")
        if d.comment_statements:
            statements.append(f"COMMENT ON TABLE {d.ident(table)} IS {d.text(comment)}")
    return statements
