"""SQL dialects: everything the engines spell differently, in one object per backend.

The stages write plain SQL (SELECT, JOIN, GROUP BY, window functions, `FILTER (WHERE …)` on
aggregates, `USING`, `IS NOT DISTINCT FROM`, `count_if`, `any_value`, `bool_or`) and ask the
engine's dialect (`engine.dialect`) for every construct the backends disagree on:

| need | method | DuckDB | Spark SQL |
|---|---|---|---|
| identifier / text literal | `quote`, `literal`, `in_list` | `"a"`, `'x'` | `` `a` ``, `'x'` |
| typed cast / typed null | `cast`, `null` (types: text, bigint, int, smallint, tinyint, double, float, boolean, date) | `CAST(x AS VARCHAR)` | `CAST(x AS STRING)` |
| table from a query | `create_table` (statements) | `CREATE OR REPLACE [TEMP] TABLE` | `CACHE TABLE` (temp) / `CREATE TABLE … USING parquet` |
| 64-bit hash (of one or more values) | `hash64` | `hash` | `xxhash64` |
| integer division | `int_div` | `a // b` | `a div b` |
| list literal, 1-based element, slice, join | `list_of`, `element`, `slice`, `join_list` | `[…]`, `l[i]`, `l[a:b]`, `array_to_string` | `array(…)`, `try_element_at`, `slice`, `array_join` |
| sorted list / string aggregate | `sorted_list`, `sorted_string_agg` | `list(x ORDER BY x)`, `string_agg(… ORDER BY)` | `array_sort(collect_list(x))`, `array_join(…)` |
| value at the smallest key | `arg_min` | `arg_min` | `min_by` |
| struct (min over structs orders by its fields) | `struct` | `{'a': x}` | `named_struct('a', x)` |
| bit shifts | `shift_left`, `shift_right` | `<<`, `>>` | `shiftleft`, `shiftright` |
| string values at top-level JSON keys | `json_strings` | `json_extract_string(j, [paths])` | `array(get_json_object(j, path), …)` |
| whole-value regular expression | `matches` | `SIMILAR TO` | `RLIKE '^(?:…)$'` |
| finite float | `is_finite` | `isfinite` | `NOT isnan(x) AND abs(x) < 'Infinity'` |
| the rows of a Parquet file | `read_parquet` | `read_parquet('p')` | `` parquet.`p` `` |
| set of small integers per row | `bit_set(size)` → `BitSet` | BIGINT mask (≤ 63 members), else sorted list | the same, with Spark's functions |
| columns to rows | `unpivot` | `LATERAL (VALUES …)` | `stack(n, …)` |
| work over many columns: per column, or once over them unpivoted | `subquery_per_column` | per column | unpivoted (one shuffle, not one per column) |

The Spark engine makes a temp table by checkpointing its query's rows rather than by
`CACHE TABLE`, whose view re-reads the tables it names (linkage.engine.spark_engine).
A dialect only renders text; it runs nothing, so it is tested without the engine (and the Spark
one without Spark).
"""

from __future__ import annotations

import math
from typing import ClassVar

# members a BIGINT mask holds (bit 63 is the sign)
MASK_BITS = 63


class BitSet:
    """A set of small non-negative integers (source or system numbers) per row: a BIGINT bit mask
    while every member is below 63, else a sorted list of the members.  `agg` builds it in a
    GROUP BY, `has` tests a member, `count` counts members; sets of equal members compare and
    group equal in either form."""

    def __init__(self, dialect: Dialect, size: int):
        self.dialect, self.size = dialect, size
        self.mask = size <= MASK_BITS

    def agg(self, member: str) -> str:
        """Aggregate: the set of the group's `member` values (null over no rows)."""
        d = self.dialect
        if self.mask:
            return f"bit_or({d.shift_left('CAST(1 AS BIGINT)', member)})"
        return d.sorted_list(member, distinct=True)

    def has(self, bits: str, member: str) -> str:
        """Condition: `member` is in the set `bits`."""
        d = self.dialect
        if self.mask:
            return f"({d.shift_right(bits, member)} & 1) = 1"
        return d.list_contains(bits, member)

    def count(self, bits: str) -> str:
        """The number of members of `bits` (BIGINT)."""
        if self.mask:
            return f"CAST(bit_count({bits}) AS BIGINT)"
        return f"CAST({self.dialect.list_length(bits)} AS BIGINT)"


