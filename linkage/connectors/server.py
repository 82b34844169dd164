"""Tables from database servers: PostgreSQL (psycopg 3) and MySQL / MariaDB (PyMySQL).

`read_server(url, table=…, query=…, key=…)` reads a table or the result of a query into a
RawTable.  What it guarantees:

- memory stays bounded by the result, not by the driver: rows come through a server-side
  cursor (a psycopg named cursor, a PyMySQL SSCursor) `BATCH_ROWS` at a time, each batch made
  a polars frame at once;
- a stable row identity: rows are ordered by the table's primary key or the configured `key`
  column(s), `source_row` is the 1-based position in that order and `source_key` the key's
  value as text (for a key of several columns a JSON object, column → value); a key value that is null or repeats
  is refused, since it would make `source_row` change between two runs;
- every value arrives as the server's own text (PostgreSQL casts each column to text, MySQL
  sends text): BIGINT and DECIMAL(18,0) ID numbers keep every digit, dates are ISO; binary
  columns (bytea, BLOB, BINARY, BIT) are refused with the column named;
- `rows_in` is counted by the server (count(*) in the same snapshot), independently of the
  stream, so the run's row accounting can fail;
- the read runs in a read-only transaction; the password is taken from the URL, the
  environment (PGPASSWORD, MYSQL_PWD) or the driver's own file (~/.pgpass, ~/.my.cnf), and is
  never shown: every message names the URL through `mask_url`;
- connection failures, wrong credentials, missing tables, missing permissions and timeouts
  become SourceError messages.

The drivers are the optional extra `sql` (pip install 'linkage[sql]'), imported only here.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import polars as pl

from linkage.connectors.base import RawTable, SourceError, unique_headers
from linkage.errors import first_line

BATCH_ROWS = 50_000
CONNECT_TIMEOUT = 10  # seconds, unless the URL sets connect_timeout
READ_TIMEOUT = 600  # MySQL: seconds of silence from the server, unless the URL sets read_timeout
SCHEMES = {"postgresql": "postgresql", "postgres": "postgresql", "mysql": "mysql",
           "mariadb": "mysql"}
DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql"}
LINEAGE = ("source_row", "source_key")  # columns added to every row read


def server_kind(url: str) -> str | None:
    """"postgresql" or "mysql" for a server URL (`postgresql+psycopg://` too), else None."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return SCHEMES.get(scheme.split("+", 1)[0])


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***: the form every message and report shows."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _hide(text: str, url: str) -> str:
    """A driver's message with the URL's password (if it ever appears) replaced."""
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def quote_name(name: str, quote: str) -> str:
    """`schema.table` or `table` quoted part by part with the dialect's quote character."""
    return ".".join(quote + part.replace(quote, quote * 2) + quote for part in name.split("."))


class _Server:
    """What differs between the two servers: connecting, quoting, catalog queries, errors."""

    kind: str
    quote: str

    def __init__(self, url: str):
        self.url = url
        self.where = mask_url(url)

    def fail(self, what: str) -> SourceError:
        return SourceError(f"{self.where}: {_hide(what, self.url)}")


