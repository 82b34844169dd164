"""Turn one chunk of the world into one source's export rows, with entry errors and their truth.

`choose(spec, chunk, rng)` picks who the system holds (coverage) and enters some of them twice
(within-system duplicates: a re-registration, maybe after a move); `build_records` writes
every column the system's way (its date, gender, phone and address formats) and applies the
entry errors, recording each applied error per record.  Every field is a function of a
`Context` that works on whole columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import polars as pl

from linkage.synth import address, noise, text
from linkage.synth.codes import USCC_ALPHABET
from linkage.synth.noise import MISSING_WEIGHT, NoiseRates
from linkage.synth.reference import reference
from linkage.synth.systems import SourceSpec
from linkage.synth.world import REFERENCE_DATE, Chunk, only, texts, ymd

FIRST_REGISTRATION = np.datetime64("2016-01-01")
AREA_CODE = r"^0(?:[12]\d|[3-9]\d\d)"  # 010, 02X, else three digits after the trunk 0
_END = np.datetime64(REFERENCE_DATE, "D")


class Rows:
    """The true values of each record's entity, gathered column by column as the fields ask."""

    def __init__(self, entities: pl.DataFrame, rows: np.ndarray):
        self.entities, self.rows, self.height = entities, rows, len(rows)
        self.columns: dict[str, pl.Series] = {}

    def __getitem__(self, name: str) -> pl.Series:
        if name not in self.columns:
            self.columns[name] = self.entities[name].gather(self.rows)
        return self.columns[name]


@dataclass
class Context:
    """The records of one source being built: their entities' true values and what was done to them."""

    spec: SourceSpec
    rows: Rows                    # the true values of each record's entity
    chunk: Chunk
    layout: address.Layout
    rates: NoiseRates
    rng: np.random.Generator
    copy: np.ndarray              # 0 = first registration; 1, 2 = entered again later
    level: float = 1.0            # the noise level's factor (scales the system's own blank rates)
    errors: list[tuple[str, np.ndarray]] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.rows.height

    def col(self, name: str) -> np.ndarray:
        return self.rows[name].to_numpy()

    def chance(self, rate: float, where: np.ndarray | None = None) -> np.ndarray:
        mask = self.rng.random(self.n) < rate
        return mask if where is None else mask & where

    def record(self, name: str, mask: np.ndarray) -> None:
        if mask.any():
            self.errors.append((name, mask))

    def missing(self, name: str) -> np.ndarray:
        """Rows whose `name` is left blank: at the system's own rate for the field if it has one
        (scaled by the noise level), else at the `missing` rate times the field's MISSING_WEIGHT."""
        if name in self.spec.missing:
            rate = min(1.0, self.spec.missing[name] * self.level)
        else:
            rate = self.rates.missing * MISSING_WEIGHT.get(name, 1.0)
        return self.chance(rate)

    def edit(self, prefix: str, values: pl.Series, missing: bool = True, **chosen: float | np.ndarray) -> "Edit":
        """Entry errors for a column: each named error at its rate (or on the rows of its mask),
        then blanks (error `<prefix>_missing`) unless `missing` is false."""
        masks = {error: self.chance(c) if isinstance(c, float) else c for error, c in chosen.items()}
        if missing:
            masks["missing"] = self.missing(prefix)
        return Edit(self, prefix, values, masks)

    def blank(self, name: str, values: pl.Series) -> pl.Series:
        """Values left blank at the field's rate (`missing`)."""
        edit = self.edit(name, values)
        edit.apply("missing", noise.blank(edit.sub, edit.mask("missing")))
        return edit.result()

    def once(self, key: str, compute: Callable[[], object]):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


class Edit:
    """Entry errors applied in turn to one column, on the rows chosen for any of them only: those
    rows (`sub`) are gathered once, each error edits them (`apply` records the rows it really
    changed as `<prefix>_<error>`) and `result` scatters them back into the column."""

    def __init__(self, ctx: Context, prefix: str, values: pl.Series, masks: dict[str, np.ndarray]):
        self.ctx, self.prefix, self.values, self.masks = ctx, prefix, values, masks
        chosen = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(ctx.n, dtype=bool)
        self.idx = np.flatnonzero(chosen & values.is_not_null().to_numpy())
        self.sub = values.gather(self.idx)

    def mask(self, error: str) -> np.ndarray:
        """The sub rows chosen for `error`."""
        return self.masks[error][self.idx]

    def of(self, per_row: np.ndarray) -> np.ndarray:
        """A per-record array restricted to the sub rows."""
        return np.asarray(per_row)[self.idx]

    def apply(self, error: str, result: tuple[pl.Series, np.ndarray]) -> None:
        self.sub, changed = result
        mask = np.zeros(self.ctx.n, dtype=bool)
        mask[self.idx[changed]] = True
        self.ctx.record(f"{self.prefix}_{error}", mask)

    def result(self) -> pl.Series:
        if not len(self.idx):
            return self.values
        out = self.values.clone()
        out.scatter(self.idx, self.sub)
        return out


