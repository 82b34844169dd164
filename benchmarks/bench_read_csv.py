"""Benchmark: read a 1M-row GBK CSV export (title line above the header) into a RawTable.

    .venv/bin/python benchmarks/bench_read_csv.py [--rows 1000000]

Writes benchmarks/_data/gbk_<rows>.csv once (reused), then times `linkage.connectors.read_path`
and prints rows, seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl

from linkage.connectors import read_path

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅文玉珍")


def make_file(rows: int, path: Path) -> None:
    rng = np.random.default_rng(7)
    s = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), rows)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), rows)]
    g2 = np.array(GIVEN + [""] * 20)[rng.integers(0, len(GIVEN) + 20, rows)]
    frame = pl.DataFrame({
        "姓名": np.char.add(np.char.add(s, g1), g2),
        "性别": np.array(["男", "女"])[rng.integers(0, 2, rows)],
        "公民身份号码": [f"4403{n:014d}" for n in rng.integers(10**12, 10**14, rows)],
        "出生日期": [f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(rng.integers(1940, 2020, rows),
                                                           rng.integers(1, 13, rows), rng.integers(1, 29, rows))],
        "民族": np.array(["汉族", "壮族", "回族"])[rng.integers(0, 3, rows)],
        "联系电话": [f"1{n}" for n in rng.integers(3 * 10**9, 9 * 10**9, rows)],
        "现住址": [f"广东省深圳市南山区桃源街道龙珠社区龙珠大道{a}号{b}栋{c}室" for a, b, c in
                zip(rng.integers(1, 300, rows), rng.integers(1, 30, rows), rng.integers(101, 3301, rows))],
        "工作单位": np.array(["深圳市腾达科技有限公司", "平安银行", "", "个体"])[rng.integers(0, 4, rows)],
        "登记日期": ["2023-05-01"] * rows,
    })
    tmp = path.with_suffix(".utf8")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("南山区桃源街道流动人口居住登记信息（导出）\n")
    with open(tmp, "ab") as fh:
        frame.write_csv(fh)
    path.write_bytes(tmp.read_text(encoding="utf-8").encode("gbk"))
    tmp.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = Path(__file__).parent / "_data" / f"gbk_{args.rows}.csv"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        make_file(args.rows, path)
    start = time.perf_counter()
    table = read_path(path, "csv")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={table.rows_in} records={table.data.height} quarantined={table.quarantine.height} "
          f"encoding={table.encoding} header_row={table.header_row} size={path.stat().st_size / 1e6:.0f}MB "
          f"seconds={seconds:.2f} peak_rss={peak:.0f}MiB")


if __name__ == "__main__":
    main()
