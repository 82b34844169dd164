"""Chunks of the synthetic city made into finished export bytes, in this process or in workers.

A chunk is made in two steps, so that chunks can be made in parallel yet number their rows on
from the rows of the chunks before them and keep ID numbers unique across chunks:
`ChunkWork(plan, task)` makes the chunk's world and draws who each source holds (`rows`, and the
`id_keys` of its people); the main process answers in chunk order with a `Placement` (the ID
sequence numbers from its IdSequencer and where the chunk's rows start in each file), and `finish`
renders the records with their entry errors and encodes them as the files hold them
(linkage.synth.writers), with their truth rows and the counts of the truth summary.  A chunk is a
pure function of the plan, its task and its placement, so the output does not depend on how
many workers made it.

`Workers(plan, n)` starts n spawned processes once; `run` feeds them tasks (each worker takes
every n-th chunk) and yields their results in chunk order, at most 2n chunks in flight.
`run_inline` does the same in this process.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import queue
import traceback
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import polars as pl
import pyarrow as pa

from linkage.synth import address, months
from linkage.synth.noise import NoiseRates
from linkage.synth.render import build_records, choose
from linkage.synth.profiles import DEFAULT, load_profile
from linkage.synth.systems import SourceSpec
from linkage.synth.truth import MONTH_TRUTH_SCHEMA, TRUTH_SCHEMA, chunk_counts, truth_table
from linkage.synth.world import id_keys, make_chunk, with_id_numbers
from linkage.synth.writers import DAMAGE_ERRORS, ExportFormat, Payload, damage

_LAYOUT_STREAM = 2**31 - 1


@dataclass(frozen=True)
class Plan:
    """What every chunk of a run needs, fixed for the run."""

    seed: int
    systems: tuple[str, ...] | None
    rates: NoiseRates            # at the run's noise level, before each system's multipliers
    level: float                 # the noise level's factor
    id_width: int                # digits of entity ids
    scratch: Path                # a folder for the chunks' SQLite files
    profile: str = DEFAULT       # a built-in profile's name or a profile file's path
    month: int | None = None     # with --months: which month of the churning city (linkage.synth.months)

    def specs(self) -> tuple[SourceSpec, ...]:
        return load_profile(self.profile).select(self.systems)


@dataclass(frozen=True)
class ChunkTask:
    index: int
    first_pid: int
    count: int                   # people
    first_eid: int


@dataclass(frozen=True)
class Placement:
    """The main process's answer to a chunk's rows and ID keys."""

    sequence: np.ndarray         # each person's ID sequence number (linkage.synth.codes.IdSequencer)
    first_rows: dict[str, int]   # per source, the file's data row of the chunk's first record
    formats: dict[str, ExportFormat]


Place = Callable[[dict[str, int], tuple[np.ndarray, ...]], Placement]  # called in chunk order


@dataclass
class ChunkResult:
    index: int
    payloads: dict[str, Payload]  # per source, what its sink appends (a chunk file or a deflated piece)
    truth: Path                   # truth.parquet rows, an Arrow IPC file (`read_truth`)
    counts: dict[str, pl.DataFrame]  # linkage.synth.truth.chunk_counts
    population: dict[str, int]


@functools.cache
def city_layout(seed: int) -> address.Layout:
    return address.city_layout(np.random.default_rng([seed, _LAYOUT_STREAM]))


def _source_rng(seed: int, chunk: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, chunk, zlib.crc32(key.encode())])


class ChunkWork:
    """One chunk: its world and who each source holds; `finish` makes its exports and truth."""

    def __init__(self, plan: Plan, task: ChunkTask):
        self.plan, self.task = plan, task
        self.layout = city_layout(plan.seed)
        self.chunk = make_chunk(plan.seed, task.index, self.layout, task.first_pid, task.count, task.first_eid,
                                plan.id_width)
        self.specs = plan.specs()
        self.rngs = {s.key: _source_rng(plan.seed, task.index, s.key) for s in self.specs}
        self.selections = {s.key: choose(s, self.chunk, self.rngs[s.key]) for s in self.specs}
        self.keep: dict[str, np.ndarray] = {}
        if plan.month is not None:
            self.people = months.PeopleChurn.draw(plan.seed, task.index, self.chunk, self.layout)
            self.churn = {s.key: months.RecordChurn.draw(plan.seed, task.index, s.key,
                                                         self.selections[s.key].n) for s in self.specs}
            self.keep = {s.key: months.kept(plan.month, self.churn[s.key], self.selections[s.key].rows,
                                            self._people_of(s)) for s in self.specs}

    @property
    def rows(self) -> dict[str, int]:
        if self.keep:
            return {key: int(keep.sum()) for key, keep in self.keep.items()}
        return {key: selection.n for key, selection in self.selections.items()}

    def _people_of(self, spec: SourceSpec) -> months.PeopleChurn | None:
        return self.people if spec.entity == "person" else None

    def _render(self, spec: SourceSpec, chunk, rates: NoiseRates) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The source's records and truth rows; in a month of the churning city, each record
        rendered from month 0's world, the changed world or re-keyed (linkage.synth.months),
        deleted records and absent people left out, with its stable `record_key`."""
        rng, selection, month = self.rngs[spec.key], self.selections[spec.key], self.plan.month
        state = rng.bit_generator.state
        frames = [build_records(spec, chunk, self.layout, rates, rng, selection, self.plan.level)]
        if month is None:
            return frames[0]
        people = self._people_of(spec)
        which = months.variant(month, self.churn[spec.key], selection.rows, people)
        if (which > 0).any():
            world = people.world(chunk, month) if people is not None else chunk
            again = np.random.Generator(type(rng.bit_generator)())
            again.bit_generator.state = state
            frames.append(build_records(spec, world, self.layout, rates, again, selection, self.plan.level)
                          if people is not None else frames[0])
            frames.append(build_records(spec, world, self.layout, rates,
                                        months.rekey_rng(self.plan.seed, self.task.index, spec.key),
                                        selection, self.plan.level))
        key = pl.Series("record_key", self.task.index * months.RECORD_KEY_STRIDE
                        + np.arange(1, selection.n + 1), dtype=pl.Int64)
        frames = [(data, truth.with_columns(key)) for data, truth in frames]
        keep = self.keep[spec.key]
        return (months.pick_rows([d for d, _ in frames], which, keep),
                months.pick_rows([t for _, t in frames], which, keep))

    def id_keys(self) -> tuple[np.ndarray, ...]:
        return id_keys(self.chunk)

    def finish(self, placement: Placement) -> ChunkResult:
        chunk = with_id_numbers(self.chunk, placement.sequence)
        payloads, truths = {}, []
        for spec in self.specs:
            rates = self.plan.rates.scaled(1.0, spec.noise)
            data, truth = self._render(spec, chunk, rates)
            first = placement.first_rows[spec.key]
            source_row = pl.Series("source_row", np.arange(first, first + data.height), dtype=pl.Int64)
            # a month's exports number their rows by the department's stable record number
            number = truth["record_key"] if self.keep else source_row
            data = data.with_columns(number.alias(c.header) for c in spec.columns if c.field == "row_number")
            fmt = placement.formats[spec.key]
            damaged = damage(fmt, self.selections[spec.key].n if self.keep else data.height,
                             rates.damaged_row, self.rngs[spec.key])
            if damaged is not None and self.keep:
                damaged = damaged[self.keep[spec.key]]
            for code, error in DAMAGE_ERRORS.items():
                if damaged is not None and (damaged == code).any():
                    truth = truth.with_columns(
                        pl.when(pl.Series(damaged == code)).then(pl.col("errors").list.concat(pl.lit([error])))
                        .otherwise(pl.col("errors")).alias("errors"))
            payloads[spec.key] = fmt.encode(data, first, self.plan.scratch, damaged)
            truths.append(truth.select(pl.lit(spec.key).alias("source"), source_row,
                                       pl.lit(spec.entity).alias("entity_type"), "entity_id", "entity_key",
                                       "errors", *(["record_key"] if self.keep else [])))
        truth = pl.concat(truths)
        people = chunk.people.filter(self.people.present(self.plan.month)) if self.keep else chunk.people
        population = {"people": people.height, "enterprises": chunk.enterprises.height,
                      "households": people["household"].n_unique(), "migrants": int(people["migrant"].sum())}
        path = self.plan.scratch / f"truth-{self.task.index}.arrow"
        table = truth_table(truth, MONTH_TRUTH_SCHEMA if self.keep else TRUTH_SCHEMA)
        with pa.ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
        return ChunkResult(self.task.index, payloads, path, chunk_counts(truth), population)


