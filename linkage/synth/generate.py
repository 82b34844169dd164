"""Generate a synthetic city's departmental exports with their ground truth, streaming by chunks.

`generate(out, people, …)` writes into `out`: one file per source (linkage.synth.systems),
truth.parquet (source, source_row, entity_type, entity_id, errors), truth_summary.json (the
true redundancy) and config.yaml (a linkage config reading every generated file).

People are generated in fixed-size chunks.  Worker processes (linkage.synth.chunks, one per
core by default) make whole chunks — world, records with their entry errors, encoded file
contents, truth rows and counts — and this process places them (hands out their ID sequence
numbers, so ID numbers stay unique across chunks, and numbers their rows on from the chunks
before) and appends them to the files, all in chunk order: the output depends only on the
arguments, not on the number of workers, and memory stays bounded by the chunk size.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import yaml

from linkage.synth import codes
from linkage.synth.address import CITY
from linkage.synth.chunks import ChunkTask, Placement, Plan, Workers, read_truth, run_inline
from linkage.synth.months import HORIZON
from linkage.synth.noise import NOISE_LEVELS, NoiseRates
from linkage.synth.profiles import DEFAULT, load_profile
from linkage.synth.systems import SourceSpec
from linkage.synth.truth import MONTH_TRUTH_SCHEMA, TRUTH_SCHEMA, TruthWriter
from linkage.synth.world import REFERENCE_DATE, enterprise_count
from linkage.synth.writers import ExportFormat, Sink

CHUNK_PEOPLE = 125_000
EXCEL_MAX_ROWS = 200_000      # a bigger Excel system is exported as CSV instead


def _as_csv(spec: SourceSpec, rows: int) -> tuple[SourceSpec, str]:
    """An Excel system too big for Excel, exported as CSV instead, and the note that says so."""
    note = (f"exported as CSV (UTF-8 with BOM) instead of Excel: about {rows:,} rows exceed the "
            f"{EXCEL_MAX_ROWS:,}-row limit used for Excel exports")
    return replace(spec, format="csv", encoding="utf-8-sig", file=f"{spec.key}.csv", title_row=None), note


def export_format(spec: SourceSpec) -> ExportFormat:
    return ExportFormat(spec.format, tuple(spec.headers), spec.encoding, spec.title_row, spec.blank,
                        spec.table or Path(spec.file).stem, spec.key)


class _Source:
    """One source being written: its spec (maybe switched to CSV), format, sink and row count."""

    def __init__(self, spec: SourceSpec, out: Path, note: str | None):
        self.spec, self.note, self.rows = spec, note, 0
        self.format = export_format(spec)
        self.sink: Sink = self.format.open(out / spec.file)

    def describe(self, keyed: bool = False) -> dict:
        """The source as truth_summary.json lists it; `keyed`: a month of the churning city,
        whose row-number column is the department's stable record number (the source's key)."""
        s = self.spec
        info = {"system": s.system, "title": s.title, "entity_type": s.entity, "file": s.file,
                "format": s.format, "encoding": s.encoding if s.format in ("csv", "tsv") else None,
                "table": s.table, "duplicate_rate": s.duplicates, "updates_per_year": s.updates_per_year}
        if s.config_columns:
            info["columns"] = dict(s.config_columns)
        if self.note:
            info["note"] = self.note
        numbers = [c.header for c in s.columns if c.field == "row_number"]
        if keyed and numbers:
            info["key"] = numbers[0]
        return info


class _Exports:
    """The source files: opened when the first chunk's rows are known (an Excel system that would
    grow too big becomes CSV), then each chunk placed after the rows before it and appended."""

    def __init__(self, out: Path, specs: tuple[SourceSpec, ...], people: int, first_chunk: int):
        self.out, self.specs, self.scale = out, specs, people / first_chunk
        self.sources: dict[str, _Source] = {}

    def place(self, rows: dict[str, int]) -> tuple[dict[str, int], dict[str, ExportFormat]]:
        """Where the chunk's rows start in each file, and each file's format."""
        if not self.sources:
            for spec in self.specs:
                expected, note = round(rows[spec.key] * self.scale), None
                if spec.format == "xlsx" and expected > EXCEL_MAX_ROWS:
                    spec, note = _as_csv(spec, expected)
                self.sources[spec.key] = _Source(spec, self.out, note)
        first = {key: source.rows + 1 for key, source in self.sources.items()}
        for key, n in rows.items():
            self.sources[key].rows += n
        return first, {key: source.format for key, source in self.sources.items()}

    def write(self, payloads: dict) -> None:
        for key, payload in payloads.items():
            self.sources[key].sink.write(payload)

    def close(self) -> None:
        for source in self.sources.values():
            source.sink.close()


def _tasks(people: int, chunk_people: int) -> Iterator[ChunkTask]:
    first_pid = first_eid = index = 0
    while first_pid < people:
        count = min(chunk_people, people - first_pid)
        yield ChunkTask(index, first_pid, count, first_eid)
        first_pid += count
        first_eid += enterprise_count(count)
        index += 1


def generate(out: str | Path, people: int, seed: int = 0, noise: str = "default",
             systems: list[str] | None = None, rates: NoiseRates | None = None,
             chunk_people: int = CHUNK_PEOPLE, workers: int | None = None,
             progress: Callable[[int, int], None] | None = None, profile: str = DEFAULT,
             month: int | None = None, store: str | None = None) -> dict:
    """Write the exports, truth.parquet, truth_summary.json and config.yaml; return the summary.
    `profile`: a built-in profile's name or a profile file's path (linkage.synth.profiles), whose
    systems and base error rates (unless `rates` are given) the city gets; `workers`: processes
    making chunks (default: one per core; 1 = all in this process); `month`: that month of the
    churning city (linkage.synth.months; `generate_months` makes them all), whose config keys
    the sources with a department number by it and names the entity store `store`."""
    if people < 1:
        raise ValueError("--people must be at least 1")
    if noise not in NOISE_LEVELS:
        raise ValueError(f"unknown noise level {noise!r}; choose from {', '.join(NOISE_LEVELS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = load_profile(profile)
    specs = chosen.select(systems)
    base = (rates or chosen.rates).scaled(NOISE_LEVELS[noise])
    scratch = out / ".synth-chunks"
    scratch.mkdir(exist_ok=True)
    plan = Plan(seed, tuple(systems) if systems else None, base, NOISE_LEVELS[noise],
                max(7, len(str(people))), scratch, str(chosen.path) if profile != chosen.name else profile, month)
    workers = min(workers or os.cpu_count() or 1, math.ceil(people / chunk_people))
    exports = _Exports(out, specs, people, min(chunk_people, people))
    truth_writer = TruthWriter(out / "truth.parquet",
                               TRUTH_SCHEMA if month is None else MONTH_TRUTH_SCHEMA)
    population: Counter[str] = Counter()
    sequencer = codes.IdSequencer()

    def place(rows: dict[str, int], id_keys: tuple) -> Placement:
        return Placement(sequencer.assign(*id_keys), *exports.place(rows))

    pool = Workers(plan, workers) if workers > 1 else None
    try:
        tasks = _tasks(people, chunk_people)
        for result in pool.run(tasks, place) if pool else run_inline(plan, tasks, place):
            exports.write(result.payloads)
            truth_writer.write(read_truth(result.truth), result.counts)
            result.truth.unlink()
            population.update(result.population)
            if progress:
                progress(population["people"], people)
    finally:
        if pool:
            pool.close()
        exports.close()
        truth_writer.close()
        shutil.rmtree(scratch, ignore_errors=True)
    # the default profile's summary names no profile: its files stay as they were before profiles
    named = {} if chosen.name == DEFAULT else {"profile": chosen.name}
    dated = {} if month is None else {"month": month}
    result = {
        "generator": {"people": people, "seed": seed, "noise": noise, **named, **dated,
                      "systems": [s.key for s in specs],
                      "city": CITY, "reference_date": REFERENCE_DATE.isoformat(),
                      # the entry errors in force (a rate of 0 is left out)
                      "rates": {k: v for k, v in dataclasses.asdict(base).items() if v}},
        "population": {k: population[k] for k in ("people", "enterprises", "households", "migrants")},
        **truth_writer.summary({k: s.describe(month is not None) for k, s in exports.sources.items()}),
    }
    (out / "truth_summary.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
    header = (f"Synthetic exports made by `{command_line(people, seed, noise, systems, profile)} --out DIR`;\n"
              "the ground truth is truth.parquet beside this file (linkage evaluate --truth).")
    (out / "config.yaml").write_text(config_text(result["sources"], header, region=CITY, store=store),
                                     encoding="utf-8")
    return result


def generate_months(out: str | Path, people: int, months: int, **options) -> list[dict]:
    """`months` successive monthly exports of one churning city (linkage.synth.months), month k
    in `out/month-NN` (NN = k + 1) with its truth and a config whose runs share the entity store
    `out/store.duckdb`; returns each month's summary.  `options` are `generate`'s."""
    if months < 1:
        raise ValueError("--months must be at least 1")
    if months > HORIZON:
        raise ValueError(f"--months can be at most {HORIZON}")
    return [generate(Path(out) / month_folder(k), people, month=k, store="../store.duckdb", **options)
            for k in range(months)]


def month_folder(month: int) -> str:
    return f"month-{month + 1:02d}"


def config_text(sources: dict[str, dict], header: str, name: str = "synth", output: str = "out",
                prefix: str = "", region: str | None = None, store: str | None = None) -> str:
    """A linkage config reading every generated file; `sources` are truth_summary.json's source
    descriptions, `prefix` the path from the config's folder to the files, `region` the city
    (the run's region hint: it names addresses and completes local phone numbers that name no
    place), `store` the entity store of monthly runs."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"name: {name}", f"output: {output}"] + ([f"region: {region}"] if region else [])
    lines += [f"store: {store}"] if store else []
    lines += ["sources:"]
    for key, s in sources.items():
        entry = {"title": s["title"], "system": s["system"], "path": f"{prefix}{s['file']}",
                 "entity": s["entity_type"]}
        if s.get("table"):
            entry["table"] = s["table"]
        entry["updates_per_year"] = s["updates_per_year"]
        if s.get("columns"):
            entry["columns"] = s["columns"]
        if s.get("key"):
            entry["key"] = s["key"]
        if s.get("note"):
            lines.append(f"  # {key}: {s['note']}")
        body = yaml.safe_dump({key: entry}, allow_unicode=True, sort_keys=False)
        lines += ["  " + line for line in body.splitlines()]
    lines += ["report:", "  language: zh"]
    return "\n".join(lines) + "\n"


def command_line(people: int, seed: int, noise: str, systems: list[str] | None = None,
                 profile: str = DEFAULT) -> str:
    """The `linkage synth` command that makes a dataset (for the headers of generated files)."""
    line = f"linkage synth --people {people} --seed {seed} --noise {noise}"
    line += f" --profile {profile}" if profile != DEFAULT else ""
    return line + "".join(f" --systems {s}" for s in systems or [])
