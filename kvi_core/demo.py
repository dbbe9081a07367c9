"""Synthetic demo extract (``kvi demo-data``): a person extract in the input format of
docs/DATA_CONTRACT.md §1, with realistic magnitudes and *made-up* people.

Nothing here is real data. Every row is drawn from a seeded random generator; the only real
numbers used are public aggregates (see the constants below and ``kvi_core/data/PROVENANCE.md``):

* Persons per year follow the national count of service recipients
  (Helsedirektoratet, "Kommunale helse- og omsorgstjenester", tabell 1): the newest year that has a
  national count gets ``persons_per_year`` persons, other years are scaled by the national series
  (2020: 371 319 / 399 263 = 0.93 of 2024).
* Age and sex mix of recipients: KPR 2022 by age (0-17 5.0 %, 18-49 22.0 %, 50-66 14.1 %,
  67-79 21.2 %, 80-89 24.6 %, 90+ 12.9 %; women 38 % of 0-17 up to 71 % of 90+).
* Kommune sizes: population 1.1.2023 per kommune (2020 geography) in 0-17, 18-66, 67+
  (``kvi_core/data/befolkning_2023_geo2020.csv``, SSB 07459) times the national recipient rate of
  each age group (KPR 2022 recipients / population: 1.7 %, 4.1 %, 25.8 %), times a per-kommune
  random factor.

People persist across years (same ``person_id``, one year older, same kommune) with turnover: each
year some leave the services (more among the oldest) and new recipients enter so that the age and
kommune mix stays on target. The simulation runs in the 2020 geography; persons in 1507 Ålesund
carry a fixed "place" (about 14 % live in the former Haram) so that from 2024 they are coded
1508 Ålesund or 1580 Haram, and every other 2020 code is mapped through ``kommune_changes()``.

Need (kode_09/11/13/15) and receipt (kode_10/12/14/16) come from per-person latent uniforms (kept
across years, partly renewed each year) compared with per-kommune probabilities. Kommuner differ in
need registration, in coverage (innfridd share), and in reporting of receipts; a few kommuner are
marked as poor reporters (many empty receipt codes with need = 1) or low-coverage, and a few
register almost no needs at all. Coverage improves mildly over the years.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from kvi_core.geography import bydel_names, classification_year, data_path, kommune_changes, kommuner

COLUMNS = [
    "aar",
    "person_id",
    "kommunenr",
    "fodselsaar",
    "kjonn",
    "bydelsnr",
    "kode_09",
    "kode_10",
    "kode_11",
    "kode_12",
    "kode_13",
    "kode_14",
    "kode_15",
    "kode_16",
]
NEED_COLUMNS = ("kode_09", "kode_11", "kode_13", "kode_15")
RECEIVES_COLUMNS = ("kode_10", "kode_12", "kode_14", "kode_16")
FIRST_DEMO_YEAR = 2020

# National service recipients during the year (kpr_tjenestemottakere_nasjonalt.csv).
NATIONAL_RECIPIENTS = {
    2012: 336_864,
    2013: 340_093,
    2014: 342_216,
    2015: 349_419,
    2016: 355_635,
    2017: 361_471,
    2018: 364_587,
    2019: 364_666,
    2020: 371_319,
    2021: 379_806,
    2022: 390_369,
    2023: 397_240,
    2024: 399_263,
}

# Fine age bands; recipients 2022 by band and share of women (kpr_tjenestemottakere_2022_alder.csv).
BANDS = ((0, 17), (18, 49), (50, 66), (67, 79), (80, 89), (90, 105))
BAND_RECIPIENTS = np.array([19_458, 86_076, 55_172, 82_923, 96_190, 50_549], dtype=float)
BAND_WOMEN = np.array([7_353, 44_544, 28_621, 46_167, 61_975, 36_100]) / BAND_RECIPIENTS
# Which population column (0-17, 18-66, 67+) each fine band belongs to.
BAND_POPGROUP = np.array([0, 1, 1, 2, 2, 2])
# Coarse group of each fine band for coverage effects: 0 = 0-17, 1 = 18-66, 2 = 67+.
BAND_COARSE = BAND_POPGROUP

# Share of a band's recipients still receiving services the next year (death, recovery, moving).
CONTINUE_PROB = np.array([0.82, 0.80, 0.80, 0.76, 0.70, 0.60])

# Probability of need = 1 per indicator (rows: kode_09, 11, 13, 15) and fine band, before the
# kommune effect. Overall about 3.7 %, 2.3 %, 12.9 % and 8.3 % of recipients; 80-95 % of the
# needs are in 0-66. Culture/leisure needs are more common than work/education needs.
NEED_PROB = np.array(
    [
        [0.12, 0.10, 0.05, 0.006, 0.002, 0.001],  # arbeid/utdanning bistand
        [0.08, 0.06, 0.03, 0.004, 0.001, 0.001],  # arbeid/utdanning transport
        [0.35, 0.28, 0.18, 0.06, 0.035, 0.02],  # kultur/fritid bistand
        [0.22, 0.18, 0.12, 0.04, 0.025, 0.015],  # kultur/fritid transport
    ]
)
# When need is not 1: probability that a registered "no" is 9 (ikke relevant) rather than 2 (nei).
NOT_RELEVANT_SHARE = np.array(
    [
        [0.55, 0.30, 0.45, 0.85, 0.90, 0.95],
        [0.55, 0.30, 0.45, 0.85, 0.90, 0.95],
        [0.25, 0.20, 0.25, 0.40, 0.50, 0.60],
        [0.25, 0.20, 0.25, 0.40, 0.50, 0.60],
    ]
)
NEED_EMPTY_MEAN = 0.12  # national share of non-need rows with no need registration

# Receipt given need = 1, national baseline in the first year (per indicator):
# share without receipt registration, innfridd share among those registered, and the share of
# "delvis" among the rest (the remainder is "ikke innfridd").
UNREPORTED_BASE = np.array([0.14, 0.13, 0.17, 0.18])
COVERAGE_BASE = np.array([0.80, 0.80, 0.66, 0.72])
DELVIS_SHARE = np.array([0.60, 0.45, 0.60, 0.50])
COVERAGE_AGE_EFFECT = np.array([0.25, 0.0, -0.35])  # logit, by coarse age group
COVERAGE_TREND = 0.06  # logit per year: coverage improves mildly
UNREPORTED_TREND = -0.05  # logit per year: reporting improves mildly
RECEIVES_WITHOUT_NEED = 0.01  # receipt code present although need != 1 (register noise)

# Kommune random effects (logit scale unless stated).
SD_RATE = 0.15  # recipients per inhabitant (log scale)
SD_NEED = 0.30  # need registration practice (log scale)
SD_NEED_IND = 0.15
SD_COVERAGE = 0.45
SD_COVERAGE_IND = 0.25
SD_COVERAGE_YEAR = 0.08
SD_BYDEL = 0.25
SD_UNREPORTED = 0.60
SD_UNREPORTED_IND = 0.25
SHARE_POOR_REPORTERS = 0.05  # kommuner with many empty receipt codes (+2.0 logit)
SHARE_LOW_COVERAGE = 0.05  # kommuner with low coverage (-1.3 logit)
SHARE_FEW_NEEDS = 0.02  # kommuner that register almost no needs (x 0.1); at least one

LATENT_RENEW = 0.25  # share of persons whose latent need/receipt draws are renewed yearly

BYDEL_MISSING = 0.03  # persons in Oslo/Bergen/Trondheim without bydelsnr
HARAM_SHARE = 0.14  # share of 1507 Ålesund (2020-2023) living in former Haram (1580)
# Approximate, rounded bydel populations (thousands), only used as weights for synthetic persons.
BYDEL_WEIGHTS = {
    "030101": 63,
    "030102": 64,
    "030103": 47,
    "030104": 40,
    "030105": 60,
    "030106": 35,
    "030107": 51,
    "030108": 54,
    "030109": 35,
    "030110": 28,
    "030111": 34,
    "030112": 50,
    "030113": 52,
    "030114": 54,
    "030115": 40,
    "030116": 1.5,
    "030117": 1.7,
    "460101": 14,
    "460102": 43,
    "460103": 42,
    "460104": 31,
    "460105": 41,
    "460106": 31,
    "460107": 41,
    "460108": 46,
    "500101": 48,
    "500102": 50,
    "500103": 58,
    "500104": 56,
}


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


def _national_factor(aar: int, ref: int) -> float:
    lo, hi = min(NATIONAL_RECIPIENTS), max(NATIONAL_RECIPIENTS)
    return NATIONAL_RECIPIENTS[min(max(aar, lo), hi)] / NATIONAL_RECIPIENTS[min(max(ref, lo), hi)]


class _World:
    """Fixed (per seed) geography and kommune effects, in the 2020 classification."""

    def __init__(self, rng: np.random.Generator):
        pop = pd.read_csv(data_path("befolkning_2023_geo2020.csv"), dtype={"kommunenummer": str})
        pop = pop.sort_values("kommunenummer").reset_index(drop=True)
        self.codes = pop["kommunenummer"].to_numpy(dtype=str)
        k = len(self.codes)
        popgroups = pop[["pop_0_17", "pop_18_66", "pop_67pluss"]].to_numpy(dtype=float)
        # National recipient rate per population group, split into fine bands by the KPR mix.
        group_recipients = np.bincount(BAND_POPGROUP, weights=BAND_RECIPIENTS, minlength=3)
        rate = group_recipients / popgroups.sum(axis=0)
        within = BAND_RECIPIENTS / group_recipients[BAND_POPGROUP]
        expected = popgroups[:, BAND_POPGROUP] * rate[BAND_POPGROUP] * within  # k x bands
        expected *= np.exp(rng.normal(0.0, SD_RATE, size=(k, 1)))
        self.cell_p = (expected / expected.sum()).ravel()  # kommune-major, band-minor

        n_ind = len(NEED_COLUMNS)
        few = rng.random(k) < SHARE_FEW_NEEDS
        few[rng.integers(k)] = True  # at least one kommune with (almost) no registered needs
        need_mult = np.exp(rng.normal(0.0, SD_NEED, size=(k, 1)) + rng.normal(0.0, SD_NEED_IND, size=(k, n_ind)))
        need_mult[few] *= 0.1
        self.need_p = np.clip(need_mult[:, :, None] * NEED_PROB[None, :, :], 0.0, 0.9)  # k x ind x band
        self.need_empty = np.clip(rng.beta(2.0, 2.0 / NEED_EMPTY_MEAN - 2.0, size=k), 0.0, 0.8)

        poor = rng.random(k) < SHARE_POOR_REPORTERS
        low = rng.random(k) < SHARE_LOW_COVERAGE
        self.unrep_logit = (
            _logit(UNREPORTED_BASE)[None, :]
            + rng.normal(0.0, SD_UNREPORTED, size=(k, 1))
            + rng.normal(0.0, SD_UNREPORTED_IND, size=(k, n_ind))
            + 2.0 * poor[:, None]
        )
        self.cov_logit = (
            _logit(COVERAGE_BASE)[None, :]
            + rng.normal(0.0, SD_COVERAGE, size=(k, 1))
            + rng.normal(0.0, SD_COVERAGE_IND, size=(k, n_ind))
            - 1.3 * low[:, None]
        )
        self.delvis_share = np.clip(DELVIS_SHARE[None, :] + rng.normal(0.0, 0.08, size=(k, n_ind)), 0.1, 0.9)
        self.poor_reporters = self.codes[poor]
        self.low_coverage = self.codes[low]
        self.few_needs = self.codes[few]

        # Bydeler: per-kommune list of codes and weights; a coverage effect per bydel.
        known = bydel_names()
        self.bydel_codes = np.array(sorted(known), dtype=str)
        self.bydel_effect = rng.normal(0.0, SD_BYDEL, size=len(self.bydel_codes))
        self.bydel_of_kommune: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for kom in sorted({b[:4] for b in known}):
            idx = np.flatnonzero(np.char.startswith(self.bydel_codes, kom))
            w = np.array([BYDEL_WEIGHTS.get(self.bydel_codes[i], 10.0) for i in idx], dtype=float)
            self.bydel_of_kommune[int(np.flatnonzero(self.codes == kom)[0])] = (idx, w / w.sum())
        self.alesund = int(np.flatnonzero(self.codes == "1507")[0])

    def output_codes(self, aar: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Kommunenr per internal kommune index for ``aar``, and the code for 1507 persons in
        former Haram (None before 2024)."""
        if classification_year(aar) == 2020:
            return self.codes, None
        ch = kommune_changes()
        plain = ch[ch["type"] != "split"]
        mapping = dict(zip(plain["kommunenummer_2023"], plain["kommunenummer_2024"]))
        split = ch[ch["type"] == "split"]
        mapping["1507"] = "1508"
        if not {"1508", "1580"} <= set(split["kommunenummer_2024"]):
            raise RuntimeError("kommuneendringer: forventet deling av 1507 i 1508 og 1580")
        return np.array([mapping[c] for c in self.codes], dtype=str), np.array("1580")


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64, so distinct counters give distinct ids."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


