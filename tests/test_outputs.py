"""The output folder: built beside, swapped in whole, never shared, never taking user files.

Issue #11 cases 3 and 4: a run must not delete or overwrite files it did not write, a failed or
killed run leaves the previous output whole, and two runs never share one output folder.
"""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkage import outputs
from linkage.cli import main
from linkage.errors import OutputError

REPO = Path(__file__).resolve().parents[1]


# --- the folder mechanics ----------------------------------------------------------------

def _build(target: Path, files: dict[str, str], inputs=()):
    with outputs.building(target, inputs) as work:
        for name, text in files.items():
            (work / name).write_text(text, encoding="utf-8")


def test_a_build_swaps_in_whole_and_keeps_one_previous(tmp_path):
    target = tmp_path / "out"
    _build(target, {"a.txt": "one"})
    assert (target / "a.txt").read_text() == "one"
    assert outputs.read_marker(target)["files"] == ["a.txt"]
    _build(target, {"a.txt": "two", "b.txt": "new"})
    assert (target / "a.txt").read_text() == "two"
    assert (tmp_path / "out.previous" / "a.txt").read_text() == "one"
    _build(target, {"a.txt": "three"})
    assert (tmp_path / "out.previous" / "a.txt").read_text() == "two"
    assert not (target / "b.txt").exists()
    # nothing half-built is left beside the output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out", "out.previous"]


def test_a_failed_build_leaves_the_output_as_it_was(tmp_path):
    target = tmp_path / "out"
    _build(target, {"a.txt": "one"})
    with pytest.raises(RuntimeError):
        with outputs.building(target) as work:
            (work / "a.txt").write_text("half", encoding="utf-8")
            raise RuntimeError("stage failed")
    assert (target / "a.txt").read_text() == "one"
    assert not (tmp_path / "out.previous").exists()
    assert not list(tmp_path.glob(".out.building-*"))


def test_a_folder_of_user_files_is_refused_untouched(tmp_path):
    target = tmp_path / "mine"
    (target / ".work").mkdir(parents=True)
    (target / ".work" / "notes.txt").write_text("keep me", encoding="utf-8")
    (target / "records.parquet").write_bytes(b"user data")
    with pytest.raises(OutputError, match="not the output of a linkage run.*records.parquet"):
        _build(target, {"records.parquet": "ours"})
    assert (target / "records.parquet").read_bytes() == b"user data"
    assert (target / ".work" / "notes.txt").read_text() == "keep me"


def test_a_run_folder_with_a_file_added_is_refused(tmp_path):
    target = tmp_path / "out"
    _build(target, {"a.txt": "one"})
    (target / "crosswalk_edited.csv").write_text("mine", encoding="utf-8")
    (target / ".DS_Store").write_bytes(b"")  # system junk does not count
    with pytest.raises(OutputError, match="holds files linkage did not write: crosswalk_edited.csv"):
        _build(target, {"a.txt": "two"})
    assert (target / "a.txt").read_text() == "one"


def test_output_in_an_input_folder_is_refused(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "jzdj.csv").write_text("姓名\n张三\n", encoding="utf-8")
    for target in (exports, tmp_path):
        with pytest.raises(OutputError, match="holds the input"):
            _build(target, {"a.txt": "x"}, inputs=[exports / "jzdj.csv"])
    _build(exports / "out", {"a.txt": "x"}, inputs=[exports / "jzdj.csv"])  # a folder of its own


def test_a_second_run_into_one_folder_is_refused(tmp_path):
    target = tmp_path / "out"
    entered, release = threading.Event(), threading.Event()

    def first():
        with outputs.building(target) as work:
            (work / "a.txt").write_text("first", encoding="utf-8")
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    entered.wait(10)
    try:
        with pytest.raises(OutputError, match="another linkage run is writing to .*pid"):
            _build(target, {"a.txt": "second"})
    finally:
        release.set()
        thread.join()
    assert (target / "a.txt").read_text() == "first"


# --- whole runs through the command line --------------------------------------------------