def read_truth(path: Path) -> pa.Table:
    """A chunk's truth rows from the file `ChunkWork.finish` wrote."""
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def run_inline(plan: Plan, tasks: Iterable[ChunkTask], place: Place) -> Iterator[ChunkResult]:
    """The chunks' results made one after another in this process."""
    for task in tasks:
        work = ChunkWork(plan, task)
        yield work.finish(place(work.rows, work.id_keys()))


def _serve(plan: Plan, tasks, placements, results) -> None:
    """A worker process: make each task's chunk, report its rows, wait for its placement, finish it."""
    index = -1
    try:
        while (task := tasks.get()) is not None:
            index = task.index
            work = ChunkWork(plan, task)
            results.put(("rows", index, (work.rows, work.id_keys())))
            results.put(("done", index, work.finish(placements.get())))
    except BaseException as exc:  # reported to the main process, which raises it
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        results.put(("error", index, exc, traceback.format_exc()))


_WORKER_ENVIRONMENT = {
    # one polars thread per worker: the workers are the parallelism
    "POLARS_MAX_THREADS": "1",
    # keep freed memory for the next chunk rather than hand it back to the system and fault it
    # in again (numpy's arrays: glibc malloc; polars: jemalloc): ≈ 8 % less CPU
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(2**30),
    "_RJEM_MALLOC_CONF": "dirty_decay_ms:10000,muzzy_decay_ms:10000",
}


