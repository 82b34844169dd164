"""Churn of the synthetic city from month to month (`linkage synth --months N`).

Month 0 is the city as `linkage synth` makes it; every later month is the same city a little
older.  Each chunk draws its churn once for a fixed horizon of HORIZON months, so month k is the
same whatever `--months` is and whatever the number of workers:

- households move out (their people's records leave every export) and others move in (their
  records appear in the month they arrive);
- households move house (current address becomes the previous one) and people change their
  mobile number; the records of a changed person are rendered again from the changed world;
- departments re-key records (`rekeyed`: the record is rendered with other entry errors — some
  corrected, some new) and delete records (`deleted`), at per-record rates.

A record keeps a stable department number across months (`record_key`: the 序号 / row-number
column of the exports that have one, and a column of truth.parquet), so stability and
incremental linking can be measured against the truth of each month.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from linkage.synth import address
from linkage.synth.world import Chunk, mobiles

HORIZON = 24                   # months of churn drawn per chunk
NEVER = HORIZON + 1
LEAVE = 0.004                  # per household and month: moves out of the city
ARRIVE = 0.004                 # per household and month: moves in (drawn among the world's households)
MOVE = 0.008                   # per household and month: moves house within the city
PHONE = 0.006                  # per person with a mobile and month: new mobile number
REKEY = 0.006                  # per record and month: re-keyed by the department
DELETE = 0.002                 # per record and month: deleted from the export
_STREAM = 0x6D6F6E             # "mon": the churn's random stream, apart from the world's
_ADDRESS = ("comm", "road", "number", "building", "unit", "room", "grid")
RECORD_KEY_STRIDE = 10_000_000  # record_key = chunk * stride + position in the chunk's selection + 1


def _event(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """The month (1…HORIZON) an event at `rate` per month first happens, NEVER if not in the horizon."""
    month = rng.geometric(rate, n)
    return np.where(month <= HORIZON, month, NEVER)


@dataclass
class PeopleChurn:
    """One chunk's people-level events: arrival, departure, move and new-phone months."""

    arrive: np.ndarray
    leave: np.ndarray
    move: np.ndarray
    phone: np.ndarray
    new_home: pl.DataFrame
    new_mobile: pl.Series

    @classmethod
    def draw(cls, seed: int, index: int, chunk: Chunk, layout: address.Layout) -> PeopleChurn:
        rng = np.random.default_rng([seed, index, _STREAM])
        people = chunk.people
        hh = people["household"].to_numpy()
        _, hh = np.unique(hh, return_inverse=True)
        n_hh, n = int(hh.max(initial=-1)) + 1, people.height
        newcomer = rng.random(n_hh) < ARRIVE * HORIZON
        arrive = np.where(newcomer, rng.integers(1, HORIZON + 1, n_hh), 0)
        leave = np.maximum(_event(rng, n_hh, LEAVE), arrive + 1)
        move = np.maximum(_event(rng, n_hh, MOVE), arrive + 1)
        new_home = address.draw_addresses(layout, rng, n_hh)
        phone = _event(rng, n, PHONE)
        new_mobile = mobiles(rng, n)
        return cls(arrive[hh], leave[hh], move[hh], phone, new_home[hh], new_mobile)

    def present(self, month: int) -> np.ndarray:
        return (self.arrive <= month) & (month < self.leave)

    def changed(self, month: int) -> np.ndarray:
        """People whose true attributes differ from month 0 by `month`."""
        return (self.move <= month) | (self.phone <= month)

    def world(self, chunk: Chunk, month: int) -> Chunk:
        """The chunk's world in `month`: movers live at their new home (the old one is their
        previous address), people with a new mobile keep the old one as their old number."""
        people = chunk.people
        moved = pl.Series(self.move <= month)
        has_mobile = people["mobile"].is_not_null()
        new_phone = pl.Series(self.phone <= month) & has_mobile
        people = people.with_columns(
            *(pl.when(moved).then(pl.col(k)).otherwise(pl.col(f"prev_{k}")).alias(f"prev_{k}")
              for k in _ADDRESS),
            *(pl.when(moved).then(self.new_home[k]).otherwise(pl.col(k)).alias(k) for k in _ADDRESS),
            (pl.col("moved") | moved).alias("moved"),
            pl.when(new_phone).then(pl.col("mobile")).otherwise(pl.col("old_mobile")).alias("old_mobile"),
            pl.when(new_phone).then(self.new_mobile).otherwise(pl.col("mobile")).alias("mobile"),
        )
        return Chunk(people, chunk.enterprises)


@dataclass
class RecordChurn:
    """One source's records in one chunk: when each is re-keyed and deleted."""

    rekey: np.ndarray
    delete: np.ndarray

    @classmethod
    def draw(cls, seed: int, index: int, key: str, n: int) -> RecordChurn:
        rng = np.random.default_rng([seed, index, zlib.crc32(key.encode()), _STREAM])
        return cls(_event(rng, n, REKEY), _event(rng, n, DELETE))


def rekey_rng(seed: int, index: int, key: str) -> np.random.Generator:
    """The random stream a department's re-keyed records are rendered with."""
    return np.random.default_rng([seed, index, zlib.crc32(key.encode()), _STREAM, 1])


def kept(month: int, records: RecordChurn, entity_rows: np.ndarray,
         people: PeopleChurn | None) -> np.ndarray:
    """Which of a source's records (in selection order) are in the month's export."""
    keep = records.delete > month
    if people is not None:
        keep &= people.present(month)[entity_rows]
    return keep


def variant(month: int, records: RecordChurn, entity_rows: np.ndarray,
            people: PeopleChurn | None) -> np.ndarray:
    """Which rendering each record shows: 0 = month 0's, 1 = the changed world's (its person
    changed), 2 = re-keyed."""
    changed = people.changed(month)[entity_rows] if people is not None else np.zeros(len(entity_rows), bool)
    return np.where(records.rekey <= month, 2, np.where(changed, 1, 0))


def pick_rows(frames: list[pl.DataFrame], which: np.ndarray, keep: np.ndarray) -> pl.DataFrame:
    """Row i from frames[which[i]], for the rows kept, in order."""
    index = pl.Series(np.arange(len(which)))
    parts = [frame.with_columns(index.alias("__i")).filter(pl.Series((which == k) & keep))
             for k, frame in enumerate(frames)]
    return pl.concat(parts).sort("__i").drop("__i")
