"""Text columns laid out from byte matrices: fixed-layout values (dates, code digits) built with
numpy arithmetic and handed to polars as one Arrow buffer, instead of per-value string work.

Each part is an (n, k) uint8 matrix of UTF-8 bytes; zero bytes are padding and are dropped, so
parts may vary in width per row (`digits(..., pad=False)` writes 7 rather than 07).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

_ZERO = ord("0")


_GROUP = 4
_GROUPS = ((np.arange(10**_GROUP)[:, None] // 10 ** np.arange(_GROUP - 1, -1, -1)) % 10 + _ZERO).astype(np.uint8)


def digits(values, width: int, pad: bool = True) -> np.ndarray:
    """The decimal digits of non-negative integers (below 10**width); without `pad`, leading
    zeros are left out (one digit is always kept).  Looked up four digits at a time."""
    values = np.asarray(values, dtype=np.int64)
    groups = -(-width // _GROUP)
    out = np.hstack([_GROUPS[(values // 10 ** (_GROUP * g)) % 10**_GROUP] for g in range(groups - 1, -1, -1)])
    out = out[:, out.shape[1] - width:]
    if not pad and width > 1:
        powers = 10 ** np.arange(width - 1, 0, -1, dtype=np.int64)
        out[:, :-1][values[:, None] < powers] = 0
    return out


def literal(text: str, n: int) -> np.ndarray:
    """`text` on each of n rows."""
    return np.broadcast_to(np.frombuffer(text.encode("utf-8"), dtype=np.uint8), (n, len(text.encode("utf-8"))))


def compose(*parts: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """One text per row: the parts side by side, padding dropped; null where `valid` is false."""
    matrix = np.hstack(parts) if len(parts) > 1 else np.asarray(parts[0])
    n, width = matrix.shape
    keep = matrix != 0
    if keep.all():
        data, offsets = np.ascontiguousarray(matrix).ravel(), np.arange(n + 1, dtype=np.int64) * width
    else:
        data = matrix[keep]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(keep.sum(axis=1), out=offsets[1:])
    bitmap = None if valid is None else pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap)
    return pl.Series(array) if n else pl.Series([], dtype=pl.Utf8)