class Dialect:
    """The SQL of one backend; subclasses fill in the constructs (see the module docstring)."""

    name = ""
    TYPES: ClassVar[dict[str, str]] = {}
    subquery_per_column = True
    """Whether work over many columns (golden records' survivorship, term frequencies, the
    blocking rules' pair counts and joins) runs as one subquery or statement per column, or
    once over the columns unpivoted to rows (`unpivot`): each subquery is a shuffle (and each
    statement a job) of its own on Spark, while DuckDB runs them fast in less memory."""

    # identifiers and literals
    def quote(self, name: str) -> str:
        raise NotImplementedError

    def literal(self, value) -> str:
        """A SQL literal of a Python str, int, float, bool or None."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"no SQL literal for {value}")
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    def in_list(self, values) -> str:
        """The inside of `IN (…)`: the values as literals, comma-separated."""
        return ", ".join(self.literal(v) for v in values)

    # types
    def type(self, name: str) -> str:
        return self.TYPES[name]

    def cast(self, expr: str, type_name: str) -> str:
        return f"CAST({expr} AS {self.type(type_name)})"

    def null(self, type_name: str) -> str:
        return self.cast("NULL", type_name)

    # tables
    def create_table(self, name: str, query: str, temp: bool = False) -> list[str]:
        """Statements that create (or replace) table `name` from `query`; a temp table lives as
        long as the connection / session."""
        raise NotImplementedError

    def drop_table(self, name: str) -> list[str]:
        raise NotImplementedError

    # scalar functions
    def hash64(self, expr: str) -> str:
        """A 64-bit hash of `expr` (one value, or several separated by commas)."""
        raise NotImplementedError

    def int_div(self, dividend: str, divisor: str | int) -> str:
        """Integer division of non-negative integers (BIGINT operands give a BIGINT)."""
        raise NotImplementedError

    def shift_left(self, expr: str, bits: str | int) -> str:
        raise NotImplementedError

    def shift_right(self, expr: str, bits: str | int) -> str:
        raise NotImplementedError

    def matches(self, expr: str, pattern: str) -> str:
        """Condition: the whole of `expr` matches the regular expression `pattern`."""
        raise NotImplementedError

    def is_finite(self, expr: str) -> str:
        raise NotImplementedError

    def struct(self, fields: dict[str, str]) -> str:
        """A struct of named fields (min/max over structs order by the fields in turn)."""
        raise NotImplementedError

    def json_strings(self, document: str, keys: list[str]) -> str:
        """A list of the string values at the top-level `keys` of a JSON text (null where a key
        is absent)."""
        raise NotImplementedError

    def read_parquet(self, path) -> str:
        """A relation (for FROM) of the rows of the Parquet file at `path`."""
        raise NotImplementedError

    def unpivot(self, relation: str, keep: list[str], names: list[str],
                rows: list[list[str]]) -> str:
        """A query giving, per row of `relation`, its `keep` columns and one row per item of
        `rows` (expressions over the relation's columns) as columns `names`; the expressions at
        one position share a type."""
        raise NotImplementedError

    # lists
    def list_of(self, values, type_name: str = "text") -> str:
        """A list literal of Python values."""
        raise NotImplementedError

    def element(self, items: str, index: str | int) -> str:
        """The element at 1-based `index` (null when out of range)."""
        raise NotImplementedError

    def slice(self, items: str, first: int, last: int) -> str:
        """Elements `first` to `last`, 1-based and inclusive."""
        raise NotImplementedError

    def join_list(self, items: str, separator: str) -> str:
        """The elements as text, joined by `separator`."""
        raise NotImplementedError

    def list_contains(self, items: str, value: str) -> str:
        raise NotImplementedError

    def list_length(self, items: str) -> str:
        raise NotImplementedError

    # aggregates
    def sorted_list(self, expr: str, distinct: bool = False, where: str | None = None) -> str:
        """Aggregate: the group's non-null `expr` values as a list sorted ascending (an empty
        list when `where` keeps no row)."""
        raise NotImplementedError

    def sorted_string_agg(self, expr: str, separator: str) -> str:
        """Aggregate: the group's `expr` values sorted and joined by `separator`."""
        raise NotImplementedError

    def arg_min(self, value: str, key: str) -> str:
        """Aggregate: `value` of the row with the smallest `key`."""
        raise NotImplementedError

    def bit_set(self, size: int) -> BitSet:
        """Sets over the members 0 … size − 1."""
        return BitSet(self, size)


