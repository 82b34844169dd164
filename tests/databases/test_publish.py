"""`linkage publish` into real PostgreSQL and MariaDB servers (linkage.publish)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

from linkage.errors import OutputError
from linkage.publish import publish

SAMPLE = ["name", "id_number", "phone", "birth_date", "address"]


def published(server, table: str, columns: str = "count(*)") -> list[tuple]:
    return server.query(f"SELECT {columns} FROM {server.q(server.space)}.{server.q(table)}")


def test_publish_loads_golden_records_crosswalk_and_metrics(server, file_run):
    out, _ = file_run
    result = publish(out, server.url, server.space)
    assert not result["replaced"]
    golden = pl.read_parquet(out / "golden_person.parquet")
    assert published(server, "person")[0][0] == golden.height == result["tables"]["person"]
    assert published(server, "enterprise")[0][0] == pl.read_parquet(out / "golden_enterprise.parquet").height
    sample = golden.select("entity_id", *SAMPLE).sample(50, seed=1)
    rows = published(server, "person", "entity_id, " + ", ".join(SAMPLE))
    by_id = {r[0]: r[1:] for r in rows}
    for row in sample.iter_rows():
        assert by_id[row[0]] == row[1:]
    clusters = pl.read_parquet(out / "clusters.parquet")
    assert published(server, "linkage_record_entity")[0][0] == clusters.height
    crosswalk = {(r[0], r[1]): r[2] for r in published(
        server, "linkage_record_entity", "source, source_row, entity_id")}
    assert crosswalk == {(r["source"], r["source_row"]): r["entity_id"]
                         for r in clusters.iter_rows(named=True)}
    metrics = json.loads(published(server, "linkage_publication", "metrics")[0][0]) \
        if server.kind == "mysql" else published(server, "linkage_publication", "metrics")[0][0]
    assert metrics == json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert published(server, "person_source_record")[0][0] == \
        clusters.filter(pl.col("entity_type") == "person").height


def test_publishing_again_replaces_the_publication_whole(server, file_run):
    out, _ = file_run
    publish(out, server.url, server.space)
    server.execute(f"DELETE FROM {server.q(server.space)}.linkage_publication")
    again = publish(out, server.url, server.space)
    assert again["replaced"]
    assert published(server, "linkage_publication")[0][0] == 1  # the new one, not the emptied old
    assert published(server, "person")[0][0] == again["tables"]["person"]


def test_a_schema_that_is_not_a_publication_is_never_replaced(server, file_run):
    out, _ = file_run
    server.execute("CREATE TABLE payroll (id INT PRIMARY KEY)")
    with pytest.raises(OutputError, match="is not a linkage publication"):
        publish(out, server.url, server.space)
    assert published(server, "payroll")[0][0] == 0


def test_publish_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(Exception, match="not the output of a finished linkage run"):
        publish(tmp_path, "postgresql://postgres@127.0.0.1/test", "x")


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def _start_publish(out, server) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "linkage.cli", "publish", str(out), "--to",
                             server.url, "--schema", server.space],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_kill_during_publish_leaves_the_previous_publication(server, file_run):
    out, _ = file_run
    publish(out, server.url, server.space)
    before = published(server, "linkage_publication", "published_at")
    server.execute(f"DELETE FROM {server.q(server.space)}.linkage_record_entity WHERE source_row > 5")
    kept = published(server, "linkage_record_entity")[0][0]
    if server.kind == "postgresql":
        # a reader holding a table of the old publication: the publisher has built and swapped
        # everything in its transaction and waits to drop the old schema — killed there
        reader = server.connect()
        reader.autocommit = False
        reader.execute(f'SELECT count(*) FROM "{server.space}".linkage_publication').fetchall()
        proc = _start_publish(out, server)
        mine = f"application_name = 'linkage publish' AND query LIKE '%{server.space}%'"
        _wait_for(lambda: server.query(
            f"SELECT count(*) FROM pg_stat_activity WHERE {mine} AND wait_event_type = 'Lock'")[0][0])
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.rollback()
        reader.close()
        _wait_for(lambda: server.query(f"SELECT count(*) FROM pg_stat_activity WHERE {mine}")[0][0] == 0)
    else:
        # killed as soon as the new database appears: mid-load
        proc = _start_publish(out, server)
        _wait_for(lambda: proc.poll() is not None or server.query(
            f"SELECT count(*) FROM information_schema.schemata WHERE schema_name = "
            f"'{server.space}__new'")[0][0] > 0)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
    assert published(server, "linkage_publication", "published_at") == before
    assert published(server, "linkage_record_entity")[0][0] == kept
    assert publish(out, server.url, server.space)["replaced"]  # and the next publish cleans up
    assert published(server, "linkage_record_entity")[0][0] == \
        pl.read_parquet(out / "clusters.parquet").height


def test_cli_publish_masks_the_password_and_reports_failures(server, file_run):
    out, _ = file_run
    user = "postgres" if server.kind == "postgresql" else "root"
    good = server.url.replace(f"{user}@", f"{user}:hunter2@") if server.kind == "postgresql" \
        else server.url
    command = [sys.executable, "-m", "linkage.cli", "publish", str(out), "--schema", server.space]
    done = subprocess.run([*command, "--to", good], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "linkage_record_entity" in done.stdout and "hunter2" not in done.stdout + done.stderr
    bad = server.url.replace(f"{user}@", "nobody:hunter2@" if server.kind == "postgresql"
                             else f"{user}:hunter2@")
    failed = subprocess.run([*command, "--to", bad], capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert "refused the user or password" in failed.stderr and ":***@" in failed.stderr
    assert "hunter2" not in failed.stderr and "Traceback" not in failed.stderr