class _IdSource:
    """Pseudonyms: a keyed bijective scramble of a running counter (unique over the whole run),
    shown as 16 hex digits. Nothing like a national id number."""

    def __init__(self, rng: np.random.Generator):
        self.key = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        self.next = 0

    def take(self, n: int) -> np.ndarray:
        ctr = np.arange(self.next, self.next + n, dtype=np.uint64)
        self.next += n
        return _mix64(ctr ^ self.key)


def _shared_uniforms(rng: np.random.Generator, n: int, k: int, share: float) -> np.ndarray:
    """n x k uniforms, each column U(0,1), columns equal to a common draw with prob ``share``."""
    common = rng.random((n, 1), dtype=np.float32)
    own = rng.random((n, k), dtype=np.float32)
    return np.where(rng.random((n, k)) < share, common, own)


def _latents(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    # Need: a person-level factor shared within work/education and within culture/leisure.
    root = rng.random(n, dtype=np.float32)
    pair = np.where(rng.random((n, 2)) < 0.5, root[:, None], rng.random((n, 2), dtype=np.float32))
    need = np.where(rng.random((n, 4)) < 0.7, pair[:, [0, 0, 1, 1]], rng.random((n, 4), dtype=np.float32))
    return {
        "u_need": need,
        "u_nonneed": _shared_uniforms(rng, n, 4, 0.7),
        "u_unrep": _shared_uniforms(rng, n, 4, 0.6),
        "u_cov": _shared_uniforms(rng, n, 4, 0.5),
        "u_split": rng.random((n, 4), dtype=np.float32),
    }


class _Persons:
    """The current recipients: parallel arrays."""

    def __init__(self, **arrays: np.ndarray):
        self.a = arrays

    def __len__(self) -> int:
        return len(self.a["pid"])

    def take(self, idx: np.ndarray) -> _Persons:
        return _Persons(**{k: v[idx] for k, v in self.a.items()})

    @staticmethod
    def concat(a: _Persons, b: _Persons) -> _Persons:
        return _Persons(**{k: np.concatenate([a.a[k], b.a[k]]) for k in a.a})


def _band_of_age(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([18, 50, 67, 80, 90]), age, side="right")


def _draw_ages(rng: np.random.Generator, band: np.ndarray) -> np.ndarray:
    age = np.empty(len(band), dtype=np.int64)
    for b, (lo, hi) in enumerate(BANDS):
        m = band == b
        ages = np.arange(lo, hi + 1)
        if b == len(BANDS) - 1:
            w = 0.78 ** (ages - lo)  # 90+: steeply falling
        elif b in (2, 3):
            w = 1.0 + 0.04 * (ages - lo)  # rising within 50-66 and 67-79
        else:
            w = np.ones(len(ages))
        age[m] = rng.choice(ages, size=int(m.sum()), p=w / w.sum())
    return age


def _entrants(rng: np.random.Generator, world: _World, cell_counts: np.ndarray, ids: _IdSource) -> _Persons:
    nb = len(BANDS)
    cell = np.repeat(np.arange(len(cell_counts)), cell_counts)
    n = len(cell)
    kom = cell // nb
    band = cell % nb
    age = _draw_ages(rng, band)
    kjonn = np.where(rng.random(n) < BAND_WOMEN[band], 2, 1).astype(np.int64)
    bydel = np.full(n, -1, dtype=np.int64)
    for k, (idx, w) in world.bydel_of_kommune.items():
        m = np.flatnonzero(kom == k)
        pick = idx[rng.choice(len(idx), size=len(m), p=w)]
        pick[rng.random(len(m)) < BYDEL_MISSING] = -1
        bydel[m] = pick
    haram = (kom == world.alesund) & (rng.random(n) < HARAM_SHARE)
    return _Persons(
        pid=ids.take(n),
        kom=kom,
        age=age,
        kjonn=kjonn,
        bydel=bydel,
        haram=haram,
        **_latents(rng, n),
    )


def _next_population(
    rng: np.random.Generator, world: _World, prev: _Persons | None, n_target: int, ids: _IdSource
) -> _Persons:
    nb = len(BANDS)
    target = world.cell_p * n_target
    if prev is None:
        return _entrants(rng, world, rng.multinomial(n_target, world.cell_p), ids)
    stay = rng.random(len(prev)) < CONTINUE_PROB[_band_of_age(prev.a["age"])]
    surv = prev.take(np.flatnonzero(stay))
    surv.a["age"] = surv.a["age"] + 1
    # Some renew their latent situation.
    renew = np.flatnonzero(rng.random(len(surv)) < LATENT_RENEW)
    for key, val in _latents(rng, len(renew)).items():
        surv.a[key][renew] = val
    if len(surv) > n_target:
        surv = surv.take(np.sort(rng.choice(len(surv), size=n_target, replace=False)))
    cells = surv.a["kom"] * nb + _band_of_age(surv.a["age"])
    have = np.bincount(cells, minlength=len(target))
    deficit = np.clip(target - have, 0.0, None)
    n_new = n_target - len(surv)
    p = deficit / deficit.sum() if deficit.sum() > 0 else world.cell_p
    return _Persons.concat(surv, _entrants(rng, world, rng.multinomial(n_new, p), ids))


def _codes_for_year(
    rng: np.random.Generator, world: _World, persons: _Persons, aar: int, year_noise: np.ndarray
) -> dict[str, np.ndarray]:
    """need/receives codes (int8, 0 = empty) for each indicator."""
    a = persons.a
    n = len(persons)
    kom = a["kom"]
    band = _band_of_age(a["age"])
    coarse = BAND_COARSE[band]
    t = aar - FIRST_DEMO_YEAR
    byd = a["bydel"]
    bydel_eff = np.where(byd >= 0, world.bydel_effect[np.maximum(byd, 0)], 0.0)
    out: dict[str, np.ndarray] = {}
    for i, (need_col, rec_col) in enumerate(zip(NEED_COLUMNS, RECEIVES_COLUMNS)):
        has_need = a["u_need"][:, i] < world.need_p[kom, i, band]
        u = a["u_nonneed"][:, i]
        empty = u < world.need_empty[kom]
        rel = (u - world.need_empty[kom]) / (1.0 - world.need_empty[kom])  # uniform on the rest
        not_relevant = rel < NOT_RELEVANT_SHARE[i, band]
        need = np.where(has_need, 1, np.where(empty, 0, np.where(not_relevant, 9, 2))).astype(np.int8)

        p_unrep = _expit(world.unrep_logit[kom, i] + UNREPORTED_TREND * t)
        p_cov = _expit(
            world.cov_logit[kom, i] + COVERAGE_AGE_EFFECT[coarse] + bydel_eff + COVERAGE_TREND * t + year_noise[kom]
        )
        unrep = a["u_unrep"][:, i] < p_unrep
        cov = a["u_cov"][:, i] < p_cov
        delvis = a["u_split"][:, i] < world.delvis_share[kom, i]
        rec = np.where(unrep, 0, np.where(cov, 1, np.where(delvis, 2, 3))).astype(np.int8)
        noise = rng.random(n) < RECEIVES_WITHOUT_NEED
        noise_code = np.where(rng.random(n) < 0.7, 3, 1).astype(np.int8)
        rec = np.where(has_need, rec, np.where(noise & (need != 0), noise_code, 0)).astype(np.int8)
        out[need_col] = need
        out[rec_col] = rec
    return out


def _hex_ids(pid: np.ndarray) -> pa.Array:
    raw = np.frombuffer(pid.astype(">u8").tobytes().hex().encode("ascii"), dtype="S16") if len(pid) else []
    return pa.array(raw, type=pa.binary(16)).cast(pa.string())


def _year_table(world: _World, persons: _Persons, aar: int, codes: dict[str, np.ndarray]) -> pa.Table:
    a = persons.a
    order = np.lexsort((a["pid"], a["kom"]))  # by kommune, then pseudonym: tidy and deterministic
    kom_codes, haram_code = world.output_codes(aar)
    kommunenr = kom_codes[a["kom"]]
    if haram_code is not None:
        kommunenr = np.where(a["haram"], haram_code, kommunenr)
    byd = a["bydel"]
    bydel_str = np.where(byd >= 0, world.bydel_codes[np.maximum(byd, 0)], "")
    n = len(persons)

    def text(values: np.ndarray, missing_empty: bool = False) -> pa.Array:
        values = values[order]
        return pa.array(values, type=pa.string(), mask=(values == "") if missing_empty else None)

    def code(values: np.ndarray) -> pa.Array:
        values = values[order]
        return pa.array(values, type=pa.int8(), mask=values == 0)

    cols = {
        "aar": pa.array(np.full(n, aar, dtype=np.int64)),
        "person_id": _hex_ids(a["pid"][order]),
        "kommunenr": text(kommunenr),
        "fodselsaar": pa.array((aar - a["age"][order]).astype(np.int64)),
        "kjonn": pa.array(a["kjonn"][order].astype(np.int64)),
        "bydelsnr": text(bydel_str, missing_empty=True),
    }
    for c in COLUMNS[6:]:
        cols[c] = code(codes[c])
    return pa.table(cols)


def _check_years(years: list[int]) -> list[int]:
    ys = sorted(set(int(y) for y in years))
    if not ys:
        raise ValueError("demo-data: ingen år oppgitt")
    if ys[0] < FIRST_DEMO_YEAR:
        raise ValueError(f"demo-data: år {ys[0]} støttes ikke; kvi har kommuneinndeling fra {FIRST_DEMO_YEAR}")
    for y in ys:
        kommuner(y)  # raises for years without a classification
    return ys


def make_demo_table(years: list[int], persons_per_year: int = 400_000, seed: int = 20241231) -> pa.Table:
    """The demo extract as a pyarrow Table (see ``make_demo_extract``)."""
    ys = _check_years(years)
    if persons_per_year < 1:
        raise ValueError("demo-data: persons_per_year må være minst 1")
    ss_world, ss_people = np.random.SeedSequence(seed).spawn(2)
    world_rng = np.random.default_rng(ss_world)
    world = _World(world_rng)
    rng = np.random.default_rng(ss_people)
    ref = min(ys[-1], max(NATIONAL_RECIPIENTS))  # the year that gets exactly persons_per_year
    ids = _IdSource(rng)
    persons: _Persons | None = None
    tables = []
    for aar in range(ys[0], ys[-1] + 1):
        n_target = max(1, int(round(persons_per_year * _national_factor(aar, ref))))
        persons = _next_population(rng, world, persons, n_target, ids)
        # Year noise in coverage comes from the world stream so it does not depend on size.
        year_noise = world_rng.normal(0.0, SD_COVERAGE_YEAR, size=len(world.codes))
        codes = _codes_for_year(rng, world, persons, aar, year_noise)
        if aar in ys:
            tables.append(_year_table(world, persons, aar, codes))
    return pa.concat_tables(tables)


def demo_kommune_effects(seed: int = 20241231) -> pd.DataFrame:
    """The per-kommune effects behind the demo data for ``seed`` (2020 codes), for checking that
    comparisons find them: coverage effect (logit, common to the indicators), unreported effect
    (logit), need multiplier, and the flags poor_reporter, low_coverage, few_needs. They do not
    depend on ``persons_per_year`` or the years."""
    world = _World(np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0]))
    return pd.DataFrame(
        {
            "kommunenr": world.codes,
            "coverage_effect": world.cov_logit.mean(axis=1) - _logit(COVERAGE_BASE).mean(),
            "unreported_effect": world.unrep_logit.mean(axis=1) - _logit(UNREPORTED_BASE).mean(),
            "need_multiplier": (world.need_p[:, :, 1] / NEED_PROB[None, :, 1]).mean(axis=1),
            "poor_reporter": np.isin(world.codes, world.poor_reporters),
            "low_coverage": np.isin(world.codes, world.low_coverage),
            "few_needs": np.isin(world.codes, world.few_needs),
        }
    )


