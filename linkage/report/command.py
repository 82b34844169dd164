"""`linkage report OUTPUT_DIR`: re-render report.html and report.xlsx from a finished run.

Reads OUTPUT_DIR/linkage.duckdb and OUTPUT_DIR/metrics.json; nothing is relinked.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from linkage.engine import open_engine, run_limits
from linkage.errors import NotARunError
from linkage.outputs import updating
from linkage.report import render_report
from linkage.report.i18n import LANGUAGES
from linkage.report.model import lookup


@click.command()
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="Report language (default: the language the run was configured with).")
def report(output_dir: Path, language: str | None) -> None:
    """Re-render the report of the run in OUTPUT_DIR without relinking."""
    db, metrics_path = output_dir / "linkage.duckdb", output_dir / "metrics.json"
    missing = [p for p in (db, metrics_path) if not p.exists()]
    if missing:
        raise NotARunError(f"{missing[0]}: not found (is {output_dir} the output of a run?)")
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise NotARunError(f"{metrics_path}: not valid JSON ({exc})") from None
    language = language or lookup(metrics, "measure.language") or "zh"
    try:
        engine = open_engine(str(db), **run_limits(metrics))
    except Exception as exc:  # noqa: BLE001 — e.g. the database is locked by a running run
        raise NotARunError(f"{db}: cannot open ({exc})") from None
    try:
        with updating(output_dir):
            render_report(engine, metrics, output_dir, language)
    finally:
        engine.close()
    click.echo(str(output_dir / "report.html"))
