"""The disclosure audit: constructed leaks, an independent LP reference, the folder audit and CLI."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from kvi_core.disclosure.audit_command import audit_directory, print_audit
from kvi_core.disclosure.intervals import audit_cells
from kvi_core.errors import KviInputError
from kvi_core.indicators import aggregate
from kvi_core.output import share_percent
from kvi_core.specs import AGE_GROUPS, CATEGORIES, INNER_AGE_GROUPS

# --- helpers (small hand-made geographies) -------------------------------------------------------


def geo(kommuner: dict[str, tuple[str, str]], bydeler: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """members for {kommunenr: (fylke, kostragruppe)}, optionally with bydeler + a residual unit."""
    bydeler = bydeler or {}
    rows = []
    for k, (f, g) in sorted(kommuner.items()):
        units = [k]
        if k in bydeler:
            units = list(bydeler[k]) + [f"{k}-uten-bydel"]
            rows += [(b, "bydel", b, f"Bydel {b}") for b in bydeler[k]]
        for u in units:
            rows += [
                (u, "land", "EAK", "Hele landet"),
                (u, "fylke", f, f"Fylke {f}"),
                (u, "kostragruppe", g, f"Gruppe {g}"),
                (u, "kommune", k, f"Kommune {k}"),
            ]
    return pd.DataFrame(rows, columns=["unit", "niva", "region", "region_navn"])


def inner_counts(members: pd.DataFrame, counts: dict, default=0) -> pd.DataFrame:
    """The complete inner grid; ``counts`` maps (unit, aldersgruppe, kategori) to a count."""
    units = sorted(members["unit"].unique())
    rows = [
        (u, a, c, counts.get((u, a, c), default(u, a, c) if callable(default) else default))
        for u in units
        for a in INNER_AGE_GROUPS
        for c in CATEGORIES
    ]
    return pd.DataFrame(rows, columns=["unit", "aldersgruppe", "kategori", "antall"])


def hide_small(cells: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """The naive pattern: hide 1..threshold-1 and nothing else."""
    v = cells["antall"]
    return cells.assign(antall=v.where(~v.between(1, threshold - 1)).astype(float))


def found(findings: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(findings["region"], findings["aldersgruppe"], findings["kategori"]))


def cell_rows(members: pd.DataFrame, units: list[str], offset: int, n: int):
    """row(region, aldersgruppe, kategori): the 0/1 vector (length n) of a cell over the inner cells
    (unit × 3 age groups × 4 categories) of one year's ``units``, placed from ``offset``."""
    region_units = members.groupby("region")["unit"].apply(list).to_dict()

    def row(region, age, kat):
        v = np.zeros(n)
        ages = range(3) if age == "alle" else [INNER_AGE_GROUPS.index(age)]
        cats = range(4) if kat == "nevner" else [CATEGORIES.index(kat)]
        for u in region_units[region]:
            for a in ages:
                for c in cats:
                    v[offset + units.index(u) * 12 + a * 4 + c] = 1
        return v

    return row


def reference_pinned(published: pd.DataFrame, members: pd.DataFrame) -> set[tuple[str, str, str]]:
    """An independent implementation of the definition with scipy's linprog, one LP per bound:
    variables are all inner cells ≥ 0, published cells are equations, hidden cells are ≥ 1; a
    hidden cell is pinned when its [min, max] holds only one whole number."""
    units = sorted(members["unit"].unique())
    row = cell_rows(members, units, 0, len(units) * 12)
    shown = published[published["antall"].notna()]
    hidden = published[published["antall"].isna()]
    a_eq = np.array([row(*k) for k in zip(shown["region"], shown["aldersgruppe"], shown["kategori"])])
    b_eq = shown["antall"].to_numpy(float)
    hid_rows = [row(*k) for k in zip(hidden["region"], hidden["aldersgruppe"], hidden["kategori"])]
    a_ub = -np.array(hid_rows) if hid_rows else None
    b_ub = -np.ones(len(hid_rows)) if hid_rows else None
    out = set()
    for key, obj in zip(zip(hidden["region"], hidden["aldersgruppe"], hidden["kategori"]), hid_rows):
        lo = linprog(obj, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)
        if hi.status == 3:  # unbounded above: free
            continue
        if math.floor(-hi.fun + 1e-6) - math.ceil(lo.fun - 1e-6) < 1:
            out.add(key)
    return out


def big(u, a, c):
    """A comfortable count everywhere (nothing primary)."""
    return 10 + 3 * INNER_AGE_GROUPS.index(a) + CATEGORIES.index(c)


# --- constructed leaks ---------------------------------------------------------------------------

