"""Valid identification codes, built column-wise: ID numbers, USCCs, organisation and registration codes.

- ID number (GB 11643): area code (6) + birth date (8) + sequence (3, odd for men) + ISO 7064
  MOD 11-2 check character; `legacy_id` gives the 15-digit form issued before 1999.
- Organisation code (GB 11714): 8 body characters + check character (MOD 11).
- USCC (GB 32100): registration authority + type + area code + organisation code + check (MOD 31).
- Registration number (工商注册号, 15 digits): area code + sequence + ISO 7064 MOD 11,10 check.

`IdSequencer` hands out ID sequence numbers so that no two people share an ID number, chunk
after chunk; enterprise codes are unique by construction (a bijection of the enterprise index).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from linkage.synth import text

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)  # by weighted digit sum mod 11
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
SEQUENCES_PER_GENDER = 500


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """(n, width) matrix of the decimal digits of non-negative integers, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def _text(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values, dtype=pl.Int64).cast(pl.Utf8).str.zfill(width)


def id_numbers(area: np.ndarray, birth_ymd: np.ndarray, sequence: np.ndarray) -> pl.Series:
    """18-character ID numbers from area codes, birth dates (YYYYMMDD ints) and sequences (0–999)."""
    body = np.hstack([text.digits(area, 6), text.digits(birth_ymd, 8), text.digits(sequence, 3)])
    check = ((body - ord("0")).astype(np.int64) @ ID_WEIGHTS) % 11
    return text.compose(body, ID_CHECK[check][:, None])


def legacy_id(id18: pl.Series) -> pl.Series:
    """The 15-digit ID (before 1999): the century digits and the check character dropped."""
    return id18.str.slice(0, 6) + id18.str.slice(8, 9)


class IdSequencer:
    """Unique ID sequence numbers per (area, birth date, gender), remembered across chunks.

    Within a bucket the k-th person gets a scrambled sequence number whose last digit has the
    gender's parity, so sequences look random yet never repeat (500 per bucket and gender).
    """

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.used = np.empty(0, dtype=np.int64)

    def _find(self, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each key is or would be in the sorted known keys, and whether it is there."""
        at = np.searchsorted(self.keys, key)
        if not len(self.keys):
            return at, np.zeros(len(key), dtype=bool)
        return at, (at < len(self.keys)) & (self.keys[np.minimum(at, len(self.keys) - 1)] == key)

    def assign(self, area: np.ndarray, birth_ymd: np.ndarray, male: np.ndarray) -> np.ndarray:
        key = (np.asarray(area, np.int64) * 100_000_000 + birth_ymd) * 2 + male
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - start
        at, found = self._find(key)
        k = np.where(found, self.used[np.minimum(at, len(self.used) - 1)] if len(self.used) else 0, 0) + rank
        if (k >= SEQUENCES_PER_GENDER).any():
            raise OverflowError("more than 500 people of one gender born on one day in one area")
        new_keys, counts = np.unique(key, return_counts=True)
        at, found = self._find(new_keys)
        self.used[at[found]] += counts[found]  # merged in place: no re-sort of all keys seen
        self.keys = np.insert(self.keys, at[~found], new_keys[~found])
        self.used = np.insert(self.used, at[~found], counts[~found])
        scrambled = (k * 211 + (key // 2) % SEQUENCES_PER_GENDER) % SEQUENCES_PER_GENDER
        return scrambled * 2 + np.asarray(male, np.int64)


def _scramble(index: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """A bijection of 0..modulus-1 (multiplier coprime to modulus): unique, random-looking codes."""
    return (np.asarray(index, np.int64) * multiplier + offset) % modulus


def _strings(codepoints: np.ndarray) -> pl.Series:
    """Rows of a (n, k) matrix of character code points as n strings of k characters."""
    matrix = np.ascontiguousarray(codepoints, dtype=np.uint32)
    return pl.Series(matrix.view(f"<U{matrix.shape[1]}").ravel(), dtype=pl.Utf8)


def _codepoints(texts: pl.Series, width: int) -> np.ndarray:
    return np.asarray(texts.to_numpy().astype(f"<U{width}")).view(np.uint32).reshape(-1, width)


_ALPHABET_CP = np.frombuffer(USCC_ALPHABET.encode("utf-32-le"), dtype=np.uint32)
_ORG_VALUE = np.zeros(128, dtype=np.int64)
_ORG_VALUE[_ALPHABET_CP] = [int(c) if c.isdigit() else ord(c) - 55 for c in USCC_ALPHABET]
_USCC_VALUE = np.zeros(128, dtype=np.int64)
_USCC_VALUE[_ALPHABET_CP] = np.arange(len(USCC_ALPHABET))
_ZERO = ord("0")


def org_codes(index: np.ndarray, legacy: np.ndarray) -> pl.Series:
    """9-character organisation codes: 8 digits for legacy units, "MA5" + 5 characters for new ones."""
    n = len(index)
    numeric = digits(_scramble(index, 10**8, 7_654_321, 10_203_040), 8) + _ZERO
    tail = _ALPHABET_CP[(_scramble(index, 31**5, 1_234_567, 98_765)[:, None]
                         // 31 ** np.arange(4, -1, -1)) % 31]
    new = np.hstack([np.tile(np.array([ord("M"), ord("A"), ord("5")]), (n, 1)), tail])
    body = np.where(np.asarray(legacy, bool)[:, None], numeric, new)
    check = (11 - (_ORG_VALUE[body] @ ORG_WEIGHTS) % 11) % 11
    check_cp = np.where(check == 10, ord("X"), check + _ZERO)
    return _strings(np.hstack([body, check_cp[:, None]]))


def usccs(org_code: pl.Series, area: np.ndarray, individual: np.ndarray) -> pl.Series:
    """USCCs issued by market regulation (9): type 1 enterprise or 2 individual business."""
    body = pl.Series(np.where(individual, "92", "91"), dtype=pl.Utf8) + _text(area, 6) + org_code
    values = _USCC_VALUE[_codepoints(body, 17)]
    check = (31 - (values @ USCC_WEIGHTS) % 31) % 31
    return body + pl.Series(np.array(list(USCC_ALPHABET))[check], dtype=pl.Utf8)


def registration_numbers(index: np.ndarray, area: np.ndarray) -> pl.Series:
    """15-digit registration numbers (area + 8-digit sequence + ISO 7064 MOD 11,10 check)."""
    body = np.hstack([digits(area, 6), digits(_scramble(index, 10**8, 3_456_789, 5_000_000), 8)])
    p = np.full(len(body), 10, dtype=np.int64)
    for column in body.T:  # the check is a recurrence over the 14 digit positions
        s = (p + column) % 10
        p = (np.where(s == 0, 10, s) * 2) % 11
    return _strings(np.hstack([body, ((11 - p) % 10)[:, None]]) + _ZERO)
