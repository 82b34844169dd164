"""Mask personal identifiers before they are shown (profile output, report examples).

Rules, by canonical attribute (raw or normalized text both work):

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