# a 2x2 rectangle of small cells in one kommune: row 0-17 says x + y = 2 with x, y >= 1
TWO_SUMMING_TO_TWO = {
    ("0101", "0-17", "innfridd"): 1,
    ("0101", "0-17", "delvis"): 1,
    ("0101", "18-66", "innfridd"): 1,
    ("0101", "18-66", "delvis"): 2,
}

KOM = {"0101": ("EKA01", "EKG01"), "0102": ("EKA01", "EKG01"), "0103": ("EKA01", "EKG02"), "0201": ("EKA02", "EKG02")}


def test_single_hidden_category_under_a_shown_total_is_found_exactly():
    m = geo(KOM)
    cells = aggregate(inner_counts(m, {("0101", "18-66", "delvis"): 3}, default=big), m)
    f = audit_cells(hide_small(cells), m)
    row = f[(f.region == "0101") & (f.aldersgruppe == "18-66") & (f.kategori == "delvis")]
    assert len(row) == 1 and row.nedre.iloc[0] == row.ovre.iloc[0] == 3


def test_two_hidden_ones_whose_sum_is_two_are_both_pinned():
    # a 2x2 rectangle of small cells in a kommune that is alone in its fylke and group: no cell
    # is a linear combination of shown ones, but row 0-17 gives x + y = 2 with x, y >= 1
    m = geo({"0101": ("EKA01", "EKG01")})
    cells = aggregate(inner_counts(m, TWO_SUMMING_TO_TWO, default=big), m)
    pub = hide_small(cells)
    f = audit_cells(pub, m)
    assert {
        ("0101", "0-17", "innfridd"),
        ("0101", "0-17", "delvis"),
        ("0101", "18-66", "innfridd"),
        ("0101", "18-66", "delvis"),
    } <= found(f)
    row = f[(f.region == "0101") & (f.aldersgruppe == "18-66") & (f.kategori == "delvis")]
    assert row.nedre.iloc[0] == row.ovre.iloc[0] == 2
    assert found(f) == reference_pinned(pub, m)


def test_rectangle_away_from_the_bound_is_safe():
    m = geo({"0101": ("EKA01", "EKG01")})
    small = {
        ("0101", "0-17", "innfridd"): 2,
        ("0101", "0-17", "delvis"): 3,
        ("0101", "18-66", "innfridd"): 3,
        ("0101", "18-66", "delvis"): 2,
    }
    pub = hide_small(aggregate(inner_counts(m, small, default=big), m))
    assert audit_cells(pub, m).empty and reference_pinned(pub, m) == set()


def test_sum_of_two_hidden_not_at_the_bound_is_not_a_finding():
    # x + y = 5 with x, y >= 1 leaves both in [1, 4]: not pinned (and nothing else is derivable)
    m = geo({"0101": ("EKA01", "EKG01")})
    cells = aggregate(inner_counts(m, {("0101", "0-17", "innfridd"): 3, ("0101", "0-17", "delvis"): 2}), m)
    pub = cells.assign(antall=cells["antall"].astype(float))
    hide = (pub.aldersgruppe.isin(["0-17", "alle"])) & pub.kategori.isin(["innfridd", "delvis"])
    pub.loc[hide, "antall"] = np.nan
    assert audit_cells(pub, m).empty
    assert reference_pinned(pub, m) == set()


def test_fylke_minus_kostragruppe_difference_is_found():
    # fylke EKA01 = {0101, 0102, 0103}, group EKG01 = {0101, 0102}: EKA01 - EKG01 = 0103
    m = geo(KOM)
    cells = aggregate(inner_counts(m, {("0103", "67+", "ikke_innfridd"): 2}, default=big), m)
    f = audit_cells(hide_small(cells), m)
    assert ("0103", "67+", "ikke_innfridd") in found(f)


def test_identical_cells_one_hidden_one_shown_is_pinned():
    # a kommune alone in its KOSTRA group: hiding the kommune cell but showing the group cell
    m = geo({"0101": ("EKA01", "EKG01"), "0201": ("EKA02", "EKG02")})
    cells = aggregate(inner_counts(m, {}, default=big), m)
    pub = cells.assign(antall=cells["antall"].astype(float))
    i = pub.index[(pub.region == "0201") & (pub.aldersgruppe == "alle") & (pub.kategori == "nevner")]
    pub.loc[i, "antall"] = np.nan
    f = audit_cells(pub, m)
    assert found(f) == {("0201", "alle", "nevner")}
    assert f.nedre.iloc[0] == f.ovre.iloc[0] == cells.loc[i, "antall"].iloc[0]


