"""The physical records of a CSV file, counted from its bytes independently of the parser.

`scan_records` finds where each record starts and ends (1-based physical lines) without a CSV
parser: newlines are located with numpy, and only lines holding an odd number of quotes — the
rare lines that may open a quoted field running over several lines — are followed with a small
exact state machine (RFC 4180: a quote opens a field only at the field's start, `""` inside
one is a quote).  A quoted field still open at the end of the file, or "closed" by a quote
followed by more text (`"医疗` on a later line), is a stray quote and does not swallow the
rest: its first line is a record of its own (quarantined as `unterminated_quote`) and the scan
resumes on the next line.  Blank lines outside quoted fields are not records.

The count is the run's `rows in` for the source, so `rows in = records + quarantined` checks
the parser.  `parse_spans` is the slow, exact reading of the same records one by one (the
standard library's csv module), used when the fast parser disagrees with the count or cannot
read the file: it turns every record into exactly one row or one quarantine entry.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from linkage import quarantine as q

# a field longer than this (characters; the csv module's default limit) goes to quarantine
FIELD_LIMIT = 128 * 1024
_QUOTE, _NEWLINE, _CR = 34, 10, 13
_CHUNK = 16 << 20

# fields up to FIELD_LIMIT are read and longer ones reported by size, not by a csv.Error
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


@dataclass
class Records:
    """The records after the header: first and last physical line of each (1-based), the
    first lines of records whose quoted field never closes, whether the file mixes CRLF and LF
    line endings, and the file's bytes and line offsets to cut a record's text from."""

    starts: np.ndarray
    ends: np.ndarray
    unterminated: np.ndarray
    mixed_endings: bool
    path: Path
    line_starts: np.ndarray
    line_ends: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    @functools.cached_property
    def data(self) -> np.ndarray:
        """The file's bytes, mapped only when a record's text is needed."""
        return _bytes(self.path)

    def text(self, i: int) -> str:
        """The text of record i (its lines joined, without the final line break)."""
        first, last = self.starts[i] - 1, self.ends[i] - 1
        raw = self.data[self.line_starts[first]:self.line_ends[last]].tobytes()
        return raw.decode("utf-8", errors="replace").removesuffix("\r")

    def odd(self) -> np.ndarray:
        """Which records a fast parser cannot be trusted with: a quote never closed, or more
        bytes than a field may hold (an upper bound on its longest field's characters)."""
        size = self.line_ends[self.ends - 1] - self.line_starts[self.starts - 1]
        return np.isin(self.starts, self.unterminated) | (size > FIELD_LIMIT)

    def parser_lines(self, keep: np.ndarray) -> np.ndarray:
        """The line of each kept record as a parser counts them when a record spanning k lines
        counts as one (DuckDB's `line`): its start minus the extra lines of the kept records
        before it (records left out are blank lines to the parser)."""
        extra = (self.ends - self.starts)[keep]
        return self.starts[keep] - (np.cumsum(extra) - extra)

    def without(self, odd: np.ndarray, target: Path) -> Path:
        """A copy of the file for the fast parser: the lines of the `odd` records emptied (their
        line breaks kept, so every other line keeps its number) and CRLF turned into LF when the
        file mixes both."""
        cut = [(self.line_starts[s - 1], self.line_ends[e - 1])
               for s, e in zip(self.starts[odd].tolist(), self.ends[odd].tolist())]
        bounds = [0, *[b for pair in cut for b in pair], len(self.data)]
        with open(target, "wb") as out:
            carry = b""
            for k in range(0, len(bounds), 2):
                if k:  # the emptied record: only its inner line breaks remain
                    start, end = bounds[k - 1], bounds[k]
                    out.write(b"\n" * int(np.count_nonzero(self.data[start:end] == _NEWLINE)))
                for at in range(bounds[k], bounds[k + 1], _CHUNK):
                    chunk = carry + self.data[at:min(at + _CHUNK, bounds[k + 1])].tobytes()
                    carry = b"\r" if self.mixed_endings and chunk.endswith(b"\r") else b""
                    chunk = chunk[:len(chunk) - len(carry)]
                    out.write(chunk.replace(b"\r\n", b"\n") if self.mixed_endings else chunk)
            out.write(carry)
        return target


def _bytes(path: Path) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.memmap(path, dtype=np.uint8, mode="r")


def _ends_quoted(line: bytes, delimiter: int, inside: bool) -> tuple[bool, bool]:
    """Whether a line ends inside a quoted field, given whether it starts inside one; and, for
    a line starting inside one, whether the field closes cleanly (its closing quote followed by
    the delimiter or the line's end, not by more text)."""
    at_start = not inside
    clean = True
    opened_before = inside
    i, n = 0, len(line)
    while i < n:
        byte = line[i]
        if inside:
            if byte == _QUOTE:
                if i + 1 < n and line[i + 1] == _QUOTE:
                    i += 2
                    continue
                inside = False
                if opened_before:
                    follows = line[i + 1:i + 2]
                    clean = follows in (b"", b"\r") or follows[0] == delimiter
                    opened_before = False
        elif byte == _QUOTE and at_start:
            inside = True
        at_start = not inside and byte == delimiter
        i += 1
    return inside, clean


def scan_records(path: Path, delimiter: str, header_line: int) -> Records:
    """The records of a UTF-8 file after its header line (see the module docstring)."""
    data = _bytes(path)
    newlines = np.flatnonzero(data == _NEWLINE)
    line_starts = np.concatenate(([0], newlines + 1))
    line_ends = np.concatenate((newlines, [len(data)]))
    if line_starts[-1] >= len(data):
        line_starts, line_ends = line_starts[:-1], line_ends[:-1]
    quotes = np.flatnonzero(data == _QUOTE)
    per_line = np.diff(np.searchsorted(quotes, np.append(line_starts, len(data))))
    blank = _blank(data, line_starts, line_ends)

    continuation = np.zeros(len(line_starts), dtype=bool)
    ends = np.arange(1, len(line_starts) + 1)
    unterminated = []
    with_quotes = np.flatnonzero(per_line)
    delim = ord(delimiter)

    def line(i: int) -> bytes:
        return data[line_starts[i]:line_ends[i]].tobytes()

    for i in np.flatnonzero(per_line % 2 == 1):
        if i < header_line or continuation[i] or not _ends_quoted(line(i), delim, False)[0]:
            continue
        k = np.searchsorted(with_quotes, i, side="right")
        closed, clean = None, False
        while k < len(with_quotes):
            j = with_quotes[k]
            inside, clean = _ends_quoted(line(j), delim, True)
            if not inside:
                closed = j
                break
            k += 1
        if closed is None or not clean:
            # never closed, or "closed" by a quote with more text after it: a stray quote
            unterminated.append(i + 1)
            continue
        continuation[i + 1:closed + 1] = True
        ends[i] = closed + 1
    first = np.flatnonzero(~continuation & ~blank)
    first = first[first >= header_line]
    crlf = np.count_nonzero(data[newlines[newlines > 0] - 1] == _CR)
    return Records(starts=first + 1, ends=ends[first],
                   unterminated=np.asarray(unterminated, dtype=np.int64),
                   mixed_endings=0 < crlf < len(newlines), path=path, line_starts=line_starts,
                   line_ends=line_ends)


def _blank(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each line, whether it holds nothing but spaces or \\r (only lines that are empty
    or start with one of them are looked at)."""
    blank = ends == starts
    first = data[np.minimum(starts, max(len(data) - 1, 0))] if len(data) else starts
    for i in np.flatnonzero(~blank & ((first == 32) | (first == 13))):
        blank[i] = not data[starts[i]:ends[i]].tobytes().strip(b" \r")
    return blank


def parse_records(records: Records, delimiter: str, headers: list[str],
                  which: np.ndarray | None = None) -> tuple[list[list[str]], list[int], list[dict]]:
    """Records read one by one (all, or the indices `which`): (rows of one cell per header,
    the first line of each, quarantine entries whose source_row is still the line). Exactly
    one row or one entry per record."""
    width = len(headers)
    rows, lines, entries = [], [], []
    unterminated = set(records.unterminated.tolist())
    chosen = range(len(records)) if which is None else which.tolist()
    for i in chosen:
        start = int(records.starts[i])
        text = records.text(i)
        if start in unterminated:
            entries.append(q.entry(start, "unterminated_quote", text, line=start))
            continue
        try:
            fields = next(csv.reader(text.splitlines(keepends=True) or [""],
                                     delimiter=delimiter, strict=True), [])
        except csv.Error as exc:
            entries.append(q.entry(start, "bad_quoting", text, line=start, message=str(exc)))
            continue
        if len(fields) != width:
            code = "too_many_fields" if len(fields) > width else "too_few_fields"
            entries.append(q.entry(start, code, text, line=start, found=len(fields), expected=width))
            continue
        longest = max(range(width), key=lambda c: len(fields[c])) if width else 0
        if width and len(fields[longest]) > FIELD_LIMIT:
            entries.append(q.entry(start, "field_too_large", text, line=start,
                                   column=headers[longest], size=len(fields[longest]),
                                   limit=FIELD_LIMIT))
            continue
        rows.append(fields)
        lines.append(start)
    return rows, lines, entries
