"""Write the config `linkage init` proposes as commented YAML.

Every value is written so that YAML reads it back as the same text (`scalar`); the comments
say where each value came from (detected, guessed, how sure) so the analyst knows which lines
to check.  The text is checked against the data it was made from before it is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import yaml

from linkage.config import ENCODINGS
from linkage.init.columns import Candidate, Proposal
from linkage.init.scan import written_headers
from linkage.init.sources import Skipped, Source
from linkage.pipeline import IDENTIFYING

COMMENT_AT = 44  # display column where a line's comment starts
_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^:#\[\]{},\t]*")
_METHODS = {
    "synonym": "header synonym",
    "sniffed": "values pass its check",
    "header": "header resembles a known one",
    "initials": "header is the pinyin initials of a known one",
    "values": "values look like it",
}
SURE = 0.9  # a mapping sniffed by a check below this is marked for checking, like every guess


def _printable(ch: str) -> bool:
    """A character YAML lets a document hold as it is (the YAML 1.1 printable set)."""
    code = ord(ch)
    return (code in (0x9, 0xA, 0xD, 0x85) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD or code >= 0x10000)


def _quoted(text: str) -> str:
    """A double-quoted YAML string: quotes, backslashes, line breaks and characters YAML does
    not allow in a document escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif _printable(ch) and ch not in "\t\n\r\x85\u2028\u2029":
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def scalar(value) -> str:
    """`value` as a YAML scalar that reads back as the same value (plain when safe, else
    double-quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text == text.strip() and all(map(_printable, text)):
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    return _quoted(text)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass
class Lines:
    """YAML lines with aligned trailing comments."""

    lines: list[str] = field(default_factory=list)

    def add(self, indent: int, text: str, comment: str = "") -> None:
        line = " " * indent + text
        if comment:
            line += " " * max(COMMENT_AT - _width(line), 2) + "# " + _one_line(comment)
        self.lines.append(line)

    def comment(self, indent: int, text: str) -> None:
        self.lines.append((" " * indent + "# " + _one_line(text)).rstrip())


def _one_line(text: str) -> str:
    """Comment text on one line (a line break in a header or message would end the comment)."""
    return " ".join(str(text).splitlines())


def _candidate_text(c: Candidate) -> str:
    return f"{c.attribute} ({c.method}, {c.confidence:.2f})"


def _written(source: Source) -> dict[str, str]:
    """Each header read under another name (a repeated 电话 read as 电话_2, a column headed
    source_row as source_row_2) → the header the file writes."""
    headers = source.found.raw.headers
    return {h: w for h, w in zip(headers, written_headers(headers)) if h != w}


def _mapping_comment(p: Proposal, written: str | None = None) -> str:
    text = f"{_METHODS[p.method]}, {p.confidence:.2f}"
    if p.method not in ("synonym", "config") and (p.method != "sniffed" or p.confidence < SURE):
        text += " — check"
    if written is not None:
        text += f"; headed {written} in the file"
    if p.alternatives and p.confidence < 1:
        text += "; or " + ", ".join(_candidate_text(c) for c in p.alternatives)
    return text


def _unmapped_comments(source: Source) -> list[str]:
    written = _written(source)

    def named(header: str) -> str:
        return f"{header} (headed {written[header]} in the file)" if header in written else header

    owner = {p.attribute: p.header for p in source.proposals if p.attribute}
    plain = [named(p.header) for p in source.proposals if not p.attribute and not p.alternatives]
    out = []
    if plain:
        out.append("not mapped, kept as extras: " + ", ".join(plain))
    for p in source.proposals:
        if p.attribute or not p.alternatives:
            continue
        best = p.alternatives[0]
        where = (f"{best.attribute} is {owner[best.attribute]}" if best.attribute in owner
                 else "too weak to map")
        out.append(f"not mapped: {named(p.header)} (could be {_candidate_text(best)}; {where})")
    return out


def source_entry(source: Source, path: str) -> dict:
    """The config entry of one source (what the YAML must read back as)."""
    found, raw = source.found, source.found.raw
    entry: dict = {"title": source.title, "system": source.system, "path": path,
                   "entity": source.entity}
    if found.sheet is not None:
        entry["sheet"] = found.sheet
    if found.table is not None:
        entry["table"] = found.table
    if found.format in ("csv", "tsv") and raw.encoding in ENCODINGS:
        entry["encoding"] = raw.encoding
    if found.format in ("csv", "tsv", "xlsx", "xls") and raw.header_row:
        entry["header_row"] = raw.header_row
    entry["columns"] = {p.header: p.attribute for p in source.proposals if p.attribute}
    return entry


def _source_lines(out: Lines, source: Source, entry: dict) -> None:
    raw = source.found.raw
    out.add(2, f"{scalar(source.key)}:")
    out.add(4, f"title: {scalar(entry['title'])}", "the system's name in the report")
    out.add(4, f"system: {scalar(entry['system'])}", "sources of one system share it")
    out.add(4, f"path: {scalar(entry['path'])}")
    if "sheet" in entry:
        out.add(4, f"sheet: {scalar(entry['sheet'])}")
    if "table" in entry:
        out.add(4, f"table: {scalar(entry['table'])}")
    ids = [p.header for p in source.proposals if p.attribute in IDENTIFYING[source.entity]]
    out.add(4, f"entity: {entry['entity']}", "identified by " + ", ".join(ids[:4]))
    for note in source.notes:
        out.comment(4, note)
    if "encoding" in entry:
        out.add(4, f"encoding: {scalar(entry['encoding'])}", "detected")
    if "header_row" in entry:
        above = entry["header_row"] - 1
        out.add(4, f"header_row: {entry['header_row']}", "detected" + (
            "; the line above is a title or note" if above == 1 else
            f"; the {above} lines above are titles or notes" if above else ""))
    bad = raw.quarantine.height
    out.comment(4, f"{raw.rows_in:,} rows" + (f", {bad:,} of them unreadable (they go to the "
                                              "run's quarantine with the reason)" if bad else ""))
    out.comment(4, "updates_per_year: 1                    # times a year the system is "
                   "re-keyed (burden estimate; default 1)")
    out.add(4, "columns:", "header: attribute — how it was found, confidence")
    written = _written(source)
    for p in source.proposals:
        if p.attribute:
            out.add(6, f"{scalar(p.header)}: {p.attribute}",
                    _mapping_comment(p, written.get(p.header)))
    for text in _unmapped_comments(source):
        out.comment(4, text)


@dataclass
class Header:
    """What the top of the file says."""

    folder: str             # the exports folder as written in the command
    name: str
    output: str
    region: str | None      # written as `region:` when clear
    region_comment: str
    region_clear: bool


def render(header: Header, sources: list[Source], paths: list[str],
           skipped: list[tuple[str, Skipped]]) -> tuple[str, dict]:
    """The config text and the data it must read back as."""
    entries = {s.key: source_entry(s, p) for s, p in zip(sources, paths)}
    data: dict = {"name": header.name, "output": header.output}
    if header.region and header.region_clear:
        data["region"] = header.region
    data["sources"] = entries
    data["report"] = {"language": "zh"}
    out = Lines()
    out.comment(0, f"linkage config for the exports in {header.folder}, written by `linkage init`.")
    out.comment(0, "Check the lines marked \"check\" and the notes, then: linkage validate "
                   "<this file> && linkage run <this file>")
    files = len({p for p in paths})
    out.comment(0, f"{len(sources)} tables read as sources from {files} files; "
                   f"{len(skipped)} left out (listed at the end).")
    out.add(0, f"name: {scalar(header.name)}")
    out.add(0, f"output: {scalar(header.output)}", "a new folder for the run's results")
    if "region" in data:
        out.add(0, f"region: {scalar(header.region)}", header.region_comment)
    else:
        out.comment(0, ("region: " + header.region + "   # " if header.region else "region: ")
                    + header.region_comment)
    out.add(0, "sources:")
    for source in sources:
        _source_lines(out, source, entries[source.key])
    out.add(0, "report:")
    out.add(2, "language: zh", "zh | en")
    if skipped:
        out.comment(0, "")
        out.comment(0, "Left out:")
        for where, s in skipped:
            out.comment(0, f"  {where}: {s.reason}")
    return "\n".join(out.lines) + "\n", data
