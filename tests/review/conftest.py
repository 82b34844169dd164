"""Runs to review: the demo (`configs/demo.yaml` on data/fixtures) run once per session into a
temporary folder, and independent copies of it, each with its own config and labels file;
a review app served for real (uvicorn on 127.0.0.1) for the tests that speak HTTP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkage.config import load_config
from linkage.pipeline import run as run_pipeline
from tests.conftest import REPO


def demo_config(folder: Path, output: str = "out") -> Path:
    """configs/demo.yaml copied into `folder`, reading data/fixtures, writing `folder/output`."""
    text = (REPO / "configs" / "demo.yaml").read_text(encoding="utf-8")
    text = text.replace("../data/fixtures", str(REPO / "data" / "fixtures"))
    text = text.replace("output: ../out/demo", f"output: {output}")
    path = folder / "demo.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(config: Path) -> Path:
    cfg = load_config(config)
    run_pipeline(cfg, echo=lambda _m: None)
    return cfg.output_dir()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The output folder of one demo run (read it, never change it: copy it with `fresh_run`)."""
    return run(demo_config(tmp_path_factory.mktemp("demo")))


@dataclass
class Copy:
    config: Path
    output: Path

    @property
    def labels(self) -> Path:
        return self.config.with_name("demo.labels.csv")


def copy_run(source: Path, folder: Path) -> Copy:
    """The run `source` copied to `folder/out` with its own config (`folder/demo.yaml`):
    metrics.json names the copy's config, so its labels live in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    config = demo_config(folder)
    output = folder / "out"
    shutil.copytree(source, output)
    metrics = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    metrics["run"]["config"] = str(config)
    (output / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")
    return Copy(config, output)


@pytest.fixture
def fresh_run(demo_run, tmp_path) -> Copy:
    return copy_run(demo_run, tmp_path)


@dataclass
class Served:
    process: subprocess.Popen
    url: str  # with the token

    @property
    def base(self) -> str:
        return self.url.split("/?")[0]

    @property
    def token(self) -> str:
        return self.url.split("token=")[1]

    def get(self, path: str, token: bool = True, headers: dict | None = None):
        """(status, parsed JSON or text) of a GET."""
        request = urllib.request.Request(self.base + path, headers={
            **({"X-Review-Token": self.token} if token else {}), **(headers or {})})
        return _send(request)

    def post(self, path: str, body: dict, token: bool = True):
        request = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     **({"X-Review-Token": self.token} if token else {})})
        return _send(request)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def _send(request):
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode("utf-8")
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read().decode("utf-8"), exc.code
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def serve(output: Path, *args: str) -> Served:
    """`linkage review OUTPUT --no-browser` as a real process; waits for its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "linkage.cli", "review", str(output), "--no-browser", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    line = process.stdout.readline()
    match = re.match(r"(http://127\.0\.0\.1:\d+/\?token=[\w-]+)$", line.strip())
    if not match:
        process.kill()
        raise AssertionError(f"no address printed: {line!r} {process.stderr.read()}")
    served = Served(process, match.group(1))
    for _ in range(200):  # uvicorn starts listening right after printing
        try:
            if served.get("/api/state")[0] == 200:
                return served
        except OSError:
            pass
        time.sleep(0.05)
    served.stop()
    raise AssertionError("the review app did not answer")


@pytest.fixture
def served(fresh_run):
    app = serve(fresh_run.output, "--reviewer", "clerk")
    yield app
    app.stop()
