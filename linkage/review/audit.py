"""The audit sample: a stratified random sample of a run's pairs whose labels certify its quality.

The population of one entity type is every record pair the run either put in one entity or
compared: *linked* pairs (both records in one entity: candidate pairs, and the pairs held
together only through other records, "transitive") and *unlinked* pairs (candidate pairs whose
records ended in different entities — near-misses and clear non-matches alike).  Pairs no
blocking rule produced are outside it: the model-based recall estimate of the report
(`linkage.link.recall`) speaks for those.

Strata: linked and unlinked candidate pairs each cut by match weight at fixed distances from the
threshold's weight (`CUTS`, in bits), and the transitive pairs as one stratum.  Allocation is
Neyman's, n_h ∝ N_h·√(p_h(1−p_h)), with p_h the stratum's mean match probability held within
[0.02, 0.98] (0.5 for the transitive pairs) so that no stratum is left out, and at least
`MIN_PER_STRATUM` pairs each; pairs are drawn without replacement inside each stratum and the
whole sample is shuffled, so the first k labelled pairs are a random part of every stratum.

The design — strata (population, weight range, N_h, n_h, inclusion probability n_h/N_h), the
units in review order, the run's fingerprint and counts — is written to `<labels stem>.audit.json`
beside the labels file (never in the run's folder), so the estimate (`linkage.review.estimate`)
can be made at any later time from the labels.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import polars as pl

from linkage.errors import OutputError
from linkage.link.labels import LabelsError
from linkage.review.store import pair_key

CUTS = (-10.0, -5.0, -2.0, 0.0, 2.0, 5.0, 10.0)  # stratum edges: threshold weight + these bits
MIN_PER_STRATUM = 3
SHARE_RANGE = (0.02, 0.98)
TRANSITIVE_SHARE = 0.5


def designs_path(labels_path: Path) -> Path:
    """Where the audit designs of a labels file live: `<labels stem>.audit.json` beside it."""
    return labels_path.with_name(f"{labels_path.stem}.audit.json")


def load_designs(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise LabelsError(f"{path}: cannot read the audit designs ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("designs"), list):
        raise LabelsError(f"{path}: not an audit design file (no `designs` list)")
    return data["designs"]


def save_design(path: Path, design: dict) -> None:
    """Add `design` to the file (rewritten whole, atomically, with fsync)."""
    designs = load_designs(path) + [design]
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"designs": designs}, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot save the audit sample ({exc.strerror})") from None


def design_for(designs: list[dict], entity_type: str, fingerprint: str) -> tuple[dict | None, bool]:
    """The latest design of this run (True), else the latest of the entity type (False)."""
    mine = [d for d in designs if d["entity_type"] == entity_type]
    same = [d for d in mine if d["run"]["fingerprint"] == fingerprint]
    if same:
        return same[-1], True
    return (mine[-1], False) if mine else (None, False)


def population(engine, entity_type: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(candidate pairs with weight, probability and `linked`; transitive pairs) of one entity
    type, both in (record_id_l, record_id_r) order."""
    clusters = "(SELECT record_id, entity_id FROM clusters WHERE entity_type = ?)"
    candidates = engine.sql(
        "SELECT p.record_id_l, p.record_id_r, p.match_weight, p.match_probability, "
        f"a.entity_id = b.entity_id AS linked FROM pairs p JOIN {clusters} a "
        f"ON a.record_id = p.record_id_l JOIN {clusters} b ON b.record_id = p.record_id_r "
        "WHERE p.entity_type = ? ORDER BY 1, 2", [entity_type, entity_type, entity_type])
    transitive = engine.sql(
        f"SELECT a.record_id AS record_id_l, b.record_id AS record_id_r FROM {clusters} a "
        f"JOIN {clusters} b ON a.entity_id = b.entity_id AND a.record_id < b.record_id "
        "ANTI JOIN (SELECT record_id_l, record_id_r FROM pairs WHERE entity_type = ?) p "
        "ON p.record_id_l = a.record_id AND p.record_id_r = b.record_id ORDER BY 1, 2",
        [entity_type, entity_type, entity_type])
    return candidates, transitive


def allocate(sizes: np.ndarray, shares: np.ndarray, n: int) -> np.ndarray:
    """Neyman allocation of `n` units to strata of `sizes` with expected match `shares`: at
    least MIN_PER_STRATUM (or the whole stratum), never more than a stratum holds."""
    sizes = sizes.astype(np.int64)
    n = int(min(n, sizes.sum()))
    floor = np.minimum(sizes, MIN_PER_STRATUM)
    if floor.sum() > n:
        floor = np.minimum(sizes, 1)
    out = floor.copy()
    weights = sizes * np.sqrt(shares * (1 - shares))
    while out.sum() < n:
        room = sizes - out
        want = np.where(room > 0, weights, 0.0)
        ideal = (n - out.sum()) * want / want.sum()
        step = np.minimum(np.floor(ideal).astype(np.int64), room)
        if step.sum() == 0:  # less than one unit each: one to the stratum that wants most
            step[np.argmax(np.where(room > 0, ideal, -1.0))] = 1
        out += step
    return out


