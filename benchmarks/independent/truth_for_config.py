#!/usr/bin/env python3
"""Turn make_exports.py's truth.csv into the truth.parquet `linkage evaluate` reads, for one config.

`linkage evaluate` names records by the config's source names, so each truth row's `file` is
looked up among the config's sources (by `path`, and `sheet` for workbooks: a workbook file
with several sources is matched to the one whose sheet holds the data, i.e. the first listed).
Output columns: source (str), source_row (int64), entity_type (str), entity_id (str),
errors (list[str], from truth.csv's ';'-joined errors column).

Usage: python truth_for_config.py CONFIG.yaml [--truth truth.csv] [-o truth.parquet]
Rows whose file no source reads are reported and left out.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl
import yaml


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("config", type=Path)
    ap.add_argument("--truth", type=Path, default=None, help="default: truth.csv beside the config")
    ap.add_argument("-o", "--output", type=Path, default=None, help="default: truth.parquet beside the config")
    args = ap.parse_args(argv)
    cfg = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    base = args.config.parent
    truth_path = args.truth or base / "truth.csv"
    out_path = args.output or base / "truth.parquet"

    by_file: dict[str, str] = {}
    for name, src in (cfg.get("sources") or {}).items():
        path = src.get("path")
        if not path:
            continue
        fname = Path(path).name
        if fname in by_file:
            print(f"note: {fname} is read by sources {by_file[fname]} and {name}; truth goes to {by_file[fname]}",
                  file=sys.stderr)
            continue
        by_file[fname] = name

    t = pl.read_csv(truth_path, schema_overrides={"source_row": pl.Int64, "errors": pl.Utf8,
                                                  "entity_id": pl.Utf8})
    t = t.with_columns(pl.col("file").replace_strict(by_file, default=None).alias("source"))
    missing = t.filter(pl.col("source").is_null())["file"].unique().to_list()
    if missing:
        print(f"warning: no source reads {missing}; their rows are left out", file=sys.stderr)
    t = t.filter(pl.col("source").is_not_null()).select(
        pl.col("source").cast(pl.Utf8),
        pl.col("source_row").cast(pl.Int64),
        pl.col("entity_type").cast(pl.Utf8),
        pl.col("entity_id").cast(pl.Utf8),
        pl.col("errors").fill_null("").str.split(";").list.eval(pl.element().filter(pl.element() != ""))
        .alias("errors"),
    )
    t.write_parquet(out_path)
    print(f"wrote {out_path}: {t.height} rows, sources {sorted(t['source'].unique().to_list())}")


if __name__ == "__main__":
    main()
