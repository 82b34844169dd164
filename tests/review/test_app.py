"""The review app over HTTP (a real `linkage review` process on the demo run): the token and
host guard, queues and progress, decisions saved at once and kept across restarts, undo,
splits and confirmations; and the `--export` / `--import` commands."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
from click.testing import CliRunner

from linkage.cli import main
from linkage.link.labels import current, read_labels
from tests.conftest import REPO

from .conftest import copy_run, serve


def test_every_request_needs_the_token_and_the_host(served):
    assert served.get("/", token=False)[0] == 403
    assert served.get("/api/state", token=False)[0] == 403
    assert served.get("/static/app.js", token=False)[0] == 403
    assert served.get("/?token=wrong", token=False)[0] == 403
    assert served.get("/api/state", headers={"Host": "evil.example:80"})[0] == 403
    assert served.post("/api/undo", {}, token=False)[0] == 403
    status, page = served.get("/?token=" + served.token, token=False)
    assert status == 200 and 'name="review-token"' in page and "/static/app.js" in page
    assert "http" not in page.split("<body>")[0].replace(served.base, "")  # nothing from elsewhere
    assert served.get("/static/app.js")[0] == 200


def test_queues_progress_and_decisions_saved_at_once(served, fresh_run):
    status, state = served.get("/api/state")
    assert status == 200 and state["reviewer"] == "clerk"
    queues = {q["name"]: q for q in state["queues"]}
    assert set(queues) == {"possible", "conflicts", "clusters", "audit"}
    assert queues["audit"]["total"] >= 400 and queues["audit"]["done"] == 0
    assert queues["clusters"]["total"] > 0
    first = served.get("/api/queue/audit?limit=5")[1]["items"]
    assert [i["index"] for i in first] == [0, 1, 2, 3, 4]
    status, saved = served.post("/api/label", {"queue": "audit", "index": 0, "decision": "same"})
    assert status == 200 and saved["next"] == 1
    rows = read_labels(fresh_run.labels)  # on disk before the answer came
    assert rows.select("decision", "queue", "reviewer", "kind").row(0) == ("same", "audit", "clerk",
                                                                          "pair")
    assert rows["sample"][0].startswith("person-") or rows["sample"][0].startswith("enterprise-")
    served.post("/api/label", {"queue": "audit", "index": 1, "decision": "unsure"})
    served.post("/api/label", {"queue": "audit", "index": 0, "decision": "different"})
    assert served.post("/api/label", {"queue": "audit", "index": 0, "decision": "maybe"})[0] == 400
    assert served.post("/api/label", {"queue": "audit", "index": 10**6, "decision": "same"})[0] == 400
    assert {q["name"]: q["done"] for q in served.get("/api/state")[1]["queues"]}["audit"] == 2
    assert served.post("/api/undo", {})[1]["index"] == 0  # back to "same"
    assert served.get("/api/item/audit/0")[1]["status"] == "same"
    assert served.get("/api/queue/audit?pending=1&limit=1")[1]["items"][0]["index"] == 2


def test_a_split_and_a_confirmation_and_a_restart(served, fresh_run):
    item = served.get("/api/item/clusters/0")[1]
    records = [r["record_id"] for r in item["view"]["records"]]
    assert item["kind"] == "cluster" and len(records) >= 3
    assert served.post("/api/split", {"entity_id": item["view"]["entity_id"], "records": records,
                                      "queue": "clusters", "index": 0})[0] == 400  # not all
    status, saved = served.post("/api/split", {"entity_id": item["view"]["entity_id"],
                                               "records": records[:1], "queue": "clusters",
                                               "index": 0})
    assert status == 200 and saved["saved"] == len(records) - 1
    other = served.get("/api/item/clusters/1")[1]["view"]
    assert served.post("/api/confirm", {"entity_id": other["entity_id"], "queue": "clusters",
                                        "index": 1})[1]["saved"] == len(other["records"]) - 1
    decided = current(read_labels(fresh_run.labels))
    assert decided.group_by("kind", "decision").len().sort("kind").rows() == [
        ("cluster", "same", len(other["records"]) - 1), ("split", "different", len(records) - 1)]
    served.stop()
    again = serve(fresh_run.output)
    try:
        queues = {q["name"]: q["done"] for q in again.get("/api/state")[1]["queues"]}
        assert queues["clusters"] == 2
        assert again.get("/api/item/clusters/0")[1]["status"] == "reviewed"
        assert again.post("/api/undo", {})[0] == 400  # undo is per session
    finally:
        again.stop()


def test_pair_view_shows_fields_lineage_and_waterfall_masked(served):
    view = served.get("/api/item/audit/0")[1]["view"]
    assert len(view["records"]) == 2 and all(r["file"] and r["source_row"] for r in view["records"])
    steps = view["waterfall"]["steps"]
    total = view["waterfall"]["prior"] + sum(s["weight"] for s in steps)
    assert abs(total - view["waterfall"]["total"]) < 1e-6
    shown = {f["attribute"]: f for f in view["fields"]}
    masked = [v["normalized"] for v in shown.get("id_number", {"values": []})["values"] if v["normalized"]]
    assert all("*" in v for v in masked)
    revealed = served.get("/api/item/audit/0?reveal=1")[1]["view"]["fields"]
    ids = [v["normalized"] for f in revealed if f["attribute"] == "id_number" for v in f["values"]
           if v["normalized"]]
    assert all("*" not in v for v in ids)


def test_export_and_import_merge_labels_later_decision_wins(fresh_run, tmp_path):
    other = copy_run(fresh_run.output, tmp_path / "colleague")
    pair = ("jzdj", "1", "zzsb", "5")
    header = "labelled_at,reviewer,action,kind,decision,queue,entity_type,source_l,key_l," \
             "source_r,key_r,key_type,sample\n"

    def row(at, who, decision, p=pair):
        return f"{at},{who},a,pair,{decision},possible,person,{p[0]},{p[1]},{p[2]},{p[3]},source_row,\n"

    fresh_run.labels.write_text(header + row("2024-01-01T00:00:00.000+00:00", "me", "same")
                                + row("2024-01-01T00:00:01.000+00:00", "me", "same",
                                      ("jzdj", "2", "zzsb", "6")), encoding="utf-8")
    other.labels.write_text(header + row("2024-01-02T00:00:00.000+00:00", "you", "different")
                            + row("2024-01-01T00:00:01.000+00:00", "me", "same",
                                  ("jzdj", "2", "zzsb", "6")), encoding="utf-8")
    runner = CliRunner()
    exported = tmp_path / "theirs.csv"
    result = runner.invoke(main, ["review", str(other.output), "--export", str(exported)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["review", str(fresh_run.output), "--import", str(exported)])
    assert result.exit_code == 0, result.output
    assert "2 rows, 1 new" in result.output
    assert "1 pair(s) decided differently" in result.output
    assert "jzdj:1 – zzsb:5  here same, there different → different" in result.output
    decided = current(read_labels(fresh_run.labels))
    assert decided.filter(pl.col("key_l") == "1")["decision"].to_list() == ["different"]
    again = runner.invoke(main, ["review", str(fresh_run.output), "--import", str(exported)])
    assert "0 new" in again.output
    inside = runner.invoke(main, ["review", str(fresh_run.output), "--export",
                                  str(fresh_run.output / "labels.csv")])
    assert inside.exit_code == 2 and "output folder" in inside.output


def test_not_a_run_and_a_missing_config_are_messages(tmp_path, fresh_run):
    runner = CliRunner()
    result = runner.invoke(main, ["review", str(tmp_path)])
    assert result.exit_code == 2 and "not the output of a finished linkage run" in result.output
    fresh_run.config.unlink()
    result = runner.invoke(main, ["review", str(fresh_run.output), "--export", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "is gone" in result.output


def test_linkage_run_does_not_import_the_web_stack():
    code = ("import sys, linkage.cli, linkage.pipeline, linkage.review.quality, "
            "linkage.report.sections; linkage.cli.main(['--help'], standalone_mode=False); "
            "bad = [m for m in ('starlette', 'uvicorn', 'linkage.review.app') if m in sys.modules]; "
            "print(bad); sys.exit(bool(bad))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
