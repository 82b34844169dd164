"""The synthetic city's true residents and enterprises, generated one chunk of people at a time.

A chunk holds whole households (a head, maybe a spouse, children and a parent sharing one
dwelling), their members' true attributes, and the enterprises whose legal representatives and
workers are drawn from those members.  Entities never cross chunks, so each chunk can be
turned into records, written and dropped: memory stays bounded however many people there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from linkage.synth import address, codes
from linkage.synth.reference import CITY, reference

REFERENCE_DATE = dt.date(2024, 6, 30)
_REF = np.datetime64(REFERENCE_DATE, "D")
LOCAL_SHARE = 0.33              # Shenzhen: about a third of residents hold a local hukou
ENTERPRISES_PER_PERSON = 0.1
SINGLE_GIVEN_NAME = 0.2         # share of one-character given names (张伟, 王芳)
MOVED_SHARE = 0.2               # households that moved within the city (old and new address)
CHANGED_PHONE_SHARE = 0.25      # people whose mobile number changed

# Shenzhen's age pyramid in 5-year bands from 0 (rough shape of the 7th census)
AGE_BAND_WEIGHTS = np.array([5, 5, 4, 4, 10, 14, 14, 11, 9, 7, 5, 3.5, 2.5, 1.8, 1.1, 0.7, 0.4, 0.2, 0.1])
# household kinds: single, couple, couple + children, couple + children + parent, single parent
HOUSEHOLD_KINDS = np.array([0.38, 0.15, 0.32, 0.08, 0.07])
ETHNICITIES = np.array(["汉族", "壮族", "土家族", "苗族", "瑶族", "回族", "满族", "侗族", "彝族", "布依族",
                        "蒙古族", "畲族", "黎族", "白族"])
ETHNICITY_P = np.array([0.925, 0.02, 0.012, 0.008, 0.005, 0.005, 0.004, 0.004, 0.004, 0.003,
                        0.003, 0.003, 0.001, 0.003])
MOBILE_PREFIXES = np.array("130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 "
                           "158 159 166 170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 "
                           "189 191 198 199".split())
EDUCATION = np.array(["小学", "初中", "高中", "中专", "大专", "本科", "硕士研究生", "博士研究生"])
EDUCATION_P = np.array([0.08, 0.3, 0.17, 0.1, 0.16, 0.15, 0.035, 0.005])
OCCUPATIONS = np.array(["工人", "职员", "销售", "技术员", "工程师", "司机", "厨师", "保安", "服务员",
                        "个体经营", "教师", "医护人员", "快递员", "文员", "会计"])
INDUSTRY = pl.DataFrame({
    "word": ["科技", "电子", "贸易", "商贸", "实业", "餐饮管理", "物流", "建筑工程", "服装", "五金制品",
             "物业管理", "文化传播", "投资咨询", "信息技术", "精密模具"],
    "category": ["信息传输、软件和信息技术服务业", "制造业", "批发和零售业", "批发和零售业", "制造业",
                 "住宿和餐饮业", "交通运输、仓储和邮政业", "建筑业", "制造业", "制造业", "房地产业",
                 "文化、体育和娱乐业", "租赁和商务服务业", "信息传输、软件和信息技术服务业", "制造业"],
})
SHOPS = pl.DataFrame({
    "word": ["餐厅", "便利店", "五金店", "服装店", "理发店", "烟酒商行", "水果店", "手机维修部", "小吃店", "药店"],
    "category": ["住宿和餐饮业", "批发和零售业", "批发和零售业", "批发和零售业", "居民服务、修理和其他服务业",
                 "批发和零售业", "批发和零售业", "居民服务、修理和其他服务业", "住宿和餐饮业", "批发和零售业"],
})
LEGAL_FORMS = np.array(["有限公司", "有限责任公司", "股份有限公司"])
LEGAL_FORM_P = np.array([0.82, 0.12, 0.06])
USCC_ADOPTED = np.datetime64("2015-10-01")


@dataclass
class Chunk:
    """One chunk of the world: its people and enterprises (true values)."""

    people: pl.DataFrame
    enterprises: pl.DataFrame


def only(mask: np.ndarray, values, otherwise=None) -> pl.Series:
    """The values where mask holds, `otherwise` (or null) elsewhere."""
    values = values if isinstance(values, pl.Series) else pl.Series(values)
    return pl.select(pl.when(pl.Series(mask, dtype=pl.Boolean)).then(values).otherwise(otherwise)).to_series()


def texts(choices, idx: np.ndarray) -> pl.Series:
    """choices[idx] as a text column, gathered in polars (numpy string arrays convert slowly)."""
    return pl.Series(np.asarray(choices).tolist(), dtype=pl.Utf8).gather(np.asarray(idx, dtype=np.int64))


def _dates(days_before: np.ndarray) -> np.ndarray:
    return _REF - days_before.astype("timedelta64[D]")


def ymd(dates: np.ndarray) -> np.ndarray:
    """YYYYMMDD integers of datetime64[D] values."""
    y = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]")
    m = months.astype(np.int64) % 12 + 1
    d = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y * 10000 + m * 100 + d


def _ages(rng, n: int, minimum: int = 0) -> np.ndarray:
    bands = np.arange(len(AGE_BAND_WEIGHTS)) * 5
    weight = np.where(bands + 5 > minimum, AGE_BAND_WEIGHTS, 0.0)
    band = rng.choice(len(bands), n, p=weight / weight.sum())
    return np.maximum(bands[band] + rng.integers(0, 5, n), minimum)


def _digits_text(rng, n: int, width: int) -> pl.Series:
    return pl.Series(rng.integers(0, 10**width, n)).cast(pl.Utf8).str.zfill(width)


def mobiles(rng, n: int) -> pl.Series:
    return texts(MOBILE_PREFIXES, rng.integers(0, len(MOBILE_PREFIXES), n)) + _digits_text(rng, n, 8)


def landlines(rng, n: int) -> pl.Series:
    return "0755" + pl.Series(rng.integers(2, 9, n)).cast(pl.Utf8) + _digits_text(rng, n, 7)


def person_names(rng, surnames: pl.Series, male: np.ndarray, single: np.ndarray) -> pl.Series:
    """Surname + one or two given characters drawn by their frequency for the gender."""
    ref = reference()
    n = len(male)
    first = np.empty(n, dtype=np.int64)
    second = np.empty(n, dtype=np.int64)
    for is_male, p in ((True, ref.given_p_male), (False, ref.given_p_female)):
        rows = np.flatnonzero(male == is_male)
        first[rows] = rng.choice(len(p), len(rows), p=p)
        second[rows] = rng.choice(len(p), len(rows), p=p)
    chars = np.append(ref.given_chars, "")
    second[single] = len(chars) - 1
    return surnames + texts(chars, first) + texts(chars, second)


def _households(rng, target: int) -> pl.DataFrame:
    """Households with their members (rows), at least `target` people."""
    n = int(target / 2.0) + 16
    kind = rng.choice(len(HOUSEHOLD_KINDS), n, p=HOUSEHOLD_KINDS)
    head_age = np.where(np.isin(kind, [0, 1]), _ages(rng, n, 20), _ages(rng, n, 25))
    couple = np.isin(kind, [1, 2, 3])
    head_male = np.where(couple, rng.random(n) < 0.8, rng.random(n) < 0.55)
    n_children = np.select([kind == 2, kind == 3, kind == 4],
                           [rng.choice([1, 2, 3], n, p=[0.5, 0.4, 0.1]), rng.choice([1, 2], n),
                            rng.choice([1, 2], n, p=[0.7, 0.3])], 0)
    has_parent = kind == 3
    sizes = 1 + couple + n_children + has_parent
    if sizes.sum() < target:
        return _households(rng, target * 2)
    hh = np.repeat(np.arange(n), sizes)
    slot = np.arange(len(hh)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    c, ch = couple[hh], n_children[hh]
    role = np.select([slot == 0, c & (slot == 1), slot < 1 + c + ch], [0, 1, 2], 3)  # head spouse child parent
    h_age, h_male = head_age[hh], head_male[hh]
    spouse_age = np.maximum(h_age + np.where(h_male, -2, 2) + rng.normal(0, 3, len(hh)).round().astype(int), 20)
    mother_age = np.where(c & h_male, spouse_age, h_age)
    child_age = mother_age - rng.integers(22, 38, len(hh))
    parent_age = np.minimum(h_age + rng.integers(24, 34, len(hh)), 95)
    age = np.select([role == 0, role == 1, role == 2], [h_age, spouse_age, child_age], parent_age)
    male = np.select([role == 0, role == 1], [h_male, ~h_male], rng.random(len(hh)) < 0.52)
    keep = age >= 0
    return pl.DataFrame({"hh": hh[keep], "role": role[keep], "age": age[keep], "male": male[keep],
                         "kind": kind[hh][keep]})


def _surnames(rng, members: pl.DataFrame) -> pl.Series:
    """Heads, spouses and parents draw a surname; children take their father's (or a random one)."""
    ref = reference()
    n = members.height
    drawn = rng.choice(len(ref.surname_p), n, p=ref.surname_p)
    hh, role, male = (members[c].to_numpy() for c in ("hh", "role", "male"))
    first_of_hh = np.r_[0, np.flatnonzero(hh[1:] != hh[:-1]) + 1]
    start = np.repeat(first_of_hh, np.diff(np.r_[first_of_hh, n]))
    head_surname, head_male = drawn[start], male[start]
    next_is_spouse = (start + 1 < n) & (role[np.minimum(start + 1, n - 1)] == 1) & (hh[np.minimum(start + 1, n - 1)] == hh)
    spouse_surname = drawn[np.minimum(start + 1, n - 1)]
    father_surname = np.where(head_male, head_surname, np.where(next_is_spouse, spouse_surname, drawn))
    surname = np.where(role == 2, father_surname, drawn)
    return texts(ref.surnames, np.where((role == 3) & male & head_male, head_surname, surname))