def test_the_attackers_system_follows_its_columns_also_when_a_list_changes():
    """``intervals._system``: inner rows 0, 1, 2; row 0 shown as 2, rows 1 and 2 hidden (each ≥ 1),
    their sum 5 shown. The unknowns are rows 1 and 2, the sum says x1 + x2 = 3, and each target is
    one unknown. The rows of each column are read once per list of columns and remembered; a list
    changed in place is read again: with the sum over rows 1 and 2 only, x1 + x2 = 5."""
    from kvi_core.disclosure import intervals

    cols = [(0,), (1,), (2,), (0, 1, 2)]
    published = np.array([True, False, False, True])
    values = np.array([2.0, np.nan, np.nan, 5.0])

    def system():
        s = intervals._system(cols, published, values, [1, 2], 3)
        eqs = [(e.col, e.var.tolist(), e.rhs, e.known) for e in s.eqs]
        return s.var_rows.tolist(), s.lower.tolist(), eqs, [(t.col, t.var.tolist(), t.rhs) for t in s.targets]

    assert system() == ([1, 2], [1.0, 1.0], [(3, [0, 1], 3.0, (0,))], [(1, [0], 0.0), (2, [1], 0.0)])
    cols[3] = (1, 2)
    assert system()[2] == [(3, [0, 1], 5.0, ())]


def test_nothing_hidden_or_zeros_only():
    m = geo(KOM)
    cells = aggregate(inner_counts(m, {}, default=0), m)
    assert audit_cells(cells.assign(antall=cells["antall"].astype(float)), m).empty


def test_bydel_residual_protects_unless_the_difference_is_one():
    """Bydel 030101 hidden whole: Oslo - 030102 = 030101 + residual, the residual (never
    published) only known to be >= 0. A difference of 1 pins the bydel's cell at 1; 3 does not."""
    m = geo({"0301": ("EKA03", "EKG13"), "1101": ("EKA11", "EKG13")}, {"0301": ["030101", "030102"]})
    for residual, pinned in ((0, True), (2, False)):
        counts = {("030101", "0-17", "delvis"): 1, ("0301-uten-bydel", "0-17", "delvis"): residual}
        cells = aggregate(inner_counts(m, counts, default=big), m)
        pub = cells.assign(antall=cells["antall"].astype(float).where(cells.region != "030101"))
        f = found(audit_cells(pub, m))
        assert (("030101", "0-17", "delvis") in f) == pinned
        assert f == reference_pinned(pub, m)


# --- property: the audit agrees with an independent LP on small random tables --------------------


@st.composite
def small_tables(draw):
    n = draw(st.integers(1, 3))
    kom = {f"0{i + 1}01": (f"EKA0{draw(st.integers(1, 2))}", f"EKG0{draw(st.integers(1, 2))}") for i in range(n)}
    m = geo(kom)
    values = draw(st.lists(st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4, 5, 7, 12]), min_size=12 * n, max_size=12 * n))
    inner = inner_counts(m, {})
    inner["antall"] = values
    return m, inner


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables())
def test_audit_matches_reference_on_naive_pattern(table):
    m, inner = table
    pub = hide_small(aggregate(inner, m))
    assert found(audit_cells(pub, m)) == reference_pinned(pub, m)


def test_naive_pattern_leaks_are_common():
    """The audit is not vacuous: 'hide 1-4' leaks in most small random tables."""
    rng = np.random.default_rng(3)
    leaky = 0
    for _ in range(10):
        m = geo({"0101": ("EKA01", "EKG01"), "0201": ("EKA01", "EKG02"), "0301": ("EKA02", "EKG01")})
        inner = inner_counts(m, {})
        inner["antall"] = rng.choice([0, 1, 2, 3, 6, 9, 15], size=len(inner))
        leaky += not audit_cells(hide_small(aggregate(inner, m)), m).empty
    assert leaky >= 8


# --- the folder audit and the CLI ---------------------------------------------------------------