def draw(engine, entity_type: str, threshold: float, fingerprint: str, size: int, seed: int,
         output_dir: Path) -> dict:
    """A new audit design for one entity type of the run (see the module docstring)."""
    candidates, transitive = population(engine, entity_type)
    t = float(np.log2(threshold / (1 - threshold)))
    edges = t + np.array(CUTS)
    weight = candidates["match_weight"].to_numpy()
    bins = np.searchsorted(edges, np.nan_to_num(weight, nan=-np.inf), side="right")
    linked = candidates["linked"].to_numpy()
    probability = candidates["match_probability"].to_numpy()
    strata, members = [], []
    for population_, mask in (("linked", linked), ("unlinked", ~linked)):
        for b in range(len(edges) + 1):
            rows = np.flatnonzero(mask & (bins == b))
            if len(rows):
                share = float(np.clip(probability[rows].mean(), *SHARE_RANGE))
                strata.append({"population": population_, "kind": "candidate",
                               "weight_low": float(edges[b - 1]) if b else None,
                               "weight_high": float(edges[b]) if b < len(edges) else None,
                               "N": len(rows), "expected_share": share})
                members.append(candidates.select("record_id_l", "record_id_r")[rows])
    if transitive.height:
        strata.append({"population": "linked", "kind": "transitive", "weight_low": None,
                       "weight_high": None, "N": transitive.height,
                       "expected_share": TRANSITIVE_SHARE})
        members.append(transitive)
    rng = np.random.default_rng(seed)
    sizes = np.array([s["N"] for s in strata], dtype=np.int64)
    counts = allocate(sizes, np.array([s["expected_share"] for s in strata]), size) \
        if strata else sizes
    picked = []
    for h, (stratum, rows, n_h) in enumerate(zip(strata, members, counts.tolist())):
        stratum.update(id=h, n=n_h, inclusion_probability=n_h / stratum["N"])
        chosen = np.sort(rng.choice(stratum["N"], n_h, replace=False))
        picked.append(rows[chosen].with_columns(pl.lit(h).alias("stratum")))
    units = pl.concat(picked) if picked else pl.DataFrame(
        schema={"record_id_l": pl.Int64, "record_id_r": pl.Int64, "stratum": pl.Int32})
    units = units[rng.permutation(units.height)] if units.height else units
    keys = _keys(engine, units)
    counts_row = engine.sql("SELECT count(*) AS records, count(DISTINCT entity_id) AS entities "
                            "FROM clusters WHERE entity_type = ?", [entity_type]).row(0, named=True)
    stamp = dt.datetime.now(dt.timezone.utc)
    return {
        "id": f"{entity_type}-{stamp.strftime('%Y%m%dT%H%M%S')}-{seed % 100000:05d}",
        "entity_type": entity_type, "created_at": stamp.isoformat(timespec="seconds"),
        "seed": int(seed), "size": int(size), "threshold": threshold, "cuts": list(CUTS),
        "run": {"output": str(output_dir), "fingerprint": fingerprint,
                "records": counts_row["records"], "entities": counts_row["entities"],
                "linked_pairs": int(linked.sum()) + transitive.height,
                "unlinked_pairs": int((~linked).sum())},
        "strata": strata,
        "units": [{"order": i, "stratum": int(u["stratum"]), "record_id_l": u["record_id_l"],
                   "record_id_r": u["record_id_r"], **k}
                  for i, (u, k) in enumerate(zip(units.iter_rows(named=True), keys))],
    }


def _keys(engine, units: pl.DataFrame) -> list[dict]:
    """Each unit's records as the labels file names them (canonical pair order)."""
    if not units.height:
        return []
    engine.load("_review_units", units.select("record_id_l", "record_id_r").with_row_index("i"),
                temp=True)
    rows = engine.sql("SELECT u.i, a.entity_type, a.source AS sl, a.source_row AS kl, "
                      "b.source AS sr, b.source_row AS kr FROM _review_units u "
                      "JOIN records a ON a.record_id = u.record_id_l "
                      "JOIN records b ON b.record_id = u.record_id_r ORDER BY u.i")
    engine.execute("DROP TABLE _review_units")
    out = []
    for e, sl, kl, sr, kr in rows.select("entity_type", "sl", "kl", "sr", "kr").iter_rows():
        _, key_type, source_l, key_l, source_r, key_r = pair_key(e, sl, kl, sr, kr)
        out.append({"key_type": key_type, "source_l": source_l, "key_l": key_l,
                    "source_r": source_r, "key_r": key_r})
    return out


def unit_key(design: dict, unit: dict) -> tuple:
    return (design["entity_type"], unit["key_type"], unit["source_l"], unit["key_l"],
            unit["source_r"], unit["key_r"])


def labelled_counts(design: dict, decisions: dict) -> tuple[np.ndarray, np.ndarray, int]:
    """Per stratum of `design`: sampled pairs labelled same or different, those labelled same;
    and how many sampled pairs are labelled unsure.  `decisions` maps pair keys
    (`linkage.review.store.pair_key`) to the decision in force."""
    n = np.zeros(len(design["strata"]), dtype=np.int64)
    x = np.zeros(len(design["strata"]), dtype=np.int64)
    unsure = 0
    for unit in design["units"]:
        decision = decisions.get(unit_key(design, unit))
        if decision in ("same", "different"):
            n[unit["stratum"]] += 1
            x[unit["stratum"]] += decision == "same"
        elif decision == "unsure":
            unsure += 1
    return n, x, unsure
