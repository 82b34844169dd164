"""Build a publication beside the published one and swap it in whole, per server.

PostgreSQL: one transaction does everything — create schema `<name>__new`, create and fill
its tables (COPY), rename `<name>` to `<name>__old` and `<name>__new` to `<name>`, drop the
old one — so until the commit readers see the previous publication, and a failed or killed
publish rolls back to it.  An advisory lock keeps two publishers of one schema apart.

MySQL / MariaDB (DDL commits at once there): fill database `<name>__new` (the rows in one
transaction), then one RENAME TABLE statement moves every table of `<name>` to `<name>__old`
and every new table into `<name>` — atomic for readers — and both scratch databases are
dropped.  A killed publish leaves `<name>` untouched and a scratch database, which the next
publish drops first.  GET_LOCK keeps two publishers apart.

Each function returns (replaced a previous publication?, {table: rows}).
"""

from __future__ import annotations

from linkage.engine import Engine
from linkage.errors import OutputError

BATCH_ROWS = 10_000
MARKER = "linkage_publication"  # the table that makes a schema a linkage publication


def _rows(local: Engine, table: str):
    """The rows of a local table as tuples, in batches of at most BATCH_ROWS."""
    for batch in local.batches(f"SELECT * FROM {local.dialect.quote(table)}", BATCH_ROWS):
        if batch.num_rows:
            yield list(zip(*(column.to_pylist() for column in batch.columns)))


def _columns(local: Engine, table: str) -> list[str]:
    return local.columns(table)


def _not_ours(server, name: str, kind: str) -> OutputError:
    return OutputError(f"{server.where}: {kind} {name!r} exists and is not a linkage publication "
                       f"(it has no table {MARKER}); choose another --schema")


def _failed(server, exc) -> OutputError:
    return OutputError(str(server.fail(f"publish failed, the previous publication is unchanged: "
                                       f"{server.explain(exc)}")))


def publish_postgres(server, name: str, ddl: list[str], tables: list[str],
                     local: Engine) -> tuple[bool, dict]:
    new, old = f"{name}__new", f"{name}__old"
    con = server.connect(read_only=False)
    counts = {}
    try:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"linkage publish {name}"])
            exists = con.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name]).fetchone()
            previous = bool(con.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND "
                                        "tablename = %s", [name, MARKER]).fetchone())
            if exists and not previous and con.execute(
                    "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = %s", [name]).fetchone():
                raise _not_ours(server, name, "schema")
            con.execute(f'CREATE SCHEMA "{new}"')
            con.execute(f'SET LOCAL search_path TO "{new}"')
            for statement in ddl:
                con.execute(statement)
            for table in tables:
                columns = ", ".join(f'"{c}"' for c in _columns(local, table))
                counts[table] = 0
                with con.cursor().copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                    for batch in _rows(local, table):
                        for row in batch:
                            copy.write_row(row)
                        counts[table] += len(batch)
            if exists:
                con.execute(f'ALTER SCHEMA "{name}" RENAME TO "{old}"')
            con.execute(f'ALTER SCHEMA "{new}" RENAME TO "{name}"')
            if exists:
                con.execute(f'DROP SCHEMA "{old}" CASCADE')
    except server.errors() as exc:
        raise _failed(server, exc) from None
    finally:
        con.close()
    return previous, counts


def publish_mysql(server, name: str, ddl: list[str], tables: list[str],
                  local: Engine) -> tuple[bool, dict]:
    new, old = f"{name}__new", f"{name}__old"
    con = server.connect(read_only=False)
    counts = {}

    def run(sql: str, args=()) -> list[tuple]:
        with con.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    try:
        if run("SELECT GET_LOCK(%s, 10)", (f"linkage publish {name}",))[0][0] != 1:
            raise OutputError(f"{server.where}: another publish into {name!r} is running")
        published = [r[0] for r in run("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = %s", (name,))]
        if published and MARKER not in published:
            raise _not_ours(server, name, "database")
        charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        for scratch in (new, old):  # a killed publish's leftovers
            run(f"DROP DATABASE IF EXISTS `{scratch}`")
        run(f"CREATE DATABASE `{new}` {charset}")
        run(f"USE `{new}`")
        for statement in ddl:
            run(statement)
        con.begin()
        for table in tables:
            columns = _columns(local, table)
            insert = (f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) "
                      f"VALUES ({', '.join(['%s'] * len(columns))})")
            counts[table] = 0
            with con.cursor() as cur:
                for batch in _rows(local, table):
                    cur.executemany(insert, batch)
                    counts[table] += len(batch)
        con.commit()
        run(f"CREATE DATABASE IF NOT EXISTS `{name}` {charset}")
        run(f"CREATE DATABASE `{old}` {charset}")
        moves = [f"`{name}`.`{t}` TO `{old}`.`{t}`" for t in published]
        moves += [f"`{new}`.`{t}` TO `{name}`.`{t}`" for t in tables]
        run("RENAME TABLE " + ", ".join(moves))
        run(f"DROP DATABASE `{old}`")
        run(f"DROP DATABASE `{new}`")
    except server.errors() as exc:
        raise _failed(server, exc) from None
    finally:
        con.close()  # releases the lock
    return bool(published), counts


TARGETS = {"postgresql": publish_postgres, "mysql": publish_mysql}
