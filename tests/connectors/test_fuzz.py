"""Fuzz the readers with mutated copies of the real fixtures (issue 11).

Each example takes the head of a fixture export and mutates its bytes (flips, stray quotes,
inserted delimiters and line breaks, truncation, deleted or doubled spans, another encoding).
Reading it must either succeed with every physical record accounted for —
`rows_in == records + quarantined`, `rows_in` counted from the file itself, and every
`source_row` used once — or fail with a `LinkageError` (a message, never a traceback).
"""

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from linkage.connectors import read_path
from linkage.errors import LinkageError

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "fixtures"
EXAMPLES = 600


def _head(name: str, lines: int) -> bytes:
    with open(FIXTURES / name, "rb") as fh:
        return b"".join(fh.readline() for _ in range(lines))


def _sqlite_bytes() -> bytes:
    """The first rows of the PDA fixture as a small SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "pda.sqlite"
        src = sqlite3.connect(FIXTURES / "pda.sqlite")
        rows = src.execute("SELECT * FROM pda_cjxx LIMIT 20").fetchall()
        columns = [d[1] for d in src.execute("PRAGMA table_info(pda_cjxx)")]
        src.close()
        dst = sqlite3.connect(small)
        dst.execute(f"CREATE TABLE pda_cjxx ({', '.join(map(repr, columns))})")
        dst.executemany(f"INSERT INTO pda_cjxx VALUES ({', '.join('?' * len(columns))})", rows)
        dst.commit()
        dst.close()
        return small.read_bytes()


# (file name, format, reader options, bytes, text encoding or None for binary formats)
BASES = [
    ("jzdj.csv", "csv", {}, _head("jzdj.csv", 30), "gb18030"),
    ("jisheng.csv", "csv", {}, _head("jisheng.csv", 30), "gb18030"),
    ("fwbm.csv", "csv", {}, _head("fwbm.csv", 30), "utf-8-sig"),
    ("wgzz.tsv", "tsv", {}, _head("wgzz.tsv", 30), "utf-8"),
    ("zzsb.jsonl", "jsonl", {}, _head("zzsb.jsonl", 20), "utf-8"),
    ("aqsc_qy.xlsx", "xlsx", {}, (FIXTURES / "aqsc_qy.xlsx").read_bytes(), None),
    ("truth.parquet", "parquet", {}, (FIXTURES / "truth.parquet").read_bytes(), None),
    ("pda.sqlite", "sqlite", {"table": "pda_cjxx"}, _sqlite_bytes(), None),
]
BASES.append(("zzsb.json", "json", {}, b"[" + b",".join(BASES[3][3].splitlines()) + b"]", "utf-8"))


@st.composite
def mutations(draw):
    """A list of (operation, position as a fraction of the file, argument)."""
    ops = st.sampled_from(["flip", "quote", "delimiter", "newline", "crlf", "truncate",
                           "delete", "double", "bom", "nul"])
    steps = st.tuples(ops, st.floats(0, 1), st.integers(0, 255))
    return draw(st.lists(steps, min_size=1, max_size=4))


def mutate(data: bytes, steps: list, delimiter: bytes) -> bytes:
    for op, where, arg in steps:
        at = int(where * len(data))
        if op == "flip":
            data = data[:at] + bytes([arg]) + data[at + 1:]
        elif op == "quote":
            data = data[:at] + b'"' + data[at:]
        elif op == "delimiter":
            data = data[:at] + delimiter * (1 + arg % 3) + data[at:]
        elif op == "newline":
            data = data[:at] + b"\n" + data[at:]
        elif op == "crlf":
            data = data[:at] + data[at:].replace(b"\n", b"\r\n", 1 + arg % 5)
        elif op == "truncate":
            data = data[:at]
        elif op == "delete":
            data = data[:at] + data[at + 1 + arg:]
        elif op == "double":
            data = data[:at] + data[at:at + 1 + arg] + data[at:]
        elif op == "bom":
            data = b"\xef\xbb\xbf" + data
        elif op == "nul":
            data = data[:at] + b"\x00" + data[at:]
    return data


ENCODINGS = ["utf-8", "gbk", "gb18030", "utf-8-sig", "utf-16"]


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(base=st.sampled_from(BASES), steps=mutations(), encoding=st.sampled_from(ENCODINGS))
def test_mutated_fixtures_are_read_or_refused(base, steps, encoding):
    name, fmt, options, data, text_encoding = base
    if text_encoding and encoding != text_encoding:
        data = data.decode(text_encoding).encode(encoding, errors="replace")
    data = mutate(data, steps, b"\t" if fmt == "tsv" else b",")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            table = read_path(path, fmt, workdir=Path(tmp), **options)
        except LinkageError:
            event(f"{fmt}: refused")
            return
    event(f"{fmt}: read, {'some' if table.quarantine.height else 'no'} rows quarantined")
    assert table.rows_in == table.data.height + table.quarantine.height
    rows = table.data["source_row"].to_list() + table.quarantine["source_row"].to_list()
    assert len(rows) == len(set(rows)), "a source_row used twice"
    if fmt in ("csv", "tsv"):
        lines = [line for line in data.split(b"\n") if line.strip(b" \r")]
        assert table.rows_in <= len(lines) - 1, "more records than non-blank lines after the header"