# ---------------------------------------------------------------- record-level state

def _stale(ctx: Context, has_old: np.ndarray, rate: float) -> np.ndarray:
    """Records holding an old value: the first of several registrations, else at `rate`."""
    several = ctx.cache["several"]
    first = ctx.copy == 0
    return has_old & np.where(several, first, ctx.rng.random(ctx.n) < rate)


def dwelling(ctx: Context) -> pl.DataFrame:
    """Address components each record holds: the current ones, or the old ones where stale."""
    def compute():
        stale = _stale(ctx, ctx.col("moved"), ctx.rates.stale_address)
        ctx.record("address_stale", stale)
        ctx.cache["stale_address"] = stale
        names = ("comm", "road", "number", "building", "unit", "room", "grid")
        return pl.DataFrame({k: np.where(stale, ctx.col(f"prev_{k}"), ctx.col(k)) for k in names})
    return ctx.once("dwelling", compute)


def registration(ctx: Context) -> np.ndarray:
    """Registration dates: after the entity appears (birth, arrival, founding), in copy order."""
    def compute():
        if ctx.spec.entity == "person":
            born = ctx.rows["birth"].to_numpy()
            arrived = ctx.rows["arrived"].fill_null(FIRST_REGISTRATION).to_numpy()
            start = np.maximum(np.maximum(born, arrived), FIRST_REGISTRATION)
        else:
            start = np.maximum(ctx.rows["founded"].to_numpy(), FIRST_REGISTRATION)
        start = np.minimum(start, _END - np.timedelta64(1, "D"))
        span = (_END - start).astype(np.int64)
        return start + (ctx.cache["u"] * span).astype("timedelta64[D]")
    return ctx.once("registration", compute)


# ---------------------------------------------------------------- formats

_DATE_LAYOUTS = {  # date format -> parts: (text, None) literal, (field, padded) digits of y / m / d
    "iso": [("y", True), ("-", None), ("m", True), ("-", None), ("d", True)],
    "compact": [("y", True), ("m", True), ("d", True)],
    "slash": [("y", True), ("/", None), ("m", False), ("/", None), ("d", False)],
    "cn": [("y", True), ("年", None), ("m", False), ("月", None), ("d", False), ("日", None)],
    "dot_month": [("y", True), (".", None), ("m", True)],
    "month": [("y", True), ("-", None), ("m", True)],
    "dot": [("y", True), (".", None), ("m", False), (".", None), ("d", False)],
}


