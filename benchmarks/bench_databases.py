"""Read a 1M-row table from PostgreSQL and from MariaDB through linkage's server connector.

    .venv/bin/python benchmarks/bench_databases.py setup --rows 1000000
    /usr/bin/time -v .venv/bin/python benchmarks/bench_databases.py read postgresql
    /usr/bin/time -v .venv/bin/python benchmarks/bench_databases.py read mysql
    .venv/bin/python benchmarks/bench_databases.py drop

`setup` builds table `bench_people` (BIGINT primary key, name, DECIMAL(18,0) ID number, phone,
DATE, address, community) in PostgreSQL schema / MariaDB database `linkage_bench`, generated on
the server.  `read` times `read_server` alone (CPU seconds of this process, rows, peak RSS);
run it under /usr/bin/time -v for the peak memory of the whole read.  Servers: the test
servers (127.0.0.1:5432 trust auth, 127.0.0.1:3306 root), or LINKAGE_BENCH_PG / _MYSQL URLs.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from linkage.connectors.server import read_server, server_for

PG = os.environ.get("LINKAGE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL = os.environ.get("LINKAGE_BENCH_MYSQL", "mysql://root@127.0.0.1:3306")
SPACE = "linkage_bench"


def url(kind: str) -> str:
    if kind == "postgresql":
        return f"{PG}?options=-csearch_path%3D{SPACE}"
    return f"{MYSQL}/{SPACE}"


def setup(rows: int) -> None:
    con = server_for(PG).connect(read_only=False)
    with con.transaction():
        con.execute(f"DROP SCHEMA IF EXISTS {SPACE} CASCADE")
        con.execute(f"CREATE SCHEMA {SPACE}")
        con.execute(f"""CREATE TABLE {SPACE}.bench_people AS SELECT i::bigint AS id,
            '张' || chr(19968 + i % 20000) || chr(19968 + (i * 7) % 20000) AS name,
            (110105190001010000 + i * 97)::decimal(18,0) AS id_number,
            '138' || lpad((i % 100000000)::text, 8, '0') AS phone,
            DATE '1950-01-01' + (i % 25000) AS birth_date,
            '广东省深圳市南山区桃园路' || (i % 999) || '号' || (i % 30) || '栋' AS address,
            '社区' || (i % 500) AS community
            FROM generate_series(1, {rows}) AS i""")
        con.execute(f"ALTER TABLE {SPACE}.bench_people ADD PRIMARY KEY (id)")
    con.close()
    my = server_for(f"{MYSQL}/mysql").connect(read_only=False)
    with my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {SPACE}")
        cur.execute(f"CREATE DATABASE {SPACE} CHARACTER SET utf8mb4")
        cur.execute(f"""CREATE TABLE {SPACE}.bench_people (id BIGINT PRIMARY KEY,
            name VARCHAR(20), id_number DECIMAL(18,0), phone VARCHAR(20), birth_date DATE,
            address VARCHAR(100), community VARCHAR(20))""")
        cur.execute(f"""INSERT INTO {SPACE}.bench_people SELECT seq,
            CONCAT('张', CONVERT(CHAR(19968 + seq % 20000 USING ucs2) USING utf8mb4),
                   CONVERT(CHAR(19968 + (seq * 7) % 20000 USING ucs2) USING utf8mb4)),
            110105190001010000 + seq * 97, CONCAT('138', LPAD(seq % 100000000, 8, '0')),
            DATE '1950-01-01' + INTERVAL (seq % 25000) DAY,
            CONCAT('广东省深圳市南山区桃园路', seq % 999, '号', seq % 30, '栋'),
            CONCAT('社区', seq % 500) FROM seq_1_to_{rows}""")
    my.commit()
    my.close()


def drop() -> None:
    con = server_for(PG).connect(read_only=False)
    con.execute(f"DROP SCHEMA IF EXISTS {SPACE} CASCADE")
    con.commit()
    con.close()
    my = server_for(f"{MYSQL}/mysql").connect(read_only=False)
    with my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {SPACE}")
    my.close()


def read(kind: str) -> None:
    start = time.process_time()
    table = read_server(url(kind), table="bench_people")
    cpu = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind}: {table.rows_in:,} rows × {len(table.headers)} columns read in {cpu:.2f} s CPU "
          f"(this process), peak RSS {peak:.0f} MiB; last key {table.data['source_key'][-1]}, "
          f"id_number {table.data['id_number'][-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup").add_argument("--rows", type=int, default=1_000_000)
    sub.add_parser("read").add_argument("kind", choices=["postgresql", "mysql"])
    sub.add_parser("drop")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.rows)
    elif args.command == "read":
        read(args.kind)
    else:
        drop()


if __name__ == "__main__":
    main()