def _education(rng, age: np.ndarray) -> np.ndarray:
    level = rng.choice(len(EDUCATION), len(age), p=EDUCATION_P)
    by_age = np.select([age < 7, age < 13, age < 16, age < 19, age < 23], [-1, 0, 1, 2, 4], 7)
    level = np.minimum(level, by_age)
    return only(level >= 0, texts(EDUCATION, np.maximum(level, 0)))


def people_chunk(rng, layout: address.Layout, first_pid: int, count: int, id_width: int) -> pl.DataFrame:
    """`count` people (whole households, the last one maybe cut) with their true attributes, all
    but the ID number: its area code and birth date are kept for `with_id_numbers`."""
    ref = reference()
    members = _households(rng, count).head(count)
    n = members.height
    hh_local = members["hh"].to_numpy()
    n_hh = int(hh_local.max()) + 1
    age, male, role = members["age"].to_numpy(), members["male"].to_numpy(), members["role"].to_numpy()

    # household-level draws
    migrant_hh = rng.random(n_hh) >= LOCAL_SHARE
    area_hh = np.where(migrant_hh, rng.choice(len(ref.migrant_area_p), n_hh, p=ref.migrant_area_p),
                       ref.local_area_rows[rng.integers(0, len(ref.local_area_rows), n_hh)])
    home = address.draw_addresses(layout, rng, n_hh)
    moved_hh = rng.random(n_hh) < MOVED_SHARE
    previous = address.draw_addresses(layout, rng, n_hh, prefix="prev_")
    landline_hh = only(rng.random(n_hh) < 0.15, landlines(rng, n_hh))
    housed_days = rng.integers(30, 365 * 9, n_hh)                        # moved into the current home
    prev_housed_days = housed_days + rng.integers(180, 365 * 6, n_hh)      # and into the previous one

    migrant = migrant_hh[hh_local]
    # spouses of migrants come from the same county in most cases
    other_area = rng.choice(len(ref.migrant_area_p), n, p=ref.migrant_area_p)
    area_row = np.where((role == 1) & migrant & (rng.random(n) < 0.3), other_area, area_hh[hh_local])
    area_code = ref.areas["code"].cast(pl.Int64).to_numpy()[area_row]
    birth = _dates(age * 365 + rng.integers(0, 365, n))
    birth_ymd = ymd(birth)

    surname = _surnames(rng, members)
    single = rng.random(n) < np.where(age >= 45, SINGLE_GIVEN_NAME * 1.8, SINGLE_GIVEN_NAME * 0.7)
    name = person_names(rng, surname, male, single)
    ethnicity = rng.choice(len(ETHNICITIES), n, p=ETHNICITY_P)
    head_row = np.r_[0, np.flatnonzero(hh_local[1:] != hh_local[:-1]) + 1]
    first_of = np.repeat(head_row, np.diff(np.r_[head_row, n]))
    ethnicity = texts(ETHNICITIES, np.where(role == 2, ethnicity[first_of], ethnicity))

    has_mobile = (age >= 12) & (rng.random(n) < 0.97)
    mobile = mobiles(rng, n)
    changed = has_mobile & (rng.random(n) < CHANGED_PHONE_SHARE)
    old_mobile = mobiles(rng, n)

    hometown = address.hometown_addresses(rng, area_row, hh_local)
    local_home = address.render(layout, address.draw_addresses(layout, rng, n_hh),
                                address.AddressStyle(level="full", unit=False).codes(n_hh)).gather(hh_local)
    household_address = pl.select(pl.when(pl.Series(migrant)).then(hometown).otherwise(local_home)).to_series()
    first_home_days = np.where(moved_hh, prev_housed_days, housed_days)[hh_local]
    arrived = _dates(np.minimum(first_home_days + rng.integers(0, 365 * 8, n), age * 365))

    pid = first_pid + np.arange(n)
    nxt = np.minimum(np.arange(n) + 1, n - 1)
    head_with_spouse = (role == 0) & (role[nxt] == 1) & (hh_local[nxt] == hh_local) & (np.arange(n) + 1 < n)
    married = head_with_spouse | (role == 1)
    spouse = np.select([head_with_spouse, role == 1], [pid + 1, pid - 1], -1)
    marital = texts(["已婚", "未婚", "离婚", "丧偶"],
                    np.where(married, 0, np.where(age >= 24, 1 + rng.choice(3, n, p=[0.8, 0.15, 0.05]), 1)))
    employed = (age >= 18) & (age <= 60) & (rng.random(n) < 0.78)
    political = only(age >= 14, texts(["共青团员", "群众", "中共党员"], np.where(
        age < 28, rng.choice(3, n, p=[0.45, 0.5, 0.05]), 1 + rng.choice(2, n, p=[0.9, 0.1]))))
    mother = np.where((role == 2) & np.isin(members["kind"].to_numpy(), [2, 3]),
                      np.where(male[first_of], first_of + 1, first_of), first_of)
    children = np.bincount(mother[role == 2], minlength=n)

    frame = pl.DataFrame({
        "pid": pid,
        "entity_id": "P" + pl.Series(pid).cast(pl.Utf8).str.zfill(id_width),
        "household": hh_local.astype(np.int64) + first_pid,
        "role": role, "age": age, "male": male, "migrant": migrant,
        "surname": surname, "name": name,
        "surname_len": surname.str.len_chars(),
        "birth": birth, "area_code": area_code, "birth_ymd": birth_ymd, "ethnicity": ethnicity,
        "mobile": only(has_mobile, mobile),
        "old_mobile": only(changed, old_mobile),
        "landline": landline_hh.gather(hh_local),
        "moved": moved_hh[hh_local],
        "household_address": household_address,
        "arrived": only(migrant, arrived),
        # the day each member began living at the current / previous home (born there: birth)
        "moved_in": np.maximum(_dates(housed_days[hh_local]), birth),
        "prev_moved_in": np.maximum(_dates(prev_housed_days[hh_local]), birth),
        "marital": only(age >= 18, marital),
        "education": _education(rng, age),
        "political": political,
        "employed": employed,
        "occupation": only(employed, texts(OCCUPATIONS, rng.integers(0, len(OCCUPATIONS), n))),
        "spouse": spouse,
        "children": np.where(male, 0, children),
    })
    return pl.concat([frame, home[hh_local], previous[hh_local]], how="horizontal")


