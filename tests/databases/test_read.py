"""Reading sources from real PostgreSQL and MariaDB servers (linkage.connectors.server)."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from linkage.connectors import read_path
from linkage.connectors.server import mask_url
from linkage.errors import SourceError

ROOT = Path(__file__).resolve().parents[2]
ID = "110105199001011234"


def read(server, **kwargs):
    return read_path(server.url, "database", **kwargs)


def test_values_arrive_as_exact_text(server):
    server.execute(
        "CREATE TABLE typed (id BIGINT PRIMARY KEY, sfz DECIMAL(18,0), born DATE, seen TIMESTAMP NULL,"
        " amount DECIMAL(10,2), ratio DOUBLE PRECISION, name VARCHAR(20))",
        f"INSERT INTO typed VALUES (9223372036854775807, {ID}, '1990-01-31', '2024-02-03 04:05:06',"
        " 12.50, 0.1, '张三'), (-5, 999999999999999999, NULL, NULL, NULL, NULL, '   ')")
    table = read(server, table="typed")
    rows = table.data.to_dicts()
    assert [r["id"] for r in rows] == ["-5", "9223372036854775807"]  # key order, every digit
    assert rows[1] | {"source_row": 0} == {
        "id": "9223372036854775807", "sfz": ID, "born": "1990-01-31", "seen": "2024-02-03 04:05:06",
        "amount": "12.50", "ratio": "0.1", "name": "张三", "source_row": 0,
        "source_key": "9223372036854775807"}
    assert rows[0]["sfz"] == "999999999999999999" and rows[0]["name"] is None  # blank → null
    assert table.data["source_row"].to_list() == [1, 2]
    assert table.rows_in == 2 and table.headers == ["id", "sfz", "born", "seen", "amount", "ratio", "name"]


def test_rows_keep_their_identity_between_runs(server):
    keys = list(range(1, 2001))
    random.Random(7).shuffle(keys)
    server.load("people", ["姓名"], [(k, f"人{k}") for k in keys], key="编号")
    first, second = read(server, table="people"), read(server, table="people")
    lineage = first.data.select("source_row", "source_key", "姓名")
    assert lineage.equals(second.data.select("source_row", "source_key", "姓名"))
    assert lineage["source_key"].to_list() == [str(k) for k in range(1, 2001)]
    assert lineage.row(1999) == (2000, "2000", "人2000")


def test_query_with_a_compound_key(server):
    server.execute("CREATE TABLE visits (community VARCHAR(10), n INT, note VARCHAR(10))",
                   "INSERT INTO visits VALUES ('b', 1, 'x'), ('a', 2, 'y'), ('a', 1, 'z')")
    table = read(server, query="SELECT community, n, note FROM visits WHERE note <> 'x';",
                 key=["community", "n"])
    assert table.data["note"].to_list() == ["z", "y"]
    assert table.data["source_key"].to_list() == ['{"community":"a","n":"1"}',
                                                  '{"community":"a","n":"2"}']


@pytest.mark.parametrize("setup, kwargs, message", [
    (["CREATE TABLE t (a INT PRIMARY KEY)"], {"table": "missing"},
     r"table 'missing' not found; the database has: t"),
    (["CREATE TABLE t (a INT)"], {"table": "t"}, r"table 't' has no primary key; set `key`"),
    (["CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1), (2), (2)"], {"table": "t", "key": ["a"]},
     r"key a is not unique: value '2' appears more than once"),
    (["CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1), (NULL)"], {"table": "t", "key": ["a"]},
     r"key column\(s\) a are empty in row [12] "),
    (["CREATE TABLE t (a INT PRIMARY KEY)"], {"table": "t", "key": ["b"]},
     r"key column\(s\) b not in the result; its columns are: a"),
    (["CREATE TABLE t (a INT PRIMARY KEY)"], {"query": "SELECT a FROM t"},
     r"a `query` source needs `key`"),
    (["CREATE TABLE t (a INT PRIMARY KEY)"], {"query": "SELEC a FROM t", "key": ["a"]}, r"query: .*syntax"),
])
def test_bad_sources_are_clear_errors(server, setup, kwargs, message):
    server.execute(*setup)
    with pytest.raises(SourceError, match=message):
        read(server, **kwargs)


def test_binary_columns_are_refused(server):
    blob = "BYTEA" if server.kind == "postgresql" else "BLOB"
    literal = "'\\x00ff'::bytea" if server.kind == "postgresql" else "x'00ff'"
    server.execute(f"CREATE TABLE photos (id INT PRIMARY KEY, photo {blob})",
                   f"INSERT INTO photos VALUES (1, {literal})")
    with pytest.raises(SourceError, match=r"column\(s\) photo hold binary data .* cannot be read as text"):
        read(server, table="photos")
    assert read(server, query="SELECT id FROM photos", key=["id"]).rows_in == 1


def test_permission_denied_is_a_clear_error(server):
    user = f"{server.space}_reader"
    server.execute("CREATE TABLE secret (id INT PRIMARY KEY)")
    if server.kind == "postgresql":
        server.execute(f'CREATE ROLE "{user}" LOGIN', f'GRANT USAGE ON SCHEMA "{server.space}" TO "{user}"')
        url = server.url.replace("postgres@", f"{user}@")
    else:
        server.execute(f"CREATE USER '{user}'@'%'")
        url = server.url.replace("root@", f"{user}@")
    try:
        with pytest.raises(SourceError, match="permission denied"):
            read_path(url, "database", table="secret")
    finally:
        server.execute(*([f'DROP OWNED BY "{user}"', f'DROP ROLE "{user}"'] if server.kind == "postgresql"
                         else [f"DROP USER '{user}'@'%'"]))


def test_wrong_credentials_name_the_url_without_the_password(server):
    if server.kind == "postgresql":  # trust auth takes any password: an unknown role fails
        url = server.url.replace("postgres@", "nobody:s3cret@")
    else:
        url = server.url.replace("root@", "root:s3cret@")
    with pytest.raises(SourceError, match="refused the user or password") as err:
        read_path(url, "database", table="t")
    assert "s3cret" not in str(err.value) and ":***@" in str(err.value)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_no_server_and_a_silent_server_are_clear_errors(kind):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(SourceError, match="cannot connect to the server"):
        read_path(f"{kind}://u:pw@127.0.0.1:{port}/test", "database", table="t")
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    peers = []
    threading.Thread(target=lambda: peers.append(silent.accept()), daemon=True).start()
    try:
        with pytest.raises(SourceError, match="timed out"):
            timeouts = "connect_timeout=1" + ("&read_timeout=1" if kind == "mysql" else "")
            read_path(f"{kind}://u@127.0.0.1:{silent.getsockname()[1]}/test?{timeouts}",
                      "database", table="t")
    finally:
        silent.close()


def test_mask_url():
    assert mask_url("postgresql://ana:p%40ss@db:5432/x?sslmode=require") == \
        "postgresql://ana:***@db:5432/x?sslmode=require"
    assert mask_url("mysql://root@db/x") == "mysql://root@db/x"


def test_cli_reports_a_bad_source_without_traceback(pg, tmp_path):
    url = pg.url.replace("postgres@", "postgres:hunter2@")
    config = tmp_path / "db.yaml"
    config.write_text(f"sources:\n  jzdj:\n    url: '{url}'\n    table: missing\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "linkage.cli", "run", str(config)],
                            capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "table 'missing' not found" in result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_without_the_driver_the_message_says_what_to_install(tmp_path):
    config = tmp_path / "db.yaml"
    config.write_text("sources:\n  jzdj:\n    url: 'postgresql://x@127.0.0.1/test'\n"
                      "    table: people\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "runtime_only.py"), "run",
                             str(config)], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 2, result.stderr
    assert "needs its driver (psycopg): pip install 'linkage[sql]'" in result.stderr
