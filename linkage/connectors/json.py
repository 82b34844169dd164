"""JSON arrays of objects and JSON Lines: keys become columns, values become text.

A JSON Lines line that is not a JSON object goes to quarantine with its line number; a JSON
array file must parse as a whole (its elements that are not objects are quarantined).  Nesting
deeper than the parser's bound quarantines the line (JSON Lines) or refuses the file (JSON).
Keys become unique headers (`unique_headers`: a key `source_row` is read as source_row_2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

from linkage import quarantine as q
from linkage.connectors.base import RawTable, SourceError, text_column, unique_headers


def _table(objects: list[tuple[int, dict]], bad: list[dict]) -> RawTable:
    keys: dict[str, None] = {}
    for _, obj in objects:
        keys.update(dict.fromkeys(obj))
    names = unique_headers(list(keys))
    data = pl.DataFrame({
        name: text_column(name, [obj.get(key) for _, obj in objects]) for key, name in zip(keys, names)})
    data = data.with_columns(pl.Series("source_row", [n for n, _ in objects], dtype=pl.Int64))
    return RawTable(data=data, headers=names, rows_in=len(objects) + len(bad), quarantine=q.frame(bad))


def read_jsonl(path: Path, encoding: str = "utf-8") -> RawTable:
    objects: list[tuple[int, dict]] = []
    bad: list[dict] = []
    enc = "utf-8-sig" if encoding in ("auto", "utf-8") else encoding
    with open(path, encoding=enc, errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append(q.entry(number, "not_json", line.rstrip("\n"), line=number,
                                   column=exc.colno, message=exc.msg))
                continue
            except RecursionError:
                bad.append(q.entry(number, "too_deeply_nested", line.rstrip("\n"), line=number,
                                   limit=sys.getrecursionlimit()))
                continue
            if not isinstance(obj, dict):
                bad.append(q.entry(number, "not_an_object", line.rstrip("\n"), line=number,
                                   type=type(obj).__name__))
            elif "\ufffd" in line:
                column = next((k for k, v in obj.items() if "\ufffd" in f"{k}{v}"), "?")
                bad.append(q.entry(number, "undecodable_bytes", line.rstrip("\n"), line=number,
                                   column=column))
            else:
                objects.append((number, obj))
    if not objects and not bad:
        raise SourceError(f"{path}: the file is empty (no JSON lines)")
    return _table(objects, bad)


def read_json(path: Path, encoding: str = "utf-8") -> RawTable:
    enc = "utf-8-sig" if encoding in ("auto", "utf-8") else encoding
    try:
        text = path.read_text(encoding=enc)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: undecodable file: not {enc} (byte {exc.start})") from None
    if not text.strip():
        raise SourceError(f"{path}: the file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.lineno > 1 or text.lstrip()[:1] == "{":
            # several objects one per line: JSON Lines under a .json name
            return read_jsonl(path, encoding)
        raise SourceError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except RecursionError:
        raise SourceError(f"{path}: JSON nested deeper than {sys.getrecursionlimit()} levels; "
                          "a table of records is one array of flat objects") from None
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list)]
        if len(arrays) != 1:
            raise SourceError(f"{path}: expected a JSON array of records (or an object holding one array)")
        doc = arrays[0]
    if not isinstance(doc, list):
        raise SourceError(f"{path}: expected a JSON array of records")
    objects = [(i, o) for i, o in enumerate(doc, start=1) if isinstance(o, dict)]
    bad = [q.entry(i, "not_an_object", json.dumps(o, ensure_ascii=False), type=type(o).__name__)
           for i, o in enumerate(doc, start=1) if not isinstance(o, dict)]
    return _table(objects, bad)