def write_folder(path, cells: pd.DataFrame, members: pd.DataFrame, hidden: pd.Series, aar=2024):
    """indikatorer.csv (contract §4 long format, nevner on the category rows) + regioner.csv."""
    c = cells.assign(hidden=hidden.to_numpy())
    tot = c[c.kategori == "nevner"].set_index(["region", "aldersgruppe"])
    rows = c[c.kategori != "nevner"].reset_index(drop=True)
    key = pd.MultiIndex.from_arrays([rows.region, rows.aldersgruppe])
    nev = tot.loc[key]
    table = pd.DataFrame(
        {
            "indikator": "test_ind",
            "aar": aar,
            "niva": rows.niva,
            "region": rows.region,
            "region_navn": rows.region_navn,
            "maltall": [
                CATEGORIES.index(k) * 4 + AGE_GROUPS.index(a) + 1 for k, a in zip(rows.kategori, rows.aldersgruppe)
            ],
            "kategori": rows.kategori,
            "aldersgruppe": rows.aldersgruppe,
            "antall": pd.array(np.where(rows.hidden, pd.NA, rows.antall), dtype="Int64"),
            "nevner": pd.array(np.where(nev.hidden.to_numpy(), pd.NA, nev.antall.to_numpy()), dtype="Int64"),
            "andel": "",
            "prikket": rows.hidden,
        }
    )
    shown = table["antall"].notna() & table["nevner"].notna() & (table["nevner"] > 0)
    table.loc[shown, "andel"] = share_percent(
        table.loc[shown, "antall"].astype(int), table.loc[shown, "nevner"].astype(int)
    )
    path.mkdir(exist_ok=True)
    (path / "metadata.json").write_text('{"prikket": true}', encoding="utf-8")
    table.to_csv(path / "indikatorer.csv", index=False)
    members.assign(aar=aar)[["aar", "unit", "niva", "region", "region_navn"]].to_csv(path / "regioner.csv", index=False)


def test_audit_directory_finds_and_reports(tmp_path):
    m = geo(KOM)
    cells = aggregate(inner_counts(m, {("0101", "18-66", "delvis"): 3}, default=big), m)
    write_folder(tmp_path, cells, m, cells["antall"].between(1, 4))
    f = audit_directory(tmp_path)
    assert list(f.columns) == ["indikator", "aar", "periode", "region", "aldersgruppe", "kategori", "nedre", "ovre"]
    assert ("0101", "18-66", "delvis") in found(f)
    assert set(f.indikator) == {"test_ind"} and set(f.aar) == {2024}
    buf = io.StringIO()
    print_audit(f, buf)
    text = buf.getvalue()
    assert "Kontrollert 1 tabeller" in text and "0101 18-66 delvis: 3" in text


def test_audit_directory_safe_and_cli_exit_codes(tmp_path):
    from kvi_core.cli import main
    from kvi_core.disclosure.suppression import suppress

    m = geo(KOM)
    inner = inner_counts(m, {("0101", "18-66", "delvis"): 3, ("0102", "0-17", "innfridd"): 1}, default=big)
    cells = suppress(inner, m)
    write_folder(tmp_path / "ok", cells.drop(columns=["hidden", "reason"]), m, cells["hidden"])
    f = audit_directory(tmp_path / "ok")
    assert f.empty
    buf = io.StringIO()
    print_audit(f, buf)
    assert "trygg" in buf.getvalue()
    assert main(["audit", str(tmp_path / "ok")]) == 0
    write_folder(tmp_path / "naive", aggregate(inner, m), m, aggregate(inner, m)["antall"].between(1, 4))
    assert main(["audit", str(tmp_path / "naive")]) == 1


def test_audit_directory_unusable_input(tmp_path):
    with pytest.raises(KviInputError, match="finner ikke"):
        audit_directory(tmp_path / "nope")
    with pytest.raises(KviInputError, match="indikatorer.csv"):
        audit_directory(tmp_path)
    (tmp_path / "indikatorer.csv").write_text("indikator,aar\nx,2024\n")
    (tmp_path / "regioner.csv").write_text("aar,unit,niva,region,region_navn\n")
    with pytest.raises(KviInputError, match="mangler kolonne"):
        audit_directory(tmp_path)


def test_audit_rebuilds_the_true_table_only_when_it_adds_up():
    """kvi audit rebuilds the true inner table from shown cells and the reasons file's true values
    (a feasible point that saves LPs); a reasons file that does not add up is not used as one."""
    from kvi_core.disclosure.audit_command import _inner_of
    from kvi_core.disclosure.suppression import suppress

    m = geo({"0101": ("EKA01", "EKG01"), "0102": ("EKA01", "EKG02"), "0201": ("EKA02", "EKG01")})
    inner = inner_counts(m, {("0101", "18-66", "delvis"): 3, ("0102", "0-17", "innfridd"): 2}, default=9)
    cells = suppress(inner, m)
    truth = cells["antall"].to_numpy(dtype=float)
    rebuilt = _inner_of(cells[["region", "aldersgruppe", "kategori"]], truth, m)
    assert rebuilt is not None and int(rebuilt["antall"].sum()) == int(inner["antall"].sum())
    tampered = truth.copy()
    tampered[np.flatnonzero(cells["hidden"].to_numpy())[0]] += 1
    assert _inner_of(cells[["region", "aldersgruppe", "kategori"]], tampered, m) is None