def enterprises_chunk(rng, layout: address.Layout, people: pl.DataFrame, first_eid: int, id_width: int) -> pl.DataFrame:
    """Enterprises of a chunk: legal representatives and workers are the chunk's people."""
    ref = reference()
    n = enterprise_count(people.height)
    eid = first_eid + np.arange(n)
    individual = rng.random(n) < 0.35
    founded = _dates(np.where(rng.random(n) < 0.45, rng.integers(365 * 9, 365 * 29, n), rng.integers(60, 365 * 9, n)))
    legacy = founded < USCC_ADOPTED
    industry = INDUSTRY[rng.integers(0, INDUSTRY.height, n).tolist()]
    shop = SHOPS[rng.integers(0, SHOPS.height, n).tolist()]
    word = np.where(individual, shop["word"].to_numpy(), industry["word"].to_numpy())
    category = np.where(individual, shop["category"].to_numpy(), industry["category"].to_numpy())
    form = np.where(individual, "", LEGAL_FORMS[rng.choice(len(LEGAL_FORMS), n, p=LEGAL_FORM_P)])
    site = address.draw_addresses(layout, rng, n)
    previous = address.draw_addresses(layout, rng, n, prefix="prev_")
    district = layout.communities["district"].gather(site["comm"].to_numpy())
    district_code = layout.communities["district_code"].cast(pl.Int64).gather(site["comm"].to_numpy()).to_numpy()
    area = np.where(rng.random(n) < 0.5, int(CITY) * 100, district_code)

    adults = people.filter((pl.col("age") >= 22) & (pl.col("age") <= 70))
    adults = adults if adults.height else people
    rep = adults[rng.integers(0, adults.height, n).tolist()]
    officer = adults[rng.integers(0, adults.height, n).tolist()]
    org = codes.org_codes(eid, legacy)
    landline = landlines(rng, n)
    enterprise_type = np.where(individual, "个体工商户", np.select(
        [form == "股份有限公司", rng.random(n) < 0.08], ["股份有限公司", "有限责任公司（外商投资）"],
        "有限责任公司（自然人投资或控股）"))
    capital = np.where(individual, rng.integers(1, 50, n), np.round(np.exp(rng.normal(5, 1.3, n))))
    return pl.DataFrame({
        "eid": eid,
        "entity_id": "E" + pl.Series(eid).cast(pl.Utf8).str.zfill(id_width),
        "individual": individual,
        "core": ref.company_names[rng.integers(0, len(ref.company_names), n)],
        "district": district,
        "word": word, "form": form, "industry": category, "enterprise_type": enterprise_type,
        "founded": founded, "legacy": legacy,
        "org_code": org,
        "uscc": codes.usccs(org, area, individual),
        "reg_number": only(legacy, codes.registration_numbers(eid, area)),
        "legal_rep": rep["name"], "legal_rep_surname_len": rep["surname_len"],
        "legal_rep_pid": rep["pid"],
        "safety_supervisor": only(rng.random(n) < 0.5, rep["name"], officer["name"]),
        "phone": only(rng.random(n) < 0.6, landline, rep["mobile"].fill_null(landline)),
        "capital": capital,
        "size": np.exp(rng.normal(0, 1.5, n)) * np.where(individual, 0.1, 1.0),
        "moved": rng.random(n) < 0.1,
    }).hstack(site).hstack(previous)


