"""Real PostgreSQL and MariaDB servers for the database tests.

The servers are the ones on the development and CI machine (127.0.0.1:5432 trust auth,
127.0.0.1:3306 root without password; `.ci/run` starts them).  A test that needs a server it
cannot reach is skipped with the reason; each test gets its own PostgreSQL schema or MariaDB
database (`lk_<random>`), dropped afterwards, so tests and people sharing a server never meet.
Override the servers with LINKAGE_TEST_PG / LINKAGE_TEST_MYSQL (URLs without a database).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
import pymysql
import pytest

PG = os.environ.get("LINKAGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
MYSQL = os.environ.get("LINKAGE_TEST_MYSQL", "mysql://root@127.0.0.1:3306")


@dataclass
class Server:
    """One server and the scratch namespace of one test: `url` reads it unqualified."""

    kind: str        # postgresql / mysql
    base: str        # server URL without a database
    space: str       # the test's schema (PostgreSQL) or database (MariaDB)

    @property
    def url(self) -> str:
        if self.kind == "postgresql":
            return f"{self.base}/test?options={quote('-csearch_path=' + self.space)}"
        return f"{self.base}/{self.space}"

    def connect(self):
        if self.kind == "postgresql":
            con = psycopg.connect(f"{self.base}/test", autocommit=True, connect_timeout=3)
            con.execute(f'SET search_path TO "{self.space}"')
            return con
        return pymysql.connect(host="127.0.0.1", port=int(self.base.rsplit(":", 1)[1]), user="root",
                               database=self.space, charset="utf8mb4", autocommit=True,
                               connect_timeout=3)

    def execute(self, *statements: str) -> None:
        con = self.connect()
        try:
            for sql in statements:
                if self.kind == "postgresql":
                    con.execute(sql)
                else:
                    with con.cursor() as cur:
                        cur.execute(sql)
        finally:
            con.close()

    def query(self, sql: str) -> list[tuple]:
        con = self.connect()
        try:
            cur = con.cursor()
            cur.execute(sql)
            return list(cur.fetchall())
        finally:
            con.close()

    def q(self, name: str) -> str:
        quote_char = '"' if self.kind == "postgresql" else "`"
        return quote_char + name + quote_char

    def load(self, table: str, headers: list[str], rows: list[tuple], key: str) -> None:
        """Create `table` (text columns, `key` BIGINT primary key first) and fill it."""
        columns = ", ".join([f"{self.q(key)} BIGINT PRIMARY KEY",
                             *(f"{self.q(h)} TEXT" for h in headers)])
        self.execute(f"CREATE TABLE {self.q(table)} ({columns})")
        names = ", ".join(self.q(c) for c in [key, *headers])
        con = self.connect()
        try:
            if self.kind == "postgresql":
                with con.cursor().copy(f"COPY {self.q(table)} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * (len(headers) + 1))
                with con.cursor() as cur:
                    cur.executemany(f"INSERT INTO {self.q(table)} ({names}) VALUES ({marks})", rows)
        finally:
            con.close()


def _reachable(kind: str, base: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        Server(kind, base, "").connect().close() if kind == "mysql" else \
            psycopg.connect(f"{base}/test", connect_timeout=3).close()
    except (psycopg.Error, pymysql.Error) as exc:
        return f"{kind} server at {base} not reachable ({str(exc).splitlines()[0]})"
    return None


_STATUS: dict[str, str | None] = {}


def _server(kind: str, base: str):
    if kind not in _STATUS:
        _STATUS[kind] = _reachable(kind, base)
    if _STATUS[kind]:
        pytest.skip(_STATUS[kind])
    space = f"lk_{uuid.uuid4().hex[:10]}"
    server = Server(kind, base, space)
    if kind == "postgresql":
        Server(kind, base, "public").execute(f'CREATE SCHEMA "{space}"')
    else:
        Server(kind, base, "test").execute(
            f"CREATE DATABASE `{space}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    return server


def _drop(server: Server) -> None:
    if server.kind == "postgresql":
        Server(server.kind, server.base, "public").execute(
            f'DROP SCHEMA IF EXISTS "{server.space}" CASCADE')
    else:
        Server(server.kind, server.base, "test").execute(f"DROP DATABASE IF EXISTS `{server.space}`")


@pytest.fixture
def pg():
    server = _server("postgresql", PG)
    yield server
    _drop(server)


@pytest.fixture
def mysql():
    server = _server("mysql", MYSQL)
    yield server
    _drop(server)


@pytest.fixture(params=["postgresql", "mysql"])
def server(request):
    """Each test using it runs once per server."""
    server = _server(request.param, PG if request.param == "postgresql" else MYSQL)
    yield server
    _drop(server)