def test_audit_finds_the_reasons_file_of_a_reports_folder_or_says_it_is_missing(tmp_path, capsys):
    """`kvi reports --out OUT` writes the tables to OUT/tabeller and the reasons to OUT-intern:
    `kvi audit OUT/tabeller` finds them there (rule intervall checked with the true counts); moved
    away, the audit says in one line that it can only check "not pinned", and --intern finds them."""
    from conftest import HAND_ROWS, write_extract

    from kvi_core.cli import main
    from kvi_core.pipeline import compute

    out = tmp_path / "rapporter"
    ext = write_extract(HAND_ROWS, tmp_path / "x.csv")
    compute(ext, out / "tabeller", intern_dir=tmp_path / "rapporter-intern", quiet=True)
    assert audit_directory(out / "tabeller").attrs["summary"]["regel"] == "intervall"
    (tmp_path / "rapporter-intern").rename(tmp_path / "qa")
    assert audit_directory(out / "tabeller").attrs["summary"]["regel"] == "eksakt"
    capsys.readouterr()
    assert main(["audit", str(out / "tabeller")]) == 0
    err = [ln for ln in capsys.readouterr().err.strip().splitlines() if not ln.startswith("kvi: kontroll [")]
    assert len(err) == 1 and "regel intervall" in err[0] and "--intern" in err[0]
    assert main(["audit", str(out / "tabeller"), "--intern", str(tmp_path / "qa")]) == 0
    assert [ln for ln in capsys.readouterr().err.splitlines() if not ln.startswith("kvi: kontroll [")] == []


def test_a_slow_audit_shows_its_progress_and_a_quick_one_stays_quiet(tmp_path, monkeypatch):
    """One stderr line per indicator's linked years and periods (its annual tables are audited in
    that linked system, not again on their own), once the audit has run for a few seconds
    (``PROGRESS_AFTER``); a quick audit prints only its result."""
    from conftest import row, write_extract

    from kvi_core.disclosure import audit_command
    from kvi_core.pipeline import compute

    rows = [
        row(f"{aar}-{k}-{i}", k, "1980", "1", str(1 + i % 3), aar=aar)
        for aar in ("2022", "2023", "2024")
        for k in ("0301", "1103")
        for i in range(9)
    ]
    compute(write_extract(rows, tmp_path / "x.csv"), tmp_path / "ut", quiet=True)
    quiet = io.StringIO()
    monkeypatch.setattr(audit_command, "PROGRESS_AFTER", 1e9)
    audit_directory(tmp_path / "ut", progress=quiet)
    assert quiet.getvalue() == ""
    monkeypatch.setattr(audit_command, "PROGRESS_AFTER", 0.0)
    err = io.StringIO()
    found = audit_directory(tmp_path / "ut", progress=err)
    lines = err.getvalue().splitlines()
    n_ind = found.attrs["summary"]["tabeller"] // 4  # per indicator: 3 years and 1 period
    assert len(lines) == n_ind and n_ind >= 1
    assert all(re.fullmatch(r"kvi: kontroll \[\d+/\d+\] \S+ år og treårsperioder ferdig \(\d+ s\)", ln) for ln in lines)
    assert lines[-1].startswith(f"kvi: kontroll [{n_ind}/{n_ind}] ")


@pytest.mark.parametrize("rule", ["eksakt", "intervall"])
def test_print_audit_names_what_was_checked(rule):
    """A clean audit says which rule it checked: under ``intervall`` also the primary cells' spans;
    under ``eksakt`` (or a folder audited without its reasons file) only that nothing is pinned."""
    empty = pd.DataFrame(columns=["indikator", "aar", "periode", "region", "aldersgruppe", "kategori", "nedre", "ovre"])
    empty.attrs["summary"] = {"tabeller": 2, "celler": 10, "prikket": 3, "regel": rule}
    buf = io.StringIO()
    print_audit(empty, buf)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "Kontrollert 2 tabeller (indikator og år eller treårsperiode) med 10 celler, hvorav 3 prikket."
    assert lines[1].endswith("Prikkingen er trygg.")
    assert ("regel intervall" in lines[1]) == (rule == "intervall")
    short = pd.DataFrame([["x", 2024, "", "0101", "alle", "delvis", 1.0, 2.0]], columns=empty.columns).astype(
        {"aar": int}
    )
    short.attrs["summary"] = empty.attrs["summary"]
    buf = io.StringIO()
    print_audit(short, buf)
    assert ("snevrere" in buf.getvalue()) == (rule == "intervall")
    assert "x 2024 0101 alle delvis: mellom 1 og 2" in buf.getvalue()
