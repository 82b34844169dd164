"""Mask personal identifiers before they are shown (profile output, report, metrics.json).

Two ways in.  `mask_value` masks a value by its canonical attribute; `mask_text` masks anything
shaped like an identifier wherever it appears — an ID number or phone typed into a free-text
column (所属社区, 备注) is masked too — and `mask_json` applies it to every string of a
document (metrics.json).  Rules, by canonical attribute (raw or normalized text both work):

| attribute                                              | shown as                                   |
|--------------------------------------------------------|--------------------------------------------|
| id_number, spouse_id_number, legal_rep_id_number, uscc | 11010519491231002X → 110105********002X (first 6, last 4) |
| phone                                                  | 13812345678 → 138****5678 (first 3, last 4) |
| anything else                                          | unchanged                                  |

Names, addresses and dates are left readable on purpose: the design masks ID numbers and phones,
and a consistency example such as 张伟 / 张玮 says nothing once both become 张*.  Raw values
stay in the run's database for the analyst who owns it.
"""

from __future__ import annotations

import math
import re

_CODES = frozenset({"id_number", "spouse_id_number", "legal_rep_id_number", "uscc"})


def _keep_ends(text: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters and star the middle; text too short
    for that keeps only its first character."""
    if len(text) <= head + tail:
        return text[:1] + "*" * (len(text) - 1)
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def mask_value(value: str | None, attribute: str | None) -> str | None:
    """The value as it may be shown: masked according to its canonical attribute.

    >>> mask_value("11010519491231002X", "id_number")
    '110105********002X'
    >>> mask_value("13812345678", "phone")
    '138****5678'
    """
    if value is None:
        return None
    text = str(value).strip()
    if attribute in _CODES:
        return _keep_ends(text, 6, 4)
    if attribute == "phone":
        return _keep_ends(text, 3, 4)
    return text


_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # MMDD
# 18-character ID numbers (GB 11643; any 17 digits + check, even with a wrong birth date) and
# 15-digit legacy IDs with a birth date inside
_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{8}" + _DAY + r"\d{3})(?![0-9A-Za-z])")
_USCC = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWY]{2}\d{6}[0-9A-Z]{10}(?![0-9A-Z])")
# mobile numbers however they are grouped: 17532538496, 175-3253-8496, +86 175 3253 8496
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[-\s]?)?1[3-9](?:[-\s]?\d){9}(?![0-9A-Za-z])")
_DIGITS = re.compile(r"(?<![0-9A-Za-z*])\d{7,14}(?![0-9A-Za-z*])")
_DATE8 = re.compile(r"(?:19|20)\d{2}" + _DAY)


def _stars(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def _mask_mobile(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return _stars(digits[-11:], 3, 4)


def _mask_digits(match: re.Match) -> str:
    digits = match.group(0)
    if len(digits) == 8 and _DATE8.fullmatch(digits):
        return digits  # a date (20240131): dates are left readable
    return _stars(digits, 3, 4) if len(digits) >= 11 else _stars(digits, 2, 2)


def mask_text(value: str) -> str:
    """Mask ID numbers (110105********002X), credit codes and phone numbers (138****5678)
    wherever they appear in `value`.

    >>> mask_text("联系人 175-3253-8496")
    '联系人 175****8496'
    """
    value = _ID.sub(lambda m: _stars(m.group(0), 6, 4), value)
    value = _USCC.sub(lambda m: _stars(m.group(0), 6, 4), value)
    value = _MOBILE.sub(_mask_mobile, value)
    return _DIGITS.sub(_mask_digits, value)


# keys whose values are file paths the analyst chose (a folder named 20241206 is no phone)
PATH_KEYS = frozenset({"config", "path"})


def mask_json(document):
    """`document` (dicts, lists, scalars) made fit to publish: every string masked by
    `mask_text` (but file paths under PATH_KEYS), and numbers JSON cannot hold (inf, nan)
    replaced by null."""
    if isinstance(document, str):
        return mask_text(document)
    if isinstance(document, float) and not math.isfinite(document):
        return None
    if isinstance(document, dict):
        return {key: value if key in PATH_KEYS and isinstance(value, str) else mask_json(value)
                for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [mask_json(value) for value in document]
    return document
