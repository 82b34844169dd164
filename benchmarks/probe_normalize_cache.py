"""Would caching normalized records in the entity store pay?  CPU seconds of the cache's work.

    .venv/bin/python benchmarks/probe_normalize_cache.py OUTPUT/linkage.duckdb

Reads a run's person records from its database (what reading them from a cache would cost),
hashes their rows (the cache key), writes them to a scratch DuckDB file and reads them back;
compare with the run's normalize stage (CPU seconds: `bench_months.py --compare-full`).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="linkage-cache-probe-")) / "cache.duckdb"
    clock = time.process_time()
    with duckdb.connect(sys.argv[1], read_only=True) as con:
        records = con.sql("SELECT * FROM records WHERE entity_type = 'person'").pl()
    read = time.process_time() - clock
    clock = time.process_time()
    records.drop("record_id", "source_row").hash_rows(seed=1)
    hashing = time.process_time() - clock
    clock = time.process_time()
    with duckdb.connect(str(scratch)) as con:
        con.register("_records", records.to_arrow())
        con.execute("CREATE TABLE cache AS SELECT * FROM _records")
        con.execute("CHECKPOINT")
    write = time.process_time() - clock
    clock = time.process_time()
    with duckdb.connect(str(scratch), read_only=True) as con:
        con.sql("SELECT * FROM cache").pl()
    back = time.process_time() - clock
    print(f"{records.height:,} person records × {records.width} columns: read {read:.2f} s, "
          f"hash {hashing:.2f} s, write {write:.2f} s, read back {back:.2f} s CPU; "
          f"cache file {os.path.getsize(scratch) / 2 ** 20:.0f} MiB")
    scratch.unlink()
    scratch.parent.rmdir()


if __name__ == "__main__":
    main()
