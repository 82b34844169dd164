"""Consistency and quality of credit codes and phones as real exports write them: organisation
codes keyed into a credit-code column, local landlines without their area code.

Two enterprise sources, normalized by `normalize_records` (so the flags are the normalizer's):
  E1: aqsc 914403001922038216, 0755-50928397 | laobao org code 19220382-1, local 50928397
  E2: aqsc a valid credit code,  0755-62345678 | laobao the same code one character off, 62345679
  E3: aqsc a valid credit code                  | laobao the organisation code of E1
  E4: aqsc a valid credit code                  | laobao its 15-digit registration number (a
      licence of before 2015: valid, and nothing to compare with a credit code)
Every laobao address is in 深圳市, so its local numbers take 0755.
"""

import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from linkage.engine import open_engine
from linkage.measure import run_measure
from linkage.normalize import normalize_records

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _uscc(org_body: str, head: str = "91440300") -> str:
    value = sum(int(c, 36) * w for c, w in zip(org_body, ORG_WEIGHTS))
    body = head + org_body + {10: "X", 11: "0"}.get(11 - value % 11, str(11 - value % 11))
    return body + stdnum_uscc.calc_check_digit(body)


E1, E2, E3, E4 = "914403001922038216", _uscc("34567890"), _uscc("MA5F0001"), _uscc("MA5F0002")
E4_REG = "44030110309741" + mod_11_10.calc_check_digit("44030110309741")
E2_TYPO = E2[:10] + str((int(E2[10]) + 1) % 10) + E2[11:]
RAW = {  # source: (uscc, phone) per entity E1, E2, E3
    "aqsc": [(E1, "0755-50928397"), (E2, "0755-62345678"), (E3, None), (E4, None)],
    "laobao": [("19220382-1", "50928397"), (E2_TYPO, "62345679"), ("192203821", None),
               (E4_REG, None)],
}


@pytest.fixture(scope="module")
def measured():
    engine = open_engine()
    frames = []
    for s, (source, rows) in enumerate(RAW.items()):
        frames.append(pl.DataFrame({
            "record_id": [10 * s + i for i in range(len(rows))], "source": [source] * len(rows),
            "source_row": list(range(1, len(rows) + 1)), "entity_type": ["enterprise"] * len(rows),
            "uscc": [u for u, _ in rows], "phone": [p for _, p in rows],
            "address": ["深圳市南山区科技园路18号"] * len(rows)}))
    records = pl.concat([normalize_records(f, "enterprise") for f in frames])
    engine.load("records", records)
    engine.load("clusters", records.select("record_id", "source", "source_row", "entity_type",
                                           (pl.lit("E") + (pl.col("source_row")).cast(pl.Utf8))
                                           .alias("entity_id")))
    engine.load("sources", pl.DataFrame({"source": list(RAW), "system": list(RAW),
                                         "title": list(RAW), "entity_type": ["enterprise"] * 2,
                                         "updates_per_year": [1.0, 1.0]}))
    engine.load("source_columns", pl.DataFrame(
        [{"source": s, "column_index": i, "header": a, "attribute": a, "method": "synonym"}
         for s in RAW for i, a in enumerate(("uscc", "phone", "address"))]))
    metrics = run_measure(engine)
    yield records, metrics
    engine.close()


def test_the_normalizer_flags_what_the_exports_hold(measured):
    records, _ = measured
    laobao = records.filter(pl.col("source") == "laobao")
    assert laobao["uscc_flag"].to_list() == ["org_code", "bad_check", "org_code", "reg_number"]
    assert laobao["reg_key"].to_list() == [None, None, None, E4_REG]
    assert laobao["phone"].to_list() == ["075550928397", "075562345679", None, None]
    assert laobao["phone_flag"].to_list() == ["area_code_added", "area_code_added", None, None]


def test_organisation_codes_agree_with_the_credit_codes_holding_them(measured):
    _, metrics = measured
    rows = {r["attribute"]: r for r in metrics["consistency"]["attributes"]}
    # E1 agrees (the org code is inside the credit code), E2 (typo) and E3 (another unit) do not;
    # E4's registration number says nothing about its credit code
    assert (rows["uscc"]["entities_compared"], rows["uscc"]["entities_disagreeing"]) == (3, 2)
    # E1 agrees once completed with 0755; E2 differs in the last digit
    assert (rows["phone"]["entities_compared"], rows["phone"]["entities_disagreeing"]) == (2, 1)


def test_organisation_codes_and_completed_numbers_count_as_valid(measured):
    _, metrics = measured
    quality = {(r["source"], r["attribute"]): r for r in metrics["quality"]}
    assert quality["laobao", "uscc"]["validity_rate"] == pytest.approx(3 / 4)  # the typo fails
    assert quality["laobao", "uscc"]["format_rate"] == 1.0
    assert quality["laobao", "phone"]["validity_rate"] == 1.0
    assert quality["aqsc", "uscc"]["validity_rate"] == 1.0