def make_demo_extract(years: list[int], persons_per_year: int = 400_000, seed: int = 20241231) -> pd.DataFrame:
    """A SYNTHETIC person extract in the input format of docs/DATA_CONTRACT.md §1.

    One row per person and year. ``persons_per_year`` persons in the newest requested year that has
    a national KPR count (2024 by default); other years scaled by the national series. Same
    arguments give the same data. Columns: aar, fodselsaar, kjonn (int64); person_id, kommunenr,
    bydelsnr (str, bydelsnr None where empty); kode_09..kode_16 (nullable Int8, <NA> = empty).
    """
    table = make_demo_table(years, persons_per_year, seed)
    assert table.column_names == COLUMNS
    return table.to_pandas(types_mapper={pa.int8(): pd.Int8Dtype()}.get)


def write_demo_extract(out: Path, years: list[int], persons_per_year: int = 400_000, seed: int = 20241231) -> None:
    """Write the demo extract to ``out`` (CSV, or Parquet if it ends with .parquet) and a sidecar
    ``<out>.metadata.json`` that marks it as synthetic."""
    out = Path(out)
    ys = _check_years(years)
    table = make_demo_table(ys, persons_per_year, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        pq.write_table(table, out, compression="zstd")
    else:
        # Header written by hand: pyarrow would quote the column names. No value needs quoting.
        with open(out, "wb") as fh:
            fh.write((",".join(table.column_names) + "\n").encode("utf-8"))
            pacsv.write_csv(
                table,
                fh,
                write_options=pacsv.WriteOptions(include_header=False, delimiter=",", quoting_style="none"),
            )
    meta = {
        "syntetisk": True,
        "generator": "kvi demo-data",
        "seed": seed,
        "years": ys,
        "persons_per_year": persons_per_year,
    }
    meta_path = Path(f"{out}.metadata.json")
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"Skrev {table.num_rows} rader ({ys[0]}-{ys[-1]}, seed {seed}) til {out} og {meta_path.name}: "
        "SYNTETISKE data (SYNTHETIC), ikke ekte personer."
    )