class _Postgres(_Server):
    kind, quote = "postgresql", '"'

    def connect(self, read_only: bool = True):
        import psycopg

        url = "postgresql://" + self.url.split("://", 1)[1]
        params = dict(parse_qsl(urlsplit(url).query))
        extra = {} if "connect_timeout" in params else {"connect_timeout": CONNECT_TIMEOUT}
        try:
            con = psycopg.connect(url, application_name="linkage" if read_only else "linkage publish",
                                  **extra)
        except psycopg.Error as exc:
            raise self.fail(self.explain(exc)) from None
        if read_only:
            con.read_only = True
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # count, rows: one snapshot
            con.execute("SET DateStyle TO ISO, YMD")
        return con

    def errors(self):
        import psycopg

        return psycopg.Error

    def explain(self, exc) -> str:
        import psycopg.errors as e

        first = first_line(exc)
        if isinstance(exc, e.InsufficientPrivilege):
            return f"permission denied ({first}); ask for SELECT on it (GRANT SELECT …)"
        if isinstance(exc, e.QueryCanceled):
            return f"the server stopped the read: timeout ({first})"
        if isinstance(exc, e.OperationalError):
            return _connect_problem(first)
        return first

    def scalar(self, con, sql: str):
        return con.execute(sql).fetchone()[0]

    def tables(self, con, table: str) -> list[str]:
        """Tables of the schema named in `table`, else of the schemas on the search path."""
        schema = table.rpartition(".")[0] or None
        return [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE CASE WHEN %s::text IS NULL "
            "THEN table_schema = ANY(current_schemas(false)) ELSE table_schema = %s END "
            "ORDER BY 1 LIMIT 50", [schema, schema])]

    def exists(self, con, table: str) -> bool:
        return con.execute("SELECT to_regclass(%s)", [quote_name(table, '"')]).fetchone()[0] is not None

    def primary_key(self, con, table: str) -> list[str]:
        return [r[0] for r in con.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", [quote_name(table, '"')])]

    def columns(self, con, relation: str) -> list[tuple[str, bool]]:
        cur = con.execute(f"SELECT * FROM {relation} LIMIT 0")
        return [(d.name, d.type_code == 17) for d in cur.description]  # 17: bytea

    def text(self, column: str) -> str:
        return f"{column}::text"

    def stream(self, con, sql: str):
        with con.cursor(name="linkage_read") as cur:
            cur.itersize = BATCH_ROWS
            cur.execute(sql)
            while rows := cur.fetchmany(BATCH_ROWS):
                yield rows


class _MySQL(_Server):
    kind, quote = "mysql", "`"

    def connect(self, read_only: bool = True):
        import pymysql
        from pymysql import converters

        parts = urlsplit(self.url)
        params = dict(parse_qsl(parts.query))
        option_file = Path(os.environ.get("MYSQL_OPTION_FILE", Path.home() / ".my.cnf"))
        try:
            con = pymysql.connect(
                host=parts.hostname or "localhost", port=parts.port or 3306,
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password is not None
                else os.environ.get("MYSQL_PWD", ""),
                database=unquote(parts.path.lstrip("/")) or None, charset="utf8mb4",
                connect_timeout=float(params.get("connect_timeout", CONNECT_TIMEOUT)),
                # PyMySQL's connect_timeout covers the TCP connect only: a server that accepts
                # and never answers is caught by the read timeout (each wait for the server)
                read_timeout=float(params.get("read_timeout", READ_TIMEOUT)),
                read_default_file=str(option_file) if option_file.is_file() else None,
                # reading: no decoders, every value stays the text the server sent (bytes if binary)
                conv={k: v for k, v in converters.conversions.items() if not isinstance(k, int)}
                if read_only else None,
                init_command="SET SESSION TRANSACTION READ ONLY, ISOLATION LEVEL REPEATABLE READ"
                if read_only else None)
        except (pymysql.Error, OSError) as exc:
            raise self.fail(self.explain(exc)) from None
        except ValueError as exc:
            raise self.fail(f"bad connection setting: {exc}") from None
        if read_only:
            con.query("START TRANSACTION WITH CONSISTENT SNAPSHOT")
        return con

    def errors(self):
        import pymysql

        return pymysql.Error

    def explain(self, exc) -> str:
        code, message = (exc.args + ("",))[:2] if exc.args else (None, "")
        text = f"{message} (error {code})" if isinstance(code, int) else str(exc)
        if code in (1142, 1143, 1044):
            return f"permission denied ({text}); ask for SELECT on it (GRANT SELECT …)"
        if code == 1045:
            return f"the server refused the user or password ({text})"
        if code in (2003, 2002) and "timed out" in str(message):
            return f"the connection timed out ({text})"
        if code in (2003, 2002):
            return f"cannot connect to the server ({text})"
        if code in (2013, 1969, 3024):
            return f"the connection timed out or was lost ({text})"
        return text

    def _run(self, con, sql: str, args=()) -> list[tuple]:
        with con.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def scalar(self, con, sql: str):
        return self._run(con, sql)[0][0]

    def tables(self, con, table: str) -> list[str]:
        """Tables of the database named in `table`, else of the connection's database."""
        return [r[0] for r in self._run(
            con, "SELECT table_name AS t FROM information_schema.tables WHERE "
            "table_schema = COALESCE(%s, DATABASE()) ORDER BY t LIMIT 50", (self._split(table)[0],))]

    def _split(self, table: str) -> tuple[str | None, str]:
        schema, _, name = table.rpartition(".")
        return schema or None, name

    def exists(self, con, table: str) -> bool:
        schema, name = self._split(table)
        return bool(self._run(con, "SELECT 1 FROM information_schema.tables WHERE "
                              "table_schema = COALESCE(%s, DATABASE()) AND table_name = %s",
                              (schema, name)))

    def primary_key(self, con, table: str) -> list[str]:
        schema, name = self._split(table)
        return [r[0] for r in self._run(
            con, "SELECT column_name FROM information_schema.key_column_usage WHERE "
            "table_schema = COALESCE(%s, DATABASE()) AND table_name = %s AND constraint_name = "
            "'PRIMARY' ORDER BY ordinal_position", (schema, name))]

    def columns(self, con, relation: str) -> list[tuple[str, bool]]:
        with con.cursor() as cur:
            cur.execute(f"SELECT * FROM {relation} LIMIT 0")
            return [(d[0], False) for d in cur.description]  # binary shows as bytes in stream

    def text(self, column: str) -> str:
        return column

    def stream(self, con, sql: str):
        import pymysql.cursors

        with con.cursor(pymysql.cursors.SSCursor) as cur:
            cur.execute(sql)
            while rows := cur.fetchmany(BATCH_ROWS):
                yield rows


def _connect_problem(first: str) -> str:
    low = first.lower()
    if "password authentication failed" in low or "does not exist" in low and "role" in low:
        return f"the server refused the user or password ({first})"
    if "timeout" in low:
        return f"the connection timed out ({first})"
    if "connection refused" in low or "could not connect" in low or "no such file" in low:
        return f"cannot connect to the server ({first})"
    return first


def server_for(url: str) -> _Server:
    """The server behind a postgresql:// or mysql:// URL; SourceError if its driver is missing."""
    kind = server_kind(url)
    if kind is None:
        raise SourceError(f"{mask_url(url)}: not a postgresql:// or mysql:// URL")
    try:
        __import__(DRIVERS[kind])
    except ImportError:
        raise SourceError(f"{mask_url(url)}: {kind} needs its driver "
                          f"({DRIVERS[kind]}): pip install 'linkage[sql]'") from None
    return _Postgres(url) if kind == "postgresql" else _MySQL(url)


def read_server(url: str, table: str | None = None, query: str | None = None,
                key: list[str] | None = None) -> RawTable:
    """Read `table` (or the rows of `query`) from a PostgreSQL or MySQL URL (see module doc)."""
    server = server_for(url)
    con = server.connect()
    try:
        return _read(server, con, table, query, key or [])
    except server.errors() as exc:
        raise server.fail(f"{_what(table, query)}: {server.explain(exc)}") from None
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection is not news
            con.close()


def _what(table: str | None, query: str | None) -> str:
    return f"table {table!r}" if table else "query"


def _read(server: _Server, con, table: str | None, query: str | None, key: list[str]) -> RawTable:
    what = _what(table, query)
    if table:
        if not server.exists(con, table):
            names = server.tables(con, table)
            raise server.fail(f"table {table!r} not found; the database has: "
                              f"{', '.join(names) or 'no tables'}")
        relation = quote_name(table, server.quote)
        key = key or server.primary_key(con, table)
        if not key:
            raise server.fail(f"table {table!r} has no primary key; set `key` to the column(s) "
                              "that identify a row, so its rows keep their order between runs")
    else:
        relation = "(" + (query or "").strip().rstrip(";") + ")"
        if not key:
            raise server.fail("a `query` source needs `key`: the column(s) of its result that "
                              "identify a row, so its rows keep their order between runs")
    columns = server.columns(con, f"{relation} AS linkage_src")
    names = [name for name, _ in columns]
    repeated = sorted({n for n in names if names.count(n) > 1 or n in LINEAGE})
    if repeated:
        raise server.fail(f"{what}: the result has more than one column named "
                          f"{', '.join(repeated)} (or a name linkage keeps for lineage: "
                          f"{', '.join(LINEAGE)}); give them distinct names (AS …)")
    binary = [name for name, is_binary in columns if is_binary]
    if binary:
        raise server.fail(_binary_message(what, binary))
    missing = [k for k in key if k not in names]
    if missing:
        raise server.fail(f"{what}: key column(s) {', '.join(missing)} not in the result; "
                          f"its columns are: {', '.join(names)}")

    def q(name: str) -> str:
        return "linkage_src." + quote_name(name, server.quote)

    rows_in = int(server.scalar(con, f"SELECT count(*) FROM {relation} AS linkage_src"))
    select = (f"SELECT {', '.join(server.text(q(n)) for n in names)} FROM {relation} AS linkage_src "
              f"ORDER BY {', '.join(q(k) for k in key)}")
    headers = unique_headers(names)
    schema = {f"c{i}": pl.Utf8 for i in range(len(names))}
    batches = []
    for rows in server.stream(con, select):
        try:
            batches.append(pl.DataFrame(rows, schema=schema, orient="row"))
        except (TypeError, pl.exceptions.PolarsError):
            raise server.fail(_binary_message(what, _binary_columns(rows, names))) from None
    data = (pl.concat(batches) if batches else pl.DataFrame(schema=schema))
    data = data.rename({f"c{i}": h for i, h in enumerate(headers)})
    data = _with_lineage(data, [headers[names.index(k)] for k in key], server, what)
    blank = [pl.when(pl.col(h).str.strip_chars() != "").then(pl.col(h)).alias(h) for h in headers]
    data = data.with_columns(blank)
    return RawTable(data=data, headers=headers, rows_in=rows_in,
                    detail={"key": key})


def _with_lineage(data: pl.DataFrame, key: list[str], server: _Server, what: str) -> pl.DataFrame:
    """Add source_row (1-based, key order) and source_key; refuse a null or repeated key."""
    source_key = pl.col(key[0]) if len(key) == 1 else pl.struct(key).struct.json_encode()
    data = data.with_columns(source_key.alias("source_key")).with_row_index("source_row", offset=1)
    data = data.with_columns(pl.col("source_row").cast(pl.Int64))
    nulls = data.filter(pl.any_horizontal([pl.col(k).is_null() for k in key]))
    if nulls.height:
        raise server.fail(f"{what}: key column(s) {', '.join(key)} are empty in row "
                          f"{nulls['source_row'][0]} (in key order); a key must identify every row")
    repeats = data.filter(pl.col("source_key") == pl.col("source_key").shift(1))
    if repeats.height:
        raise server.fail(f"{what}: key {', '.join(key)} is not unique: value "
                          f"{repeats['source_key'][0]!r} appears more than once; name column(s) "
                          "that identify a row in `key`")
    return data.select([c for c in data.columns if c not in LINEAGE] + list(LINEAGE))


def _binary_columns(rows: list[tuple], names: list[str]) -> list[str]:
    return [n for i, n in enumerate(names) if any(isinstance(r[i], (bytes, bytearray)) for r in rows)]


def _binary_message(what: str, columns: list[str]) -> str:
    return (f"{what}: column(s) {', '.join(columns)} hold binary data (bytea / BLOB / BINARY / "
            "BIT), which cannot be read as text; leave them out with a `query` that selects the "
            "other columns")