def assign_employers(rng, people: pl.DataFrame, enterprises: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Employed people work for the chunk's enterprises (bigger ones hire more); headcounts follow."""
    size = enterprises["size"].to_numpy()
    employed = people["employed"].to_numpy()
    pick = rng.choice(enterprises.height, people.height, p=size / size.sum())
    # a fifth of the employed work outside the chunk's enterprises (not in the labour records here)
    inside = employed & (rng.random(people.height) < 0.8)
    employer = np.where(inside, pick, -1)
    employees = np.bincount(employer[inside], minlength=enterprises.height)
    return (people.with_columns(pl.Series("employer", employer)),
            enterprises.with_columns(pl.Series("employees", employees)))


def make_chunk(seed: int, index: int, layout: address.Layout, first_pid: int, count: int,
               first_eid: int, id_width: int) -> Chunk:
    """Chunk `index` of the world, without ID numbers (`id_keys`, then `with_id_numbers`)."""
    rng = np.random.default_rng([seed, index, 0])
    people = people_chunk(rng, layout, first_pid, count, id_width)
    enterprises = enterprises_chunk(rng, layout, people, first_eid, id_width)
    people, enterprises = assign_employers(rng, people, enterprises)
    return Chunk(people, enterprises)


def id_keys(chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person, what an ID sequence number is unique within: area code, birth date (YYYYMMDD
    integer), male (linkage.synth.codes.IdSequencer)."""
    people = chunk.people
    return (people["area_code"].to_numpy(), people["birth_ymd"].to_numpy(),
            people["male"].to_numpy().astype(np.int64))


def with_id_numbers(chunk: Chunk, sequence: np.ndarray) -> Chunk:
    """The chunk with its people's ID numbers (and their legal representatives') from their
    sequence numbers."""
    people = chunk.people
    id_number = codes.id_numbers(people["area_code"].to_numpy(), people["birth_ymd"].to_numpy(), sequence)
    rep = chunk.enterprises["legal_rep_pid"].to_numpy() - int(people["pid"][0])
    return Chunk(people.with_columns(id_number.alias("id_number")),
                 chunk.enterprises.with_columns(id_number.gather(rep).alias("legal_rep_id_number")))


def enterprise_count(people: int) -> int:
    """How many enterprises a chunk of `people` people has."""
    return max(1, round(people * ENTERPRISES_PER_PERSON))