class Workers:
    """`n` spawned worker processes (spawned: the parent's polars threads are not forked)."""

    def __init__(self, plan: Plan, n: int):
        context = multiprocessing.get_context("spawn")
        self.results = context.Queue()
        self.tasks = [context.Queue() for _ in range(n)]
        self.placements = [context.Queue() for _ in range(n)]
        self.processes = [context.Process(target=_serve, args=(plan, t, p, self.results), daemon=True,
                                          name=f"synth-worker-{i}")
                          for i, (t, p) in enumerate(zip(self.tasks, self.placements))]
        self.stopping = False
        previous = {name: os.environ.get(name) for name in _WORKER_ENVIRONMENT}
        os.environ.update(_WORKER_ENVIRONMENT)  # a spawned process starts with the environment
        try:
            for process in self.processes:
                process.start()
        finally:
            for name, value in previous.items():
                if value is None:
                    del os.environ[name]
                else:
                    os.environ[name] = value

    def run(self, tasks: Iterable[ChunkTask], place: Place) -> Iterator[ChunkResult]:
        """The chunks' results in chunk order.  `place(rows, id_keys)` is called in chunk order as
        the workers report each chunk; its answer goes back to the chunk's worker."""
        n = len(self.processes)
        pending = iter(tasks)
        dispatched = placed = written = 0
        reports: dict[int, tuple] = {}
        done: dict[int, ChunkResult] = {}

        def dispatch() -> None:
            nonlocal dispatched
            task = next(pending, None)
            if task is not None:
                self.tasks[task.index % n].put(task)
                dispatched += 1
            else:
                self._stop()  # workers end after their last chunk, while this process writes

        for _ in range(2 * n):
            dispatch()
        while written < dispatched:
            kind, index, payload = self._receive()
            if kind == "rows":
                reports[index] = payload
                while placed in reports:
                    self.placements[placed % n].put(place(*reports.pop(placed)))
                    placed += 1
            else:
                done[index] = payload
                while written in done:
                    yield done.pop(written)
                    written += 1
                    dispatch()

    def _receive(self) -> tuple:
        while True:
            try:
                message = self.results.get(timeout=1.0)
            except queue.Empty:
                ended = [p for p in self.processes if not p.is_alive()]  # after its last chunk: exit code 0
                if any(p.exitcode for p in ended) or len(ended) == len(self.processes):
                    raise RuntimeError(f"synth worker process {ended[0].name} ended (exit code {ended[0].exitcode}); "
                                       "a script that calls generate() with workers must run its code "
                                       "under `if __name__ == '__main__':`") from None
                continue
            if message[0] == "error":
                _, index, exc, trace = message
                exc.add_note(f"(in the worker making chunk {index})\n{trace}")
                raise exc
            return message

    def _stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            for tasks in self.tasks:
                tasks.put(None)

    def close(self) -> None:
        """Stop the workers: idle ones end, busy ones (after an error) are terminated."""
        self._stop()
        for process in self.processes:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
                process.join()
