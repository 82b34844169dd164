"""Render the sections into one self-contained HTML file (inline CSS, SVG and a little JS).

Nothing is loaded from outside the file: no CDN, no remote font (the CSS names fonts the
reader's machine has, CJK first), so the report opens on an intranet without internet.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from linkage.report.i18n import UI
from linkage.report.model import Section
from linkage.report.tables import Table, format_value

MAX_ROWS = 200  # rows per table on the page; the Excel file has them all

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=True, undefined=StrictUndefined, trim_blocks=True,
                   lstrip_blocks=True, keep_trailing_newline=True)
_ENV.filters["fmt"] = format_value


def render_html(sections: list[Section], language: str, generated: str, run_name: str) -> str:
    """The report page as one HTML string."""
    ui = UI[language]

    def more_rows(table: Table) -> str:
        return ui["more_rows"].format(shown=MAX_ROWS, total=f"{len(table.rows):,}")

    return _ENV.get_template("report.html.j2").render(
        sections=sections, language=language, t=ui, generated=generated, run_name=run_name,
        max_rows=MAX_ROWS, more_rows=more_rows)