def quote_ident(name: str) -> str:
    """A double-quoted identifier (DuckDB, PostgreSQL, standard SQL)."""
    return '"' + name.replace('"', '""') + '"'


class DuckDBDialect(Dialect):
    name = "duckdb"
    TYPES: ClassVar[dict[str, str]] = {"text": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "smallint": "SMALLINT",
             "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
             "date": "DATE"}

    def quote(self, name: str) -> str:
        return quote_ident(name)

    def create_table(self, name: str, query: str, temp: bool = False) -> list[str]:
        kind = "TEMP TABLE" if temp else "TABLE"
        return [f"CREATE OR REPLACE {kind} {self.quote(name)} AS {query}"]

    def drop_table(self, name: str) -> list[str]:
        return [f"DROP TABLE IF EXISTS {self.quote(name)}"]

    def hash64(self, expr: str) -> str:
        return f"hash({expr})"

    def int_div(self, dividend: str, divisor: str | int) -> str:
        return f"({dividend} // {divisor})"

    def shift_left(self, expr: str, bits: str | int) -> str:
        return f"({expr} << {bits})"

    def shift_right(self, expr: str, bits: str | int) -> str:
        return f"({expr} >> {bits})"

    def matches(self, expr: str, pattern: str) -> str:
        return f"{expr} SIMILAR TO {self.literal(pattern)}"

    def is_finite(self, expr: str) -> str:
        return f"isfinite({expr})"

    def struct(self, fields: dict[str, str]) -> str:
        return "{" + ", ".join(f"{self.literal(k)}: {v}" for k, v in fields.items()) + "}"

    def read_parquet(self, path) -> str:
        return f"read_parquet({self.literal(str(path))})"

    def unpivot(self, relation: str, keep: list[str], names: list[str],
                rows: list[list[str]]) -> str:
        values = ", ".join(f"({', '.join(row)})" for row in rows)
        return (f"SELECT {', '.join([*keep, 'u.*'])} FROM {relation}, "
                f"LATERAL (VALUES {values}) u({', '.join(names)})")

    def json_strings(self, document: str, keys: list[str]) -> str:
        paths = ", ".join(self.literal('$."' + k.replace("\\", "\\\\").replace('"', '\\"') + '"')
                          for k in keys)
        return f"json_extract_string({document}, [{paths}])"

    def list_of(self, values, type_name: str = "text") -> str:
        return f"[{self.in_list(values)}]::{self.type(type_name)}[]"

    def element(self, items: str, index: str | int) -> str:
        return f"({items})[{index}]"

    def slice(self, items: str, first: int, last: int) -> str:
        return f"({items})[{int(first)}:{int(last)}]"

    def join_list(self, items: str, separator: str) -> str:
        return f"array_to_string({items}, {self.literal(separator)})"

    def list_contains(self, items: str, value: str) -> str:
        return f"list_contains({items}, {value})"

    def list_length(self, items: str) -> str:
        return f"len({items})"

    def sorted_list(self, expr: str, distinct: bool = False, where: str | None = None) -> str:
        agg = f"list({'DISTINCT ' if distinct else ''}{expr} ORDER BY {expr})"
        if where is None:
            return agg
        return f"coalesce({agg} FILTER (WHERE {where}), [])"

    def sorted_string_agg(self, expr: str, separator: str) -> str:
        return f"string_agg({expr}, {self.literal(separator)} ORDER BY {expr})"

    def arg_min(self, value: str, key: str) -> str:
        return f"arg_min({value}, {key})"


