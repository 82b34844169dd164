"""A fresh install works: every command runs with only the declared runtime dependencies.

The test extras pull in packages (scipy came in through recordlinkage) that a module of
linkage could import by accident; `tests/runtime_only.py` blocks everything outside the
runtime requirements, so an undeclared import fails here as it would on a fresh machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "runtime_only.py"
COMMANDS = ["run", "validate", "plan", "profile", "config-schema", "explain", "report", "synth",
            "evaluate", "init", "publish"]


def runtime_only(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_the_blocker_blocks_test_only_packages():
    probe = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'tests'); import runtime_only; "
         "runtime_only.install_blocker(); import hypothesis"],
        cwd=ROOT, capture_output=True, text=True)
    assert probe.returncode != 0
    assert "not a declared runtime dependency" in probe.stderr


def test_every_command_lists_itself_in_help():
    result = runtime_only("--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_runs_on_runtime_dependencies(command):
    result = runtime_only(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_config_schema_and_validate_on_runtime_dependencies():
    schema = runtime_only("config-schema")
    assert schema.returncode == 0, schema.stderr
    assert '"sources"' in schema.stdout
    valid = runtime_only("validate", "configs/demo.yaml")
    assert valid.returncode == 0, valid.stderr


def test_demo_runs_on_runtime_dependencies(tmp_path):
    config = (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8")
    fixtures = (ROOT / "data" / "fixtures").as_posix()
    config = config.replace("../data/fixtures", fixtures).replace("../out/demo", "out")
    (tmp_path / "demo.yaml").write_text(config, encoding="utf-8")
    result = runtime_only("run", "demo.yaml", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "report.html").is_file()


def test_python_dash_m_linkage_is_the_command():
    result = subprocess.run([sys.executable, "-m", "linkage", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)
