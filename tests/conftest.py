"""Shared test helpers."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def write(tmp_path):
    """write(name, text, encoding) → path of a file in the test's folder."""

    def _write(name: str, content, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


# the two forms of queries over many columns (`Dialect.subquery_per_column`): one subquery per
# column (DuckDB's), or once over the columns unpivoted (Spark's)
FORMS = ["per_column", "long"]


def in_form(engine, form: str):
    """`engine` (its dialect) writing queries over many columns in `form`, one of FORMS."""
    per_column = form == "per_column"
    if engine.dialect.subquery_per_column != per_column:
        engine.dialect = type("Form", (type(engine.dialect),), {"subquery_per_column": per_column})()
    return engine