class SparkDialect(Dialect):
    """Spark SQL (3.4 and later: `GROUP BY ALL`, `any_value`, `FILTER` on aggregates)."""

    name = "spark"
    subquery_per_column = False
    TYPES: ClassVar[dict[str, str]] = {"text": "STRING", "bigint": "BIGINT", "int": "INT", "smallint": "SMALLINT",
             "tinyint": "TINYINT", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN",
             "date": "DATE"}

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def literal(self, value) -> str:
        if isinstance(value, str):  # Spark reads backslash escapes inside quotes
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return super().literal(value)

    def create_table(self, name: str, query: str, temp: bool = False) -> list[str]:
        if temp:
            return [*self.drop_table(name), f"CACHE TABLE {self.quote(name)} AS {query}"]
        return [*self.drop_table(name), f"CREATE TABLE {self.quote(name)} USING parquet AS {query}"]

    def drop_table(self, name: str) -> list[str]:
        # DROP TABLE drops a (cached) temp view of that name as well as a table
        return [f"UNCACHE TABLE IF EXISTS {self.quote(name)}",
                f"DROP TABLE IF EXISTS {self.quote(name)}"]

    def hash64(self, expr: str) -> str:
        return f"xxhash64({expr})"

    def int_div(self, dividend: str, divisor: str | int) -> str:
        return f"({dividend} div {divisor})"

    def shift_left(self, expr: str, bits: str | int) -> str:
        return f"shiftleft({expr}, {bits})"

    def shift_right(self, expr: str, bits: str | int) -> str:
        return f"shiftright({expr}, {bits})"

    def matches(self, expr: str, pattern: str) -> str:
        return f"{expr} RLIKE {self.literal('^(?:' + pattern + ')$')}"

    def is_finite(self, expr: str) -> str:
        return f"(NOT isnan({expr}) AND abs({expr}) < double('Infinity'))"

    def struct(self, fields: dict[str, str]) -> str:
        return f"named_struct({', '.join(f'{self.literal(k)}, {v}' for k, v in fields.items())})"

    def read_parquet(self, path) -> str:
        return "parquet." + self.quote(str(path))

    def unpivot(self, relation: str, keep: list[str], names: list[str],
                rows: list[list[str]]) -> str:
        items = ", ".join(item for row in rows for item in row)
        stack = f"stack({len(rows)}, {items}) AS ({', '.join(names)})"
        return f"SELECT {', '.join([*keep, stack])} FROM {relation}"

    def json_strings(self, document: str, keys: list[str]) -> str:
        paths = (self.literal("$['" + k.replace("\\", "\\\\").replace("'", "\\'") + "']")
                 for k in keys)
        return f"array({', '.join(f'get_json_object({document}, {p})' for p in paths)})"

    def list_of(self, values, type_name: str = "text") -> str:
        return f"CAST(array({self.in_list(values)}) AS ARRAY<{self.type(type_name)}>)"

    def element(self, items: str, index: str | int) -> str:
        return f"try_element_at({items}, CAST({index} AS INT))"

    def slice(self, items: str, first: int, last: int) -> str:
        return f"slice({items}, {int(first)}, {int(last) - int(first) + 1})"

    def join_list(self, items: str, separator: str) -> str:
        return f"array_join(CAST({items} AS ARRAY<STRING>), {self.literal(separator)})"

    def list_contains(self, items: str, value: str) -> str:
        return f"array_contains({items}, {value})"

    def list_length(self, items: str) -> str:
        return f"size({items})"

    def sorted_list(self, expr: str, distinct: bool = False, where: str | None = None) -> str:
        kept = expr if where is None else f"CASE WHEN {where} THEN {expr} END"
        return f"array_sort({'collect_set' if distinct else 'collect_list'}({kept}))"

    def sorted_string_agg(self, expr: str, separator: str) -> str:
        return self.join_list(self.sorted_list(expr), separator)

    def arg_min(self, value: str, key: str) -> str:
        return f"min_by({value}, {key})"