def demo_config(folder: Path, output: str = "out") -> Path:
    text = (REPO / "configs" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/fixtures", (REPO / "data" / "fixtures").as_posix())
    text = text.replace("output: ../out/demo", f"output: {output}")
    path = folder / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _linkage(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "linkage.cli", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_run_refuses_an_output_folder_with_the_users_files(tmp_path):
    config = demo_config(tmp_path, output="mine")
    mine = tmp_path / "mine"
    (mine / ".work").mkdir(parents=True)
    (mine / ".work" / "draft.txt").write_text("keep", encoding="utf-8")
    (mine / "records.parquet").write_bytes(b"an input of mine")
    (mine / "crosswalk.csv").write_text("mine", encoding="utf-8")
    before = _digest(mine)
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 2
    assert "not the output of a linkage run" in result.output and "Traceback" not in result.output
    assert _digest(mine) == before


def test_run_refuses_to_write_into_its_input_folder(tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "people.csv").write_text("姓名,身份证号\n张三,110105194912310021\n", encoding="utf-8")
    (exports / "run.yaml").write_text(
        "output: .\nsources:\n  p: {path: people.csv, entity: person}\n", encoding="utf-8")
    before = _digest(exports)
    result = CliRunner().invoke(main, ["run", str(exports / "run.yaml")])
    assert result.exit_code == 2 and "holds the input" in result.output
    assert _digest(exports) == before


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A complete demo output to break runs against: (config, output folder)."""
    folder = tmp_path_factory.mktemp("run")
    config = demo_config(folder)
    done = subprocess.run([sys.executable, "-m", "linkage.cli", "run", str(config), "-q"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return config, folder / "out"


def _assert_whole(out: Path, digest: dict[str, str]) -> None:
    assert _digest(out) == digest
    marker = outputs.read_marker(out)
    assert marker["state"] == "complete"
    assert all((out / name).is_file() for name in marker["files"])


@pytest.mark.parametrize("stage", ["read sources", "normalize", "link", "unify", "report"])
def test_kill_9_at_any_stage_leaves_the_previous_output_whole(finished_run, stage):
    config, out = finished_run
    digest = _digest(out)  # as the tests before this one left it
    run = _linkage("run", str(config))
    for line in run.stderr:
        if f"] {stage} …" in line:
            time.sleep(0.2)
            run.send_signal(signal.SIGKILL)
            break
    run.wait(60)
    assert run.returncode == -signal.SIGKILL, f"the run ended before it reached {stage}"
    _assert_whole(out, digest)
    report = CliRunner().invoke(main, ["report", str(out)])
    assert report.exit_code == 0, report.output


def test_a_second_concurrent_run_is_refused_and_the_first_completes(finished_run):
    config, out = finished_run
    first = _linkage("run", str(config))
    for line in first.stderr:
        if "] normalize …" in line:
            break
    second = subprocess.run([sys.executable, "-m", "linkage.cli", "run", str(config)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 2
    assert "another linkage run is writing to" in second.stderr
    first.stderr.read()
    assert first.wait(300) == 0
    marker = outputs.read_marker(out)
    assert marker["state"] == "complete" and "report.html" in marker["files"]
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert all(row["balanced"] for row in metrics["row_accounting"])
    assert not list(out.parent.glob(".out.building-*"))  # killed runs' leftovers are gone


def test_a_full_disk_fails_cleanly_and_keeps_the_previous_output(finished_run):
    config, out = finished_run
    digest = _digest(out)  # as the tests before this one left it

    def small_files():  # a file-size limit stands in for a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    result = subprocess.run([sys.executable, "-m", "linkage.cli", "run", str(config)], cwd=REPO,
                            capture_output=True, text=True, timeout=300, preexec_fn=small_files)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "File too large" in result.stderr or "disk" in result.stderr
    _assert_whole(out, digest)
    assert not list(out.parent.glob(".out.building-*"))


def test_report_of_a_run_never_mixes_outputs(finished_run):
    """Every record id in clusters points at the record of the same run (no mixed folder)."""
    import polars as pl

    _, out = finished_run
    records = pl.read_parquet(out / "records.parquet", columns=["record_id", "source", "source_row"])
    clusters = pl.read_parquet(out / "clusters.parquet", columns=["record_id", "source", "source_row"])
    assert clusters.sort("record_id").equals(records.sort("record_id"))
