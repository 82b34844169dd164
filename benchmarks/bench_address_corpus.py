"""Accuracy of the address head (province … community) on a labelled corpus made by others.

    .venv/bin/python benchmarks/bench_address_corpus.py CORPUS_DIR [--half dev|test|all] [--peers]

CORPUS_DIR holds `train.conll` and `dev.conll` of the CCKS 2021 Chinese address element
parsing task (地址要素解析, Alibaba / Tianchi; one character and its BIES label a line, a blank
line between addresses; labels prov, city, district, town, community, …).  The corpus is not
part of this repository.  Both files are pooled and split into two fixed halves by the SHA-1
of the address text: `dev` (first byte even) was used while developing the normalizer,
`test` (odd) only to report.

A level counts as read right when the corpus labels it and the normalizer's value names the
same division: equal after dropping the type word (浙江 = 浙江省, 九堡镇 = 九堡街道), or equal
to the former name the normalizer kept (`<prefix>_old_name`, e.g. 江干区 read as today's
钱塘区).  Addresses without a label at a level do not count for it.  With --peers, cpca and
jionlp (when installed; not dependencies of linkage) are scored the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import polars as pl

from linkage.normalize.addresses import normalize_address

LEVELS = {"prov": "province", "city": "city", "district": "district", "town": "street", "community": "community"}
TYPE_WORD = (r"(?:(?:壮族|回族|维吾尔)?自治区|特别行政区|自治州|自治县|自治旗|地区|街道办事处|街道办|街道|"
             r"社区居委会|居委会|村委会|社区|省|市|区|县|旗|盟|州|镇|乡|村)$")


def read_conll(path: Path) -> list[dict]:
    """One dict per address: `address` and the first span of each label."""
    records, chars, spans, label, span = [], [], {}, None, ""
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        parts = line.split(" ")
        if len(parts) != 2:
            if chars:
                records.append({"address": "".join(chars), **spans})
            chars, spans, label, span = [], {}, None, ""
            continue
        char, tag = parts
        chars.append(char)
        kind, _, name = tag.partition("-")
        if kind in ("B", "S"):
            label, span = name, char
        elif kind in ("I", "E") and name == label:
            span += char
        if kind in ("E", "S") and label and label not in spans:
            spans[label] = span
        if kind in ("E", "S", "O"):
            label = None
    return records


def corpus(directory: Path, half: str) -> pl.DataFrame:
    rows = read_conll(directory / "train.conll") + read_conll(directory / "dev.conll")
    frame = pl.DataFrame(rows, schema={"address": pl.Utf8, **{label: pl.Utf8 for label in LEVELS}})
    even = pl.Series([hashlib.sha1(a.encode()).digest()[0] % 2 == 0 for a in frame["address"]])
    if half == "dev":
        frame = frame.filter(even)
    elif half == "test":
        frame = frame.filter(~even)
    return frame


def stem(column: pl.Expr) -> pl.Expr:
    return column.str.replace(TYPE_WORD, "")


def named(label: pl.Expr, value: pl.Expr) -> pl.Expr:
    """The label names the value's division: the same stem, or the value's full name starts
    with the label or its stem, of two or more characters (芷江县 for 芷江侗族自治县, 柳市 for
    柳市镇)."""
    short = stem(label)
    return ((short == stem(value)) | ((short.str.len_chars() >= 2) & value.str.starts_with(short))
            | ((label.str.len_chars() >= 2) & value.str.starts_with(label))).fill_null(False)


def read_right(label: pl.Expr, value: pl.Expr, old: pl.Expr) -> pl.Expr:
    """The label names the division read, or the former name the normalizer kept."""
    short = stem(label)
    kept = (short.str.len_chars() >= 2) & old.fill_null("").str.contains(short, literal=True)
    return named(label, value) | kept.fill_null(False)


def accuracy(labels: pl.DataFrame, predicted: pl.DataFrame) -> dict[str, tuple[float, int]]:
    """Per level: share of labelled addresses read right, and how many are labelled."""
    out = {}
    for label, level in LEVELS.items():
        frame = _paired(labels, predicted, label, level).filter(pl.col("label").is_not_null())
        right = read_right(pl.col("label"), pl.col("value"), pl.col("old"))
        out[level] = (float(frame.select(right.mean()).item()), frame.height)
    return out


def _paired(labels: pl.DataFrame, predicted: pl.DataFrame, label: str, level: str) -> pl.DataFrame:
    old = predicted["old_name"] if "old_name" in predicted.columns else pl.Series([None] * labels.height)
    return pl.DataFrame({"address": labels["address"], "label": labels[label],
                         "value": predicted[level].cast(pl.Utf8), "old": old.cast(pl.Utf8)})


def ours(addresses: pl.Series) -> pl.DataFrame:
    out = normalize_address(addresses, "a")
    return out.select(pl.all().name.map(lambda n: n.removeprefix("a_")))


def cpca_parse(addresses: pl.Series) -> pl.DataFrame:
    import cpca

    frame = cpca.transform(addresses.to_list())
    return pl.DataFrame({"province": frame["省"], "city": frame["市"], "district": frame["区"],
                         "street": [None] * len(frame), "community": [None] * len(frame)})


def jionlp_parse(addresses: pl.Series) -> pl.DataFrame:
    import jionlp

    rows = [jionlp.parse_location(a, town_village=True, change2new=False) for a in addresses.to_list()]
    return pl.DataFrame({"province": [r["province"] for r in rows], "city": [r["city"] for r in rows],
                         "district": [r["county"] for r in rows], "street": [r.get("town") for r in rows],
                         "community": [r.get("village") for r in rows]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--half", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--peers", action="store_true", help="score cpca and jionlp too")
    parser.add_argument("--misses", help="print this many misses of level LEVEL=N (e.g. district=30)")
    args = parser.parse_args()
    labels = corpus(args.corpus, args.half)
    parsers = {"linkage": ours}
    if args.peers:
        parsers |= {"cpca": cpca_parse, "jionlp": jionlp_parse}
    print(f"{args.half} half: {labels.height} addresses")
    for name, parse in parsers.items():
        start = time.perf_counter()
        try:
            predicted = parse(labels["address"])
        except ImportError as error:
            print(f"{name}: not installed ({error})", file=sys.stderr)
            continue
        seconds = time.perf_counter() - start
        scores = accuracy(labels, predicted)
        print(f"{name} ({seconds:.1f} s): " + ", ".join(
            f"{level} {share:.1%} (n={n})" for level, (share, n) in scores.items()))
        if name == "linkage" and args.misses:
            level, count = args.misses.split("=")
            label = {v: k for k, v in LEVELS.items()}[level]
            both = _paired(labels, predicted, label, level)
            wrong = both.filter(pl.col("label").is_not_null()
                                & ~read_right(pl.col("label"), pl.col("value"), pl.col("old")))
            with pl.Config(tbl_rows=int(count), fmt_str_lengths=60, tbl_width_chars=200):
                print(wrong.sample(min(int(count), wrong.height), seed=1))


if __name__ == "__main__":
    main()
