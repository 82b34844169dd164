"""Quarantine entries: why a row could not be used, as a code plus arguments.

Every input row ends in `records` or in `quarantine`.  A quarantine entry stores the reason as
a stable `code` (`too_many_fields`) and its arguments as JSON (`{"found": 16, "expected": 15}`);
`reason` holds the English sentence for people reading the table directly, and the report
renders the code in its own language (`render_reason`).  `line` is the physical line (CSV,
JSON Lines) or sheet row (Excel) where the row starts, when the format has one.
"""

from __future__ import annotations

import json

import polars as pl

QUARANTINE_SCHEMA = {"source_row": pl.Int64, "line": pl.Int64, "code": pl.Utf8, "detail": pl.Utf8,
                     "reason": pl.Utf8, "raw": pl.Utf8}

# code → (English, Chinese) templates; arguments by name from the entry's detail
REASONS: dict[str, tuple[str, str]] = {
    "too_many_fields": ("too many fields: {found} values for {expected} columns",
                        "字段过多：表头 {expected} 列，此行 {found} 个值"),
    "too_few_fields": ("too few fields: {found} values for {expected} columns",
                       "字段过少：表头 {expected} 列，此行只有 {found} 个值"),
    "unterminated_quote": ("a quoted field is never closed (the quote opened on line {line} runs "
                           "to the end of the file)",
                           "引号未闭合：第 {line} 行开始的带引号字段直到文件末尾都没有结束"),
    "bad_quoting": ("malformed quoting: {message}", "引号使用不规范：{message}"),
    "undecodable_bytes": ("undecodable bytes in column {column}",
                          "“{column}”列含有无法按文件编码解读的字节"),
    "field_too_large": ("a field of {size} characters in column {column} is over the limit of "
                        "{limit}", "“{column}”列有一个字段长 {size} 字符，超过上限 {limit}"),
    "repeated_header": ("the header line repeated inside the file (two exports joined?)",
                        "文件中间再次出现表头行（可能是两份导出拼接而成）"),
    "not_json": ("not valid JSON (column {column}): {message}",
                 "不是有效的 JSON（第 {column} 列）：{message}"),
    "not_an_object": ("a JSON {type}, not an object", "JSON {type}，不是对象"),
    "too_deeply_nested": ("JSON nested deeper than {limit} levels",
                          "JSON 嵌套超过 {limit} 层"),
    "unreadable_row": ("unreadable row: {message}", "无法读取此行：{message}"),
    "no_identifying_value": ("no identifying value: {attributes} all blank",
                             "无可用于比对的标识：{attributes}均为空"),
}


def entry(source_row: int, code: str, raw: str | None, line: int | None = None, **args) -> dict:
    """One quarantine entry as a dict of QUARANTINE_SCHEMA's columns."""
    return {"source_row": source_row, "line": line, "code": code,
            "detail": json.dumps(args, ensure_ascii=False, sort_keys=True),
            "reason": render_reason(code, args, "en", line), "raw": raw}


def frame(entries: list[dict]) -> pl.DataFrame:
    """Quarantine entries as a frame of QUARANTINE_SCHEMA (empty when there are none)."""
    if not entries:
        return empty()
    return pl.DataFrame(entries, schema=QUARANTINE_SCHEMA)


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def render_reason(code: str, detail: dict | str | None, language: str,
                  line: int | None = None) -> str:
    """The reason of an entry in `language` ("en" or "zh"); the line, when given, is appended
    in the English form only (the report lists lines in a column of its own)."""
    args = json.loads(detail) if isinstance(detail, str) else dict(detail or {})
    templates = REASONS.get(code)
    if templates is None:
        text = args.get("message") or code
    else:
        template = templates[1] if language == "zh" else templates[0]
        if language == "zh" and code == "no_identifying_value":
            args = {**args, "attributes": _attribute_labels(args.get("attributes", []))}
        elif isinstance(args.get("attributes"), list):
            args = {**args, "attributes": ", ".join(args["attributes"])}
        try:
            text = template.format(**{"line": line, **args})
        except (KeyError, IndexError, ValueError):
            text = f"{code}: {json.dumps(args, ensure_ascii=False)}"
    if line is not None and language == "en" and code != "unterminated_quote":
        text = f"{text} (line {line})"
    return text


def _attribute_labels(names: list[str]) -> str:
    from linkage.attributes import ATTRIBUTES

    labels = []
    for name in names:
        label = next((e[name].label_zh for e in ATTRIBUTES.values() if name in e), name)
        labels.append(label)
    return "、".join(labels)
