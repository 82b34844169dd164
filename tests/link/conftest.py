"""Hand-made `records` tables for the linkage tests (normalized values, as the contract says)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from linkage.engine import open_engine
from linkage.link.settings import LinkageSettings

# the default settings with a smaller random sample for u, to keep the tests fast
FAST = {"person": LinkageSettings(u_sample_pairs=20_000)}

PERSON_COLUMNS = [
    "name", "name_pinyin", "name_initials", "surname", "given_name", "id_number",
    "id_number_flag", "id_number_legacy", "id_birth_date", "id_gender", "birth_date", "gender",
    "phone", "phone_all", "address", "address_key", "address_building", "address_room",
    "address_road", "address_number",
]
ENTERPRISE_COLUMNS = [
    "name", "name_core", "uscc", "uscc_flag", "org_code", "org_key", "reg_number", "legal_rep",
    "legal_rep_pinyin", "phone", "phone_all", "address", "address_key", "address_building",
    "address_room", "address_road", "address_number",
]


def records(rows: list[dict], entity_type: str = "person", columns=None) -> pl.DataFrame:
    """A `records` frame: record ids from 1 (unless given), every listed column (null if absent)."""
    columns = columns if columns is not None else (
        PERSON_COLUMNS if entity_type == "person" else ENTERPRISE_COLUMNS)
    out = []
    for i, row in enumerate(rows, 1):
        full = {"record_id": i, "source": "s", "source_row": i, "entity_type": entity_type}
        full.update({c: None for c in columns})
        full.update(row)
        if full.get("phone") and "phone_all" in columns and not row.get("phone_all"):
            full["phone_all"] = full["phone"]
        out.append(full)
    schema = {c: pl.Utf8 for c in columns}
    schema.update({"record_id": pl.Int64, "source": pl.Utf8, "source_row": pl.Int64,
                   "entity_type": pl.Utf8})
    if "id_number_legacy" in columns:
        schema["id_number_legacy"] = pl.Boolean
    return pl.DataFrame(out, schema=schema)


SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰")


def people(n: int = 400, seed: int = 7) -> tuple[pl.DataFrame, np.ndarray]:
    """n synthetic people, each keyed 1–3 times with light noise; returns (records, true person)."""
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for p in range(n):
        name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(
            GIVEN[g] for g in rng.integers(len(GIVEN), size=rng.integers(1, 3)))
        birth = f"19{rng.integers(50, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        gender = str(rng.integers(1, 3))
        idn = f"4403{p:08d}" + birth.replace("-", "")[2:] + gender
        phone = f"13{rng.integers(10**8, 10**9)}"
        road, number = f"{'建设人民中山解放'[rng.integers(4) * 2:][:2]}路", f"{rng.integers(1, 99)}号"
        building, room = f"{rng.integers(1, 30)}栋", f"{rng.integers(1, 30)}0{rng.integers(1, 9)}"
        for copy in range(rng.integers(1, 4)):
            row = {"name": name, "surname": name[0], "given_name": name[1:],
                   "id_number": idn, "id_number_flag": "valid", "id_number_legacy": False,
                   "id_birth_date": birth, "id_gender": gender, "birth_date": birth,
                   "gender": gender, "phone": phone,
                   "address": f"南山区{road}{number}{building}{room}",
                   "address_key": f"南山区||{road}|{number}|{building}",
                   "address_building": building, "address_room": room,
                   "address_road": road, "address_number": number}
            if copy and rng.random() < 0.3:
                row.update(id_number=None, id_number_flag=None, id_birth_date=None,
                           id_gender=None)
            if copy and rng.random() < 0.2:
                row["phone"] = f"13{rng.integers(10**8, 10**9)}"
            if copy and rng.random() < 0.1:
                row["name"] = name[:-1] + GIVEN[rng.integers(len(GIVEN))]
            rows.append(row)
            truth.append(p)
    # stand-in pinyin: the name itself (homophone levels are tested on their own)
    frame = records(rows).with_columns(pl.col("name").alias("name_pinyin"))
    return frame, np.array(truth)


@pytest.fixture
def engine():
    eng = open_engine()
    yield eng
    eng.close()
