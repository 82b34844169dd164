"""No stage talks to DuckDB behind the engine's back: only linkage/engine/ imports duckdb.

Every module of the package is parsed (ast, so a string or comment naming duckdb does not count)
and its imports of `duckdb` or of `linkage.engine.duckdb_engine` are collected.  PENDING names
the modules outside this rule's reach today, each with what keeps it there; a module that no
longer needs its entry fails the test too, so the list only shrinks.
"""

import ast
from pathlib import Path

import linkage

PACKAGE = Path(linkage.__file__).parent
FORBIDDEN = ("duckdb", "linkage.engine.duckdb_engine")
PENDING = {
    # DuckDB's CSV reader (read_csv with store_rejects) parses the body of a CSV export
    "connectors/csv.py": "duckdb",
    # the entity store is a DuckDB file opened on its own connection (to go through open_engine)
    "store/__init__.py": "duckdb",
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(f for n in names for f in FORBIDDEN if n == f or n.startswith(f + "."))
    return found


def _offenders() -> dict[str, str]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith("engine/"):
            continue
        for module in sorted(_imports(path)):
            out[name] = module
    return out


def test_only_the_engine_imports_duckdb():
    offenders = _offenders()
    new = {k: v for k, v in offenders.items() if k not in PENDING}
    assert not new, f"modules importing {FORBIDDEN} outside linkage/engine/: {new}; " \
                    "write the SQL through engine.dialect instead"
    stale = sorted(set(PENDING) - set(offenders))
    assert not stale, f"{stale} no longer import DuckDB: remove them from PENDING"


def test_the_scan_sees_an_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom duckdb import connect\n"
                      "from linkage.engine.duckdb_engine import quote_ident\n"
                      "x = 'import duckdb'\n", encoding="utf-8")
    assert _imports(module) == set(FORBIDDEN)
