"""The consolidation report: `report.html` (self-contained) and `report.xlsx` from a finished run.

`render_report(engine, metrics, out_dir, language)` is the pipeline's last stage: it reads the
run's tables (`metric_*`, `pairs`, `blocking_stats`, `unified_schema`, `crosswalk`, …) and the
metrics dict (the content of metrics.json), builds the sections (`sections`), and writes both
files from the same tables, so the page and the workbook always agree.  A section whose inputs
are missing renders as a short "not available" note.  ID numbers and phones are always masked.
`linkage report OUTPUT_DIR` (`command`) re-renders from a run's folder without relinking.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from linkage.engine import Engine
from linkage.outputs import write_file_atomically
from linkage.report.excel import write_workbook
from linkage.report.html import render_html
from linkage.report.i18n import LANGUAGES, text
from linkage.report.model import Inputs, Section
from linkage.report.sections import build_sections

__all__ = ["render_report", "build_report"]


def build_report(engine: Engine, metrics: dict, language: str = "zh"
                 ) -> tuple[list[Section], list[str]]:
    """The report's sections and the errors of sections that could not be built."""
    if language not in LANGUAGES:
        raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return build_sections(Inputs(engine, metrics, language))


def render_report(engine: Engine, metrics: dict, out_dir: Path, language: str = "zh") -> None:
    """Write out_dir/report.html and out_dir/report.xlsx."""
    out_dir = Path(out_dir)
    sections, errors = build_report(engine, metrics, language)
    for error in errors:
        warnings.warn(f"report section left out: {error}", stacklevel=2)
    run = metrics.get("run") or {}
    generated = text(language, "generated", name=run.get("name") or "—",
                     version=run.get("version") or "—")
    write_file_atomically(out_dir / "report.html",
                          render_html(sections, language, generated, run.get("name") or "")
                          .encode("utf-8"))
    workbook = out_dir / ".report.xlsx.tmp"
    write_workbook(sections, workbook, text(language, "summary"),
                   (text(language, "figure_header"), text(language, "value_header")))
    os.replace(workbook, out_dir / "report.xlsx")
