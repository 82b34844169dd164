"""The labels file as the app writes it: appended, durable, repaired after a crash, undoable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from linkage.link.labels import COLUMNS, read_labels
from linkage.review.store import LabelStore, pair_key
from tests.conftest import REPO

A = pair_key("person", "jzdj", 12, "zzsb", 3)
B = pair_key("person", "zzsb", 3, "jzdj", 4)


def test_pair_keys_are_canonical():
    assert A == ("person", "source_row", "jzdj", "12", "zzsb", "3")
    assert pair_key("person", "zzsb", 3, "jzdj", 12) == A


def test_decisions_are_appended_and_undo_gives_the_old_one_back(tmp_path):
    store = LabelStore(tmp_path / "run.labels.csv")
    first = store.decide([A], "same", reviewer="王", kind="pair", queue="audit", sample="s1")
    second = store.decide([A, B], "different", reviewer="王", kind="split", queue="clusters")
    assert store.decision(A) == "different" and store.decision(B) == "different"
    assert first.before == [None] and second.before == ["same", None]
    lines = (tmp_path / "run.labels.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 4
    undone = store.undo(second, "王")
    assert [store.decision(A), store.decision(B)] == ["same", None]
    assert [r["decision"] for r in undone.rows] == ["same", "retracted"]
    reread = LabelStore(tmp_path / "run.labels.csv")
    assert reread.decision(A) == "same" and reread.decision(B) is None
    assert read_labels(reread.path).height == 5  # nothing is ever rewritten


def test_a_torn_line_left_by_a_crash_is_cut_before_the_next_append(tmp_path):
    path = tmp_path / "l.csv"
    store = LabelStore(path)
    store.decide([A], "same", reviewer="x", kind="pair", queue="possible")
    with open(path, "ab") as fh:
        fh.write("2024-01-01T00:00:00.000+00:00,x,a,pair,diff".encode())  # the crash
    assert LabelStore(path).decision(A) == "same"
    again = LabelStore(path)
    again.decide([B], "unsure", reviewer="x", kind="pair", queue="possible")
    assert read_labels(path).height == 2
    assert path.read_bytes().endswith(b"\n") and b"diff\n" not in path.read_bytes()


def test_a_decision_survives_the_process_being_killed(tmp_path):
    """A child saves one decision, says so, and is killed at once: the decision is there."""
    path = tmp_path / "l.csv"
    code = textwrap.dedent(f"""
        import sys, time
        from linkage.review.store import LabelStore, pair_key
        store = LabelStore({str(path)!r})
        store.decide([pair_key("person", "a", 1, "b", 2)], "same", reviewer="x", kind="pair",
                     queue="audit")
        print("saved", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "saved"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert LabelStore(path).decision(pair_key("person", "a", 1, "b", 2)) == "same"
