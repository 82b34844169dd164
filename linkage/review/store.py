"""The labels file as the review app writes it: every decision appended at once and made durable.

`LabelStore(path)` reads the file (`linkage.link.labels.read_labels`) and keeps the decision in
force per pair.  `decide` appends one row per pair of a reviewer's action (a pair, a confirmed
cluster, a split) and returns the `Action` with the decisions it replaced, so `undo` can
append them back (`retracted` where there was none): the file only ever grows.  Each append
holds an exclusive `flock` (two app windows on one file), cuts a torn tail a crash left (a row
never acknowledged), writes, flushes and fsyncs before it returns; a new file's folder is
fsynced too.  `merge` brings in another reviewer's file (`--import`): rows not already here
are appended and pairs the two files decide differently are reported — the later decision wins,
as everywhere.  `export` writes every row to another file.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from linkage.errors import OutputError
from linkage.link.labels import COLUMNS, PAIR, canonical, current, read_labels

# a pair as the labels file names it: entity type, key type, source_l, key_l, source_r, key_r
PairKey = tuple[str, str, str, str, str, str]
KEY_COLUMNS = ("entity_type", "key_type", *PAIR)


def pair_key(entity_type: str, source_l: str, key_l, source_r: str, key_r,
             key_type: str = "source_row") -> PairKey:
    """The canonical key of a pair: the two records in (source, key) order."""
    a, b = (source_l, str(key_l)), (source_r, str(key_r))
    (sl, kl), (sr, kr) = sorted((a, b))
    return entity_type, key_type, sl, kl, sr, kr


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Action:
    """One reviewer action: its id, the pairs it decided and the decisions they had before."""
    id: str
    pairs: list[PairKey]
    before: list[str | None]
    rows: list[dict] = field(default_factory=list)


@dataclass
class MergeReport:
    rows_read: int
    rows_added: int
    conflicts: pl.DataFrame  # pairs decided differently: keys, decision_here, decision_there


class LabelStore:
    """The labels file at `path` and the decision in force per pair."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.rows = read_labels(self.path).drop("line")
        self._refresh()

    def _refresh(self) -> None:
        now_ = current(self.rows)
        self.decisions: dict[PairKey, str] = {
            tuple(r[:-1]): r[-1] for r in now_.select(*KEY_COLUMNS, "decision").iter_rows()}
        self.current = now_

    def decision(self, key: PairKey) -> str | None:
        return self.decisions.get(key)

    def decide(self, pairs: list[PairKey], decision: str, *, reviewer: str, kind: str,
               queue: str, sample: str | None = None) -> Action:
        """Append `decision` for every pair of one action; returns the action."""
        action = Action(uuid.uuid4().hex[:12], list(pairs), [self.decision(p) for p in pairs])
        stamp = now()
        action.rows = [dict(zip(KEY_COLUMNS, p), labelled_at=stamp, reviewer=reviewer,
                            action=action.id, kind=kind, decision=decision, queue=queue,
                            sample=sample) for p in pairs]
        self.append(action.rows)
        return action

    def undo(self, action: Action, reviewer: str) -> Action:
        """Give every pair of `action` back the decision it had before it."""
        undone = Action(uuid.uuid4().hex[:12], action.pairs, [self.decision(p) for p in action.pairs])
        stamp = now()
        undone.rows = [dict(zip(KEY_COLUMNS, p), labelled_at=stamp, reviewer=reviewer,
                            action=undone.id, kind=row["kind"], decision=before or "retracted",
                            queue="undo", sample=row["sample"])
                       for p, before, row in zip(action.pairs, action.before, action.rows)]
        self.append(undone.rows)
        return undone

    def append(self, rows: list[dict]) -> None:
        """Append `rows` durably (see the module docstring) and take them into account."""
        if not rows:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\n", extrasaction="ignore")
        for row in rows:
            writer.writerow({c: _clean(row.get(c)) for c in COLUMNS})
        new = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write the labels file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size:
                _cut_torn_tail(fd, size)
            data = buffer.getvalue().encode("utf-8")
            if os.fstat(fd).st_size == 0:
                data = (",".join(COLUMNS) + "\n").encode("utf-8") + data
            os.write(fd, data)
            os.fsync(fd)
        except OSError as exc:
            raise OutputError(f"{self.path}: the labels could not be saved ({exc.strerror}); "
                              "is the disk full?") from None
        finally:
            os.close(fd)
        if new:
            _fsync_dir(self.path.parent)
        added = pl.DataFrame([{c: _clean(r.get(c)) or None for c in COLUMNS} for r in rows],
                             schema={c: pl.Utf8 for c in COLUMNS})
        self.rows = pl.concat([self.rows, added])
        self._refresh()

    def merge(self, other: Path) -> MergeReport:
        """Append the rows of another labels file that this one lacks; report disagreements."""
        theirs = canonical(read_labels(other).drop("line"))
        before = self.current
        new = theirs.join(canonical(self.rows), on=list(COLUMNS), how="anti", nulls_equal=True)
        self.append(new.to_dicts())
        there = current(theirs).select(*KEY_COLUMNS, pl.col("decision").alias("decision_there"))
        conflicts = before.select(*KEY_COLUMNS, pl.col("decision").alias("decision_here")).join(
            there, on=list(KEY_COLUMNS)).filter(pl.col("decision_here") != pl.col("decision_there"))
        conflicts = conflicts.join(self.current.select(*KEY_COLUMNS, pl.col("decision").alias("now")),
                                   on=list(KEY_COLUMNS), how="left")
        return MergeReport(theirs.height, new.height, conflicts)

    def export(self, target: Path) -> int:
        """Write every row to `target` (atomically); the number of rows."""
        target = Path(target)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            self.rows.select(COLUMNS).write_csv(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"{target}: cannot write ({exc.strerror})") from None
        return self.rows.height


def _clean(value) -> str:
    """A cell as written: text on one line."""
    return "" if value is None else " ".join(str(value).split())


def _cut_torn_tail(fd: int, size: int) -> None:
    """Drop a last line without its newline (a write a crash cut short, never acknowledged)."""
    tail = os.pread(fd, min(size, 1 << 16), max(size - (1 << 16), 0))
    if tail.endswith(b"\n"):
        return
    cut = tail.rfind(b"\n")
    if cut < 0 and size > len(tail):
        raise OSError(0, "a line of the labels file is longer than 64 KiB")
    os.ftruncate(fd, size - len(tail) + cut + 1)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