def _date_text(y, m, d, fmt: str, rng=None, valid: np.ndarray | None = None) -> pl.Series:
    """Dates from year, month, day integers in a system's format ("datetime" adds a random time
    of the working day); null where `valid` is false."""
    n = len(y)
    fields = {"y": (y, 4), "m": (m, 2), "d": (d, 2)}
    layout = _DATE_LAYOUTS["iso" if fmt == "datetime" else fmt]
    parts = [text.literal(t, n) if pad is None else text.digits(fields[t][0], fields[t][1], pad) for t, pad in layout]
    if fmt == "datetime":
        clock = rng.integers(8 * 3600, 20 * 3600, n)
        parts += [text.literal(" ", n), text.digits(clock // 3600, 2), text.literal(":", n),
                  text.digits(clock % 3600 // 60, 2), text.literal(":", n), text.digits(clock % 60, 2)]
    return text.compose(*parts, valid=valid)


def format_dates(dates: np.ndarray, fmt: str, rng=None) -> pl.Series:
    """Dates (datetime64[D], NaT = blank) in a system's format; "excel" keeps them typed."""
    if fmt == "excel":
        return pl.Series(dates, dtype=pl.Date)
    valid = ~np.isnat(dates)
    value = ymd(np.where(valid, dates, _END))
    return _date_text(value // 10000, value // 100 % 100, value % 100, fmt, rng, valid)


def format_phones(numbers: pl.Series, fmt: str, second: pl.Series | None = None) -> pl.Series:
    """Mobile 13812345678 / 138-1234-5678; landline 0755-88889999; "both" joins a second number."""
    landline = numbers.str.starts_with("0")
    if fmt == "dashed":
        text = pl.select(pl.when(landline).then(numbers.str.slice(0, 4) + "-" + numbers.str.slice(4))
                         .otherwise(numbers.str.slice(0, 3) + "-" + numbers.str.slice(3, 4) + "-"
                                    + numbers.str.slice(7))).to_series()
    else:
        text = pl.select(pl.when(landline).then(numbers.str.slice(0, 4) + "-" + numbers.str.slice(4))
                         .otherwise(numbers)).to_series()
    if fmt == "both" and second is not None:
        extra = pl.select(pl.when(second.is_not_null() & (second != numbers))
                          .then(pl.lit("/") + second.str.slice(0, 4) + "-" + second.str.slice(4))
                          .otherwise(pl.lit(""))).to_series()
        text = text + extra
    return text


# ---------------------------------------------------------------- noisy values shared by fields

def noisy_name(ctx: Context, prefix: str, values: pl.Series, surname_len: np.ndarray) -> pl.Series:
    r = ctx.rates
    e = ctx.edit(prefix, values, homophone=r.homophone, shape=r.shape, drop_char=r.drop_char,
                 extra_char=r.extra_char, inner_space=r.inner_space, traditional=r.traditional,
                 **_romanised(ctx, r.pinyin))
    surname = e.of(surname_len)
    e.apply("homophone", noise.substitute_char(e.sub, e.mask("homophone"), ctx.rng))
    e.apply("shape", noise.substitute_char(e.sub, e.mask("shape"), ctx.rng, "shapes"))
    e.apply("drop_char", noise.drop_char(e.sub, e.mask("drop_char"), ctx.rng, surname))
    e.apply("extra_char", noise.double_char(e.sub, e.mask("extra_char"), ctx.rng, surname))
    e.apply("inner_space", noise.insert_space(e.sub, e.mask("inner_space"), surname))
    e.apply("traditional", noise.to_traditional(e.sub, e.mask("traditional")))
    if r.pinyin:
        e.apply("pinyin", noise.romanise(e.sub, e.mask("pinyin"), surname))
        e.apply("given_name_first", noise.given_name_first(e.sub, e.mask("given_name_first")))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def _romanised(ctx: Context, rate: float) -> dict[str, np.ndarray]:
    """Names typed in pinyin and, of those, written given name first — drawn only where a profile
    sets the rate, so that the random streams of the others stay as they were."""
    if not rate:
        return {}
    typed = ctx.chance(rate)
    return {"pinyin": typed, "given_name_first": ctx.chance(ctx.rates.given_name_first, typed)}


def noisy_id(ctx: Context, prefix: str, values: pl.Series) -> pl.Series:
    r = ctx.rates
    year = values.str.slice(6, 4).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    old = (year >= 1900) & (year <= 1984)
    ends_x = values.str.ends_with("X").fill_null(False).to_numpy()
    e = ctx.edit(prefix, values, legacy15=ctx.chance(r.id_legacy15, old), swap=r.id_swap,
                 wrong_digit=r.id_wrong_digit, lower_x=ctx.chance(r.id_lower_x, ends_x), fullwidth=r.fullwidth)
    e.apply("legacy15", noise.legacy15(e.sub, e.mask("legacy15")))
    e.apply("swap", noise.swap_neighbours(e.sub, e.mask("swap"), ctx.rng))
    e.apply("wrong_digit", noise.wrong_char(e.sub, e.mask("wrong_digit"), ctx.rng))
    e.apply("lower_x", noise.lower_x(e.sub, e.mask("lower_x")))
    e.apply("fullwidth", noise.fullwidth_digits(e.sub, e.mask("fullwidth")))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def noisy_phone(ctx: Context, prefix: str, values: pl.Series) -> pl.Series:
    r = ctx.rates
    e = ctx.edit(prefix, values, wrong_digit=r.phone_wrong_digit, fullwidth=r.fullwidth)
    e.apply("wrong_digit", noise.wrong_char(e.sub, e.mask("wrong_digit"), ctx.rng, 12))
    e.apply("fullwidth", noise.fullwidth_digits(e.sub, e.mask("fullwidth")))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def _pool_names(keys: np.ndarray) -> pl.Series:
    """Stable invented names (grid workers, owners) chosen by a key: common surnames and characters."""
    ref = reference()
    k = np.asarray(keys, dtype=np.int64)
    chars = ref.given_chars[:400]
    return (texts(ref.surnames[:120], (k * 7919) % 120) + texts(chars, (k * 104729 // 7) % 400)
            + texts(chars, (k * 1299709 // 13) % 400))


def _pick(ctx: Context, choices: list[str], p: list[float] | None = None, key: np.ndarray | None = None) -> pl.Series:
    """A categorical value per record: random, or stable per `key` (an entity or household)."""
    if key is None:
        idx = ctx.rng.choice(len(choices), ctx.n, p=p)
    else:
        cdf = np.cumsum(p if p is not None else np.full(len(choices), 1 / len(choices)))
        idx = np.searchsorted(cdf, ((np.asarray(key, np.int64) * 2654435761) % 1000) / 1000, side="right")
        idx = np.minimum(idx, len(choices) - 1)
    return texts(choices, idx)


# ---------------------------------------------------------------- person fields

GENDER_WORDS = {"zh": ("男", "女"), "code": ("1", "2"), "zh_long": ("男性", "女性"), "en": ("M", "F")}


def f_name(ctx: Context, fmt) -> pl.Series:
    return noisy_name(ctx, "name", ctx.rows["name"], ctx.col("surname_len"))


def f_gender(ctx: Context, fmt) -> pl.Series:
    words = GENDER_WORDS[fmt or "zh"]
    values = pl.select(pl.when(ctx.rows["male"]).then(pl.lit(words[0])).otherwise(pl.lit(words[1]))).to_series()
    return ctx.blank("gender", values)


def f_birth_date(ctx: Context, fmt) -> pl.Series:
    value = ymd(ctx.rows["birth"].to_numpy())
    y, m, d = value // 10000, value // 100 % 100, value % 100
    swap = ctx.chance(ctx.rates.day_month_swap, (d <= 12) & (d != m))
    ctx.record("birth_date_day_month_swap", swap)
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    return ctx.blank("birth_date", _date_text(y, m, d, fmt or "iso"))


def f_id_number(ctx: Context, fmt) -> pl.Series:
    return noisy_id(ctx, "id_number", ctx.rows["id_number"])


def f_ethnicity(ctx: Context, fmt) -> pl.Series:
    return ctx.blank("ethnicity", ctx.rows["ethnicity"])


def f_phone(ctx: Context, fmt) -> pl.Series:
    if ctx.spec.entity == "enterprise":
        numbers = ctx.rows["phone"]
        second = None
    else:
        stale = _stale(ctx, ctx.rows["old_mobile"].is_not_null().to_numpy(), ctx.rates.stale_phone)
        ctx.record("phone_stale", stale)
        mobile = pl.select(pl.when(pl.Series(stale)).then(ctx.rows["old_mobile"])
                           .otherwise(ctx.rows["mobile"])).to_series()
        numbers = mobile.fill_null(ctx.rows["landline"])
        second = ctx.rows["landline"]
    if fmt == "local":  # landlines keyed as dialled in the city, without the area code
        local = numbers.str.starts_with("0").fill_null(False)
        ctx.record("phone_local", local.to_numpy())
        numbers = numbers.str.replace(AREA_CODE, "")
    numbers = noisy_phone(ctx, "phone", numbers)
    return format_phones(numbers, "plain" if fmt == "local" else fmt or "plain", second)


def f_address(ctx: Context, fmt) -> pl.Series:
    codes = ctx.spec.address.codes(ctx.n)
    restyle = ctx.chance(ctx.rates.address_style)
    ctx.record("address_style", restyle)
    messy = ctx.chance(ctx.rates.address_messy)
    ctx.record("address_messy", messy)
    text = address.render(ctx.layout, dwelling(ctx), address.restyle(codes, restyle, ctx.rng, messy))
    e = ctx.edit("address", text, traditional=ctx.rates.traditional)
    e.apply("traditional", noise.to_traditional(e.sub, e.mask("traditional")))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def f_household_address(ctx: Context, fmt) -> pl.Series:
    values = ctx.rows["household_address"]
    if fmt == "short":
        values = values.str.replace(r"^.*?(省|自治区)", "")
    return ctx.blank("household_address", values)


def f_community(ctx: Context, fmt) -> pl.Series:
    return ctx.layout.communities["community"].gather(dwelling(ctx)["comm"].to_numpy())


def f_street(ctx: Context, fmt) -> pl.Series:
    return ctx.layout.communities["street"].gather(dwelling(ctx)["comm"].to_numpy())


def f_grid_code(ctx: Context, fmt) -> pl.Series:
    d = dwelling(ctx)
    return ctx.layout.grid_code(d["comm"].to_numpy(), d["grid"].to_numpy())


def f_grid_name(ctx: Context, fmt) -> pl.Series:
    d = dwelling(ctx)
    return ctx.layout.grid_name(d["comm"].to_numpy(), d["grid"].to_numpy())


def f_grid_worker(ctx: Context, fmt) -> pl.Series:
    d = dwelling(ctx)
    return _pool_names(d["comm"].to_numpy() * 100 + d["grid"].to_numpy())


def f_house_code(ctx: Context, fmt) -> pl.Series:
    return address.house_codes(ctx.layout, dwelling(ctx))


def f_registration_date(ctx: Context, fmt) -> pl.Series:
    return format_dates(registration(ctx), fmt or "iso", ctx.rng)


def f_move_in_date(ctx: Context, fmt) -> pl.Series:
    """The day the person began living at the address the record holds (a fact of the residence,
    the same in every system holding that address), or a month keyed wrongly."""
    dwelling(ctx)
    dates = np.where(ctx.cache["stale_address"], ctx.col("prev_moved_in"), ctx.col("moved_in"))
    wrong = ctx.chance(ctx.rates.move_in_wrong_month)
    ctx.record("move_in_date_wrong_month", wrong)
    months = np.where(ctx.rng.random(ctx.n) < 0.5, -1, 1) * ctx.rng.integers(1, 13, ctx.n)
    dates = np.where(wrong, shift_months(dates, months), dates)
    return ctx.blank("move_in_date", format_dates(dates, fmt or "iso"))


def shift_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Dates moved by whole months (days past the 28th become the 28th)."""
    month = dates.astype("datetime64[M]")
    day = np.minimum((dates - month.astype("datetime64[D]")).astype(np.int64), 27)
    return (month + months.astype("timedelta64[M]")).astype("datetime64[D]") + day.astype("timedelta64[D]")


def f_residence_reason(ctx: Context, fmt) -> pl.Series:
    age, employed = ctx.col("age"), ctx.col("employed")
    reason = np.select([employed, (age >= 16) & (age <= 23), ctx.col("role") >= 1], [0, 1, 2], 3)
    return texts(["务工", "求学", "随迁", "投靠亲友"], reason)


def f_dwelling_type(ctx: Context, fmt) -> pl.Series:
    return _pick(ctx, ["租赁", "自购房", "单位宿舍", "借住"], [0.62, 0.2, 0.12, 0.06], ctx.col("household"))


def f_relation(ctx: Context, fmt) -> pl.Series:
    role, male = ctx.col("role"), ctx.col("male")
    return texts(["户主", "配偶", "子", "女", "父亲", "母亲"],
                 np.select([role == 0, role == 1, role == 2], [0, 1, np.where(male, 2, 3)], np.where(male, 4, 5)))


def f_education(ctx: Context, fmt) -> pl.Series:
    return ctx.blank("education", ctx.rows["education"])


def f_political(ctx: Context, fmt) -> pl.Series:
    return ctx.rows["political"]


def f_marital(ctx: Context, fmt) -> pl.Series:
    return ctx.blank("marital", ctx.rows["marital"])


def f_employer(ctx: Context, fmt) -> pl.Series:
    employer = ctx.col("employer")
    ent = ctx.chunk.enterprises
    rows = np.maximum(employer, 0)
    full = enterprise_names(ent[rows], np.zeros(ctx.n, dtype=np.int64))
    short = ent["core"].gather(rows) + ent["word"].gather(rows)
    style = ctx.rng.random(ctx.n)
    text = pl.select(pl.when(pl.Series(employer < 0)).then(None)
                     .when(pl.Series(style < 0.6)).then(full)
                     .when(pl.Series(style < 0.85)).then(short)
                     .otherwise(ent["core"].gather(rows))).to_series()
    return ctx.blank("employer", text)


def _spouse(ctx: Context, column: str) -> pl.Series:
    """The true value of each record's spouse (null for the unmarried)."""
    spouse = ctx.col("spouse")
    rows = np.where(spouse >= 0, spouse - int(ctx.chunk.people["pid"][0]), 0)
    return only(spouse >= 0, ctx.chunk.people[column].gather(rows))


def f_spouse_name(ctx: Context, fmt) -> pl.Series:
    return noisy_name(ctx, "spouse_name", _spouse(ctx, "name"), _spouse(ctx, "surname_len").fill_null(1).to_numpy())


def f_spouse_id_number(ctx: Context, fmt) -> pl.Series:
    return noisy_id(ctx, "spouse_id_number", _spouse(ctx, "id_number"))


def f_row_number(ctx: Context, fmt) -> pl.Series:
    """Filled by the writer with the record's data row number."""
    return pl.Series([None] * ctx.n, dtype=pl.Int64)


def f_declare_channel(ctx: Context, fmt) -> pl.Series:
    return _pick(ctx, ["i深圳App", "微信小程序", "支付宝", "网页"], [0.45, 0.35, 0.15, 0.05])


def f_house_use(ctx: Context, fmt) -> pl.Series:
    d = dwelling(ctx)
    return _pick(ctx, ["住宅", "商住", "宿舍", "厂房"], [0.8, 0.08, 0.1, 0.02],
                 d["road"].to_numpy() * 1000 + d["number"].to_numpy())


def f_owner(ctx: Context, fmt) -> pl.Series:
    d = dwelling(ctx)
    return _pool_names(d["road"].to_numpy() * 100_000 + d["number"].to_numpy() * 100 + d["building"].to_numpy())


def f_id_type(ctx: Context, fmt) -> pl.Series:
    return texts(["居民身份证"], np.zeros(ctx.n, dtype=np.int64))


def f_remark(ctx: Context, fmt) -> pl.Series:
    age = ctx.col("age")
    kind = ctx.rng.random(ctx.n)
    which = np.select([(age >= 70) & (kind < 0.3), kind < 0.02, kind < 0.03, kind < 0.04], [0, 1, 2, 3], -1)
    return only(which >= 0, texts(["独居老人", "低保户", "残疾人", "退役军人"], np.maximum(which, 0)))


def f_contraception(ctx: Context, fmt) -> pl.Series:
    children = ctx.col("children")
    return texts(["结扎", "上环", "药具", "无"],
                 np.where(children >= 2, np.where(ctx.rng.random(ctx.n) < 0.6, 0, 1),
                          np.where(children == 1, np.where(ctx.rng.random(ctx.n) < 0.7, 1, 2),
                                   np.where(ctx.rng.random(ctx.n) < 0.5, 2, 3))))


def f_children(ctx: Context, fmt) -> pl.Series:
    return pl.Series(ctx.col("children")).cast(pl.Utf8)


def f_person_no(ctx: Context, fmt) -> pl.Series:
    return "10" + pl.Series((ctx.col("pid") * 7_654_321 + 1_234_567) % 10**9).cast(pl.Utf8).str.zfill(9)


def f_insurance(ctx: Context, fmt) -> pl.Series:
    return _pick(ctx, ["养老,医疗,工伤,失业,生育", "养老,医疗,工伤", "医疗,工伤", "养老,医疗"],
                 [0.7, 0.15, 0.1, 0.05])


def f_wage_base(ctx: Context, fmt) -> pl.Series:
    return pl.Series(np.round(np.exp(ctx.rng.normal(8.9, 0.5, ctx.n)) / 10) * 10).cast(pl.Int64).cast(pl.Utf8)


def f_person_category(ctx: Context, fmt) -> pl.Series:
    return texts(["户籍人口", "流动人口"], ctx.col("migrant").astype(np.int64))


# ---------------------------------------------------------------- enterprise fields

NAME_VARIANTS = 5  # 0 canonical, 1 no region, 2 region in brackets, 3 other legal form, 4 half-width brackets


def enterprise_names(ent: pl.DataFrame | Rows, variant: np.ndarray, core: pl.Series | None = None) -> pl.Series:
    """Enterprise names in a variant: 深圳市X科技有限公司, X科技有限公司, X科技（深圳）有限公司 …"""
    core = ent["core"] if core is None else core
    individual = ent["individual"].to_numpy()
    other_form = ent["form"].replace({"有限公司": "有限责任公司", "有限责任公司": "有限公司"})
    frame = pl.DataFrame({"v": variant, "ind": individual, "core": core, "word": ent["word"],
                          "form": ent["form"], "other": other_form, "district": ent["district"]})
    v, core_word = pl.col("v"), pl.concat_str("core", "word")
    company = (pl.when(v == 1).then(pl.concat_str(core_word, "form"))
               .when(v == 2).then(pl.concat_str(core_word, pl.lit("（深圳）"), "form"))
               .when(v == 3).then(pl.concat_str(pl.lit("深圳市"), core_word, "other"))
               .when(v == 4).then(pl.concat_str(core_word, pl.lit("(深圳)"), "form"))
               .otherwise(pl.concat_str(pl.lit("深圳市"), core_word, "form")))
    shop = (pl.when(v == 1).then(core_word)
            .when(v >= 2).then(pl.concat_str("district", core_word))
            .otherwise(pl.concat_str(pl.lit("深圳市"), "district", core_word)))
    return frame.select(pl.when(pl.col("ind")).then(shop).otherwise(company)).to_series()


def f_enterprise_name(ctx: Context, fmt) -> pl.Series:
    r = ctx.rates
    e = ctx.edit("name", ctx.rows["core"], missing=False, homophone=r.homophone, shape=r.shape)
    e.apply("homophone", noise.substitute_char(e.sub, e.mask("homophone"), ctx.rng))
    e.apply("shape", noise.substitute_char(e.sub, e.mask("shape"), ctx.rng, "shapes"))
    core = e.result()
    varied = ctx.chance(r.name_variant)
    ctx.record("name_variant", varied)
    variant = np.where(varied, ctx.rng.integers(1, NAME_VARIANTS, ctx.n), 0)
    e = ctx.edit("name", enterprise_names(ctx.rows, variant, core), traditional=r.traditional)
    e.apply("traditional", noise.to_traditional(e.sub, e.mask("traditional")))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def f_uscc(ctx: Context, fmt) -> pl.Series:
    r = ctx.rates
    # records keyed before the USCC reform carry only the registration number
    has_reg_number = "reg_number" in {c.field for c in ctx.spec.columns}
    only_old = ctx.chance(0.4, ctx.col("legacy")) if has_reg_number else np.zeros(ctx.n, dtype=bool)
    values = ctx.rows["uscc"]
    if fmt == "legacy_org_code":  # units registered before the reform keyed their old code here
        legacy = ctx.col("legacy") & ~only_old
        ctx.record("uscc_org_code", legacy)
        values = pl.select(pl.when(pl.Series(legacy)).then(ctx.rows["org_code"])
                           .otherwise(values)).to_series()
    e = ctx.edit("uscc", values, only_old=only_old, wrong_char=r.code_wrong_char, swap=r.id_swap)
    e.apply("missing", noise.blank(e.sub, e.mask("only_old")))
    e.apply("wrong_char", noise.wrong_char(e.sub, e.mask("wrong_char"), ctx.rng, 18, USCC_ALPHABET))
    e.apply("swap", noise.swap_neighbours(e.sub, e.mask("swap"), ctx.rng, 18))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def f_reg_number(ctx: Context, fmt) -> pl.Series:
    e = ctx.edit("reg_number", ctx.rows["reg_number"], wrong_digit=ctx.rates.code_wrong_char)
    e.apply("wrong_digit", noise.wrong_char(e.sub, e.mask("wrong_digit"), ctx.rng, 15))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def f_org_code(ctx: Context, fmt) -> pl.Series:
    keyed = ctx.chance(0.5) | ctx.col("legacy")
    values = ctx.rows["org_code"].str.slice(0, 8) + "-" + ctx.rows["org_code"].str.slice(8)
    values = pl.select(pl.when(pl.Series(keyed)).then(values)).to_series()
    e = ctx.edit("org_code", values, wrong_char=ctx.rates.code_wrong_char)
    e.apply("wrong_char", noise.wrong_char(e.sub, e.mask("wrong_char"), ctx.rng, 8, USCC_ALPHABET))
    e.apply("missing", noise.blank(e.sub, e.mask("missing")))
    return e.result()


def f_legal_rep(ctx: Context, fmt) -> pl.Series:
    return noisy_name(ctx, "legal_rep", ctx.rows["legal_rep"], ctx.col("legal_rep_surname_len"))


def f_legal_rep_id_number(ctx: Context, fmt) -> pl.Series:
    return noisy_id(ctx, "legal_rep_id_number", ctx.rows["legal_rep_id_number"])


def f_industry(ctx: Context, fmt) -> pl.Series:
    return ctx.rows["industry"]


def f_enterprise_type(ctx: Context, fmt) -> pl.Series:
    return ctx.rows["enterprise_type"]


def f_employees(ctx: Context, fmt) -> pl.Series:
    return ctx.rows["employees"]


def f_established_date(ctx: Context, fmt) -> pl.Series:
    return format_dates(ctx.rows["founded"].to_numpy(), fmt or "iso")


def f_safety_supervisor(ctx: Context, fmt) -> pl.Series:
    return ctx.rows["safety_supervisor"]


def f_safety_grade(ctx: Context, fmt) -> pl.Series:
    return _pick(ctx, ["A", "B", "C", "D"], [0.3, 0.45, 0.2, 0.05], ctx.col("eid"))


def f_hazards(ctx: Context, fmt) -> pl.Series:
    return pl.Series(ctx.rng.poisson(1.5, ctx.n)).cast(pl.Utf8)


def f_unit_no(ctx: Context, fmt) -> pl.Series:
    return "44" + pl.Series((ctx.col("eid") * 3_571_429 + 777) % 10**8).cast(pl.Utf8).str.zfill(8)


def f_payment_status(ctx: Context, fmt) -> pl.Series:
    return _pick(ctx, ["正常缴费", "暂停缴费"], [0.93, 0.07], ctx.col("eid"))


PERSON_FIELDS = {
    "name": f_name, "gender": f_gender, "birth_date": f_birth_date, "id_number": f_id_number,
    "ethnicity": f_ethnicity, "phone": f_phone, "address": f_address,
    "household_address": f_household_address, "community": f_community, "street": f_street,
    "grid_code": f_grid_code, "grid_name": f_grid_name, "grid_worker": f_grid_worker,
    "house_code": f_house_code, "registration_date": f_registration_date,
    "move_in_date": f_move_in_date,
    "residence_reason": f_residence_reason, "dwelling_type": f_dwelling_type, "relation": f_relation,
    "education": f_education, "political": f_political, "marital": f_marital, "employer": f_employer,
    "spouse_name": f_spouse_name, "spouse_id_number": f_spouse_id_number, "row_number": f_row_number,
    "declare_channel": f_declare_channel, "house_use": f_house_use, "owner": f_owner,
    "id_type": f_id_type, "remark": f_remark, "contraception": f_contraception,
    "children": f_children, "person_no": f_person_no, "insurance": f_insurance,
    "wage_base": f_wage_base, "person_category": f_person_category,
}
ENTERPRISE_FIELDS = {
    "name": f_enterprise_name, "uscc": f_uscc, "reg_number": f_reg_number, "org_code": f_org_code,
    "legal_rep": f_legal_rep, "legal_rep_id_number": f_legal_rep_id_number, "phone": f_phone,
    "address": f_address, "industry": f_industry, "enterprise_type": f_enterprise_type,
    "employees": f_employees, "established_date": f_established_date,
    "safety_supervisor": f_safety_supervisor, "safety_grade": f_safety_grade, "hazards": f_hazards,
    "street": f_street, "community": f_community, "registration_date": f_registration_date,
    "unit_no": f_unit_no, "payment_status": f_payment_status,
}
FIELDS = {"person": PERSON_FIELDS, "enterprise": ENTERPRISE_FIELDS}
_DATES = tuple(_DATE_LAYOUTS)
# the formats a field can be written in, by (entity type, field); other fields have one
FIELD_FORMATS = {
    ("person", "gender"): tuple(GENDER_WORDS),
    ("person", "birth_date"): _DATES,
    ("person", "phone"): ("plain", "dashed", "both"),
    ("person", "household_address"): ("short",),
    ("person", "move_in_date"): (*_DATES, "excel"),
    ("person", "registration_date"): (*_DATES, "datetime", "excel"),
    ("enterprise", "phone"): ("plain", "dashed", "local"),
    ("enterprise", "uscc"): ("legacy_org_code",),
    ("enterprise", "registration_date"): (*_DATES, "datetime", "excel"),
    ("enterprise", "established_date"): (*_DATES, "excel"),
}


@dataclass
class Selection:
    """Who a source holds in one chunk: entity rows (repeated for duplicates) in export order,
    each record's copy number (0 = first registration) and a uniform draw timing its registration."""

    rows: np.ndarray
    copy: np.ndarray
    u: np.ndarray

    @property
    def n(self) -> int:
        return len(self.rows)


def choose(spec: SourceSpec, chunk: Chunk, rng: np.random.Generator) -> Selection:
    """The records a system holds: coverage draws, then within-system duplicates, shuffled."""
    entities = chunk.people if spec.entity == "person" else chunk.enterprises
    p = entities.with_columns(spec.coverage.cast(pl.Float64).alias("__p"))["__p"].to_numpy()
    chosen = np.flatnonzero(rng.random(len(p)) < p)
    extra = (rng.random(len(chosen)) < spec.duplicates).astype(np.int64)
    extra += (extra > 0) & (rng.random(len(chosen)) < 0.1)
    rows = np.repeat(chosen, 1 + extra)
    rows = rows[rng.permutation(len(rows))]
    u = rng.random(len(rows))
    # copy number: rank of the record's registration time among its entity's records
    by = np.lexsort((u, rows))
    first = np.r_[True, rows[by][1:] != rows[by][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(by)), 0))
    copy = np.empty(len(rows), dtype=np.int64)
    copy[by] = np.arange(len(by)) - start
    return Selection(rows, copy, u)


def build_records(spec: SourceSpec, chunk: Chunk, layout: address.Layout, rates: NoiseRates,
                  rng: np.random.Generator, selection: Selection,
                  level: float = 1.0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(export rows: one column per header; truth rows: entity_id, entity_key (the entity's
    number: pid or eid) and the list of errors applied).  `rates` are the system's error rates,
    `level` the noise level's factor."""
    entities = chunk.people if spec.entity == "person" else chunk.enterprises
    ctx = Context(spec, Rows(entities, selection.rows), chunk, layout, rates, rng, selection.copy, level)
    ctx.cache["u"] = selection.u
    ctx.cache["several"] = np.bincount(selection.rows)[selection.rows] > 1
    fields = FIELDS[spec.entity]
    data = pl.DataFrame({c.header: fields[c.field](ctx, c.fmt) for c in spec.columns}) if ctx.n else \
        pl.DataFrame({c.header: pl.Series([], dtype=pl.Utf8) for c in spec.columns})
    key = ctx.rows["pid" if spec.entity == "person" else "eid"]
    truth = pl.DataFrame({"entity_id": ctx.rows["entity_id"], "entity_key": key,
                          "errors": error_lists(ctx.errors, ctx.n)})
    return data, truth


def error_lists(errors: list[tuple[str, np.ndarray]], n: int) -> pl.Series:
    """Per record, the names of the errors applied to it (in the order they were applied)."""
    if not errors:
        return pl.Series("errors", [[]] * n, dtype=pl.List(pl.Utf8))
    names = pl.Series([name for name, _ in errors], dtype=pl.Utf8)
    hits = [(np.flatnonzero(mask), i) for i, (_, mask) in enumerate(errors)]
    row = np.concatenate([h[0] for h in hits])
    which = np.concatenate([np.full(len(h[0]), h[1]) for h in hits])
    pairs = pl.DataFrame({"row": row, "error": names.gather(which)}).sort("row", maintain_order=True)
    lists = pairs.group_by("row", maintain_order=True).agg("error")
    full = pl.DataFrame({"row": np.arange(n)}).join(lists, on="row", how="left", maintain_order="left")
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    return full.select(pl.when(pl.col("error").is_null()).then(empty).otherwise(pl.col("error"))
                       .alias("errors")).to_series()
