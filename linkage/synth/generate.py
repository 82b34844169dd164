"""Generate a synthetic city's departmental exports with their ground truth, streaming by chunks.

`generate(out, people, …)` writes into `out`: one file per source (linkage.synth.systems),
truth.parquet (source, source_row, entity_type, entity_id, errors), truth_summary.json (the
true redundancy) and config.yaml (a linkage config reading every generated file).

People are generated in fixed-size chunks, each source of each chunk with its own seeded
generator, so the output depends only on the arguments and memory stays bounded by the chunk
size.  Each chunk's world is made (ID numbers stay unique across chunks), then source by source
the system's records are drawn, rendered with their entry errors, encoded and appended to its
file, and their truth to truth.parquet, where it is counted for the summary.  Encoding and
writing run on a background thread while the next source is drawn.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl
import yaml

from linkage.synth import address, codes
from linkage.synth.noise import NOISE_LEVELS, NoiseRates
from linkage.synth.render import build_records, choose
from linkage.synth.systems import SourceSpec, select_sources
from linkage.synth.truth import TruthWriter
from linkage.synth.world import REFERENCE_DATE, make_chunk
from linkage.synth.writers import Background, ExportFormat, Sink

CHUNK_PEOPLE = 50_000
EXCEL_MAX_ROWS = 200_000      # a bigger Excel system is exported as CSV instead
_LAYOUT_STREAM = 2**31 - 1


def _source_rng(seed: int, chunk: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, chunk, zlib.crc32(key.encode())])


def _as_csv(spec: SourceSpec, rows: int) -> tuple[SourceSpec, str]:
    """An Excel system too big for Excel, exported as CSV instead, and the note that says so."""
    note = (f"exported as CSV (UTF-8 with BOM) instead of Excel: about {rows:,} rows exceed the "
            f"{EXCEL_MAX_ROWS:,}-row limit used for Excel exports")
    return replace(spec, format="csv", encoding="utf-8-sig", file=f"{spec.key}.csv", title_row=None), note


def export_format(spec: SourceSpec) -> ExportFormat:
    return ExportFormat(spec.format, tuple(spec.headers), spec.encoding, spec.title_row, spec.blank, spec.table)


class _Source:
    """One source being written: its spec (maybe switched to CSV), format, sink and row count."""

    def __init__(self, spec: SourceSpec, out: Path, note: str | None):
        self.spec, self.note, self.rows = spec, note, 0
        self.format = export_format(spec)
        self.sink: Sink = self.format.open(out / spec.file)

    def _append(self, data: pl.DataFrame, first_row: int) -> None:
        self.sink.write(self.format.encode(data, first_row))

    def write(self, data: pl.DataFrame, truth: pl.DataFrame, background: Background) -> pl.DataFrame:
        """Append a chunk's rows (numbered on from the file's last row) in the background; its
        truth rows, completed."""
        source_row = pl.Series("source_row", np.arange(self.rows + 1, self.rows + data.height + 1), dtype=pl.Int64)
        data = data.with_columns(source_row.alias(c.header) for c in self.spec.columns if c.field == "row_number")
        background.submit(self._append, data, self.rows + 1)
        self.rows += data.height
        return truth.select(pl.lit(self.spec.key).alias("source"), source_row,
                            pl.lit(self.spec.entity).alias("entity_type"), "entity_id", "errors")

    def describe(self) -> dict:
        s = self.spec
        info = {"system": s.system, "title": s.title, "entity_type": s.entity, "file": s.file,
                "format": s.format, "encoding": s.encoding if s.format in ("csv", "tsv") else None,
                "table": s.table, "duplicate_rate": s.duplicates, "updates_per_year": s.updates_per_year}
        if self.note:
            info["note"] = self.note
        return info


def generate(out: str | Path, people: int, seed: int = 0, noise: str = "default",
             systems: list[str] | None = None, rates: NoiseRates | None = None,
             chunk_people: int = CHUNK_PEOPLE,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Write the exports, truth.parquet, truth_summary.json and config.yaml; return the summary."""
    if people < 1:
        raise ValueError("--people must be at least 1")
    if noise not in NOISE_LEVELS:
        raise ValueError(f"unknown noise level {noise!r}; choose from {', '.join(NOISE_LEVELS)}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = select_sources(systems)
    base = (rates or NoiseRates()).scaled(NOISE_LEVELS[noise])
    layout = address.city_layout(np.random.default_rng([seed, _LAYOUT_STREAM]))
    sequencer = codes.IdSequencer()
    id_width = max(7, len(str(people)))
    sources: dict[str, _Source] = {}
    truth_writer = TruthWriter(out / "truth.parquet")
    background = Background()
    population = {"people": 0, "enterprises": 0, "households": 0, "migrants": 0}
    try:
        first_pid = first_eid = chunk_index = 0
        while first_pid < people:
            count = min(chunk_people, people - first_pid)
            chunk = make_chunk(seed, chunk_index, layout, sequencer, first_pid, count, first_eid, id_width)
            truths = []
            for spec in specs:
                rng = _source_rng(seed, chunk_index, spec.key)
                selection = choose(spec, chunk, rng)
                if spec.key not in sources:
                    expected = round(selection.n * people / count)
                    switched, note = _as_csv(spec, expected) if (spec.format == "xlsx" and expected > EXCEL_MAX_ROWS) \
                        else (spec, None)
                    sources[spec.key] = _Source(switched, out, note)
                data, truth = build_records(sources[spec.key].spec, chunk, layout, base.scaled(1.0, spec.noise), rng,
                                            selection, NOISE_LEVELS[noise])
                truths.append(sources[spec.key].write(data, truth, background))
            population["people"] += chunk.people.height
            population["enterprises"] += chunk.enterprises.height
            population["households"] += chunk.people["household"].n_unique()
            population["migrants"] += int(chunk.people["migrant"].sum())
            first_pid += count
            first_eid += chunk.enterprises.height
            chunk_index += 1
            background.submit(truth_writer.write, pl.concat(truths))
            if progress:
                progress(first_pid, people)
        background.finish()
    finally:
        background.close()
        for source in sources.values():
            source.sink.close()
        truth_writer.close()
    result = {
        "generator": {"people": people, "seed": seed, "noise": noise, "systems": [s.key for s in specs],
                      "city": "深圳市", "reference_date": REFERENCE_DATE.isoformat(),
                      "rates": dataclasses.asdict(base)},
        "population": population,
        **truth_writer.summary({k: s.describe() for k, s in sources.items()}),
    }
    (out / "truth_summary.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                            encoding="utf-8")
    header = (f"Synthetic exports made by `{command_line(people, seed, noise, systems)} --out DIR`;\n"
              "the ground truth is truth.parquet beside this file (linkage evaluate --truth).")
    (out / "config.yaml").write_text(config_text(result["sources"], header), encoding="utf-8")
    return result


def config_text(sources: dict[str, dict], header: str, name: str = "synth", output: str = "out",
                prefix: str = "") -> str:
    """A linkage config reading every generated file; `sources` are truth_summary.json's source
    descriptions, `prefix` the path from the config's folder to the files."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"name: {name}", f"output: {output}", "sources:"]
    for key, s in sources.items():
        entry = {"title": s["title"], "system": s["system"], "path": f"{prefix}{s['file']}",
                 "entity": s["entity_type"]}
        if s.get("table"):
            entry["table"] = s["table"]
        entry["updates_per_year"] = s["updates_per_year"]
        if s.get("note"):
            lines.append(f"  # {key}: {s['note']}")
        body = yaml.safe_dump({key: entry}, allow_unicode=True, sort_keys=False)
        lines += ["  " + line for line in body.splitlines()]
    lines += ["report:", "  language: zh"]
    return "\n".join(lines) + "\n"


def command_line(people: int, seed: int, noise: str, systems: list[str] | None = None) -> str:
    """The `linkage synth` command that makes a dataset (for the headers of generated files)."""
    line = f"linkage synth --people {people} --seed {seed} --noise {noise}"
    return line + "".join(f" --systems {s}" for s in systems or [])
