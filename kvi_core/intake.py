"""Reading and validating the person extract (DATA_CONTRACT §1).

Every input row ends up either in the validated person table or in the rejection list with its
row number, column, value and reason; an excluded indicator value is listed too. Unusable input
(no file, empty, binary, a required column missing) raises KviInputError with one clear line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from kvi_core import geography
from kvi_core.errors import KviInputError
from kvi_core.specs import IndicatorSpec

CODE_COLUMNS = tuple(f"kode_{i:02d}" for i in range(9, 17))
REQUIRED_COLUMNS = ("aar", "person_id", "kommunenr", "fodselsaar") + CODE_COLUMNS
MIN_AGE, MAX_AGE = 0, 125
# Identifier columns are always text (leading zeros matter); the rest may arrive as numbers.
TEXT_COLUMNS = ("person_id", "kommunenr", "bydelsnr")
SMALL_TYPES = {"aar": pa.int16(), "fodselsaar": pa.int16(), "kjonn": pa.int8(), **{c: pa.int8() for c in CODE_COLUMNS}}
SMALL_PANDAS = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype()}
TEXT = pd.StringDtype("pyarrow")  # Arrow-backed text: vectorised string kernels, ~50x faster than object


@dataclass
class Extract:
    """A validated extract.

    persons: one row per accepted person-year: ``rad, aar, kommunenr, bydelsnr`` (empty
    string when none or excluded), ``alder`` and the code columns as float (NaN = empty).
    excluded: for each indicator id, a boolean array over ``persons`` rows that must be left out of it.
    rejections: ``rad, person_id, kolonne, verdi, arsak`` (contract §6).
    """

    persons: pd.DataFrame
    excluded: dict[str, np.ndarray]
    rejections: pd.DataFrame
    rows_in: int
    years: list[int]  # every statistics year kvi can place that the input names, used rows or not

    @property
    def rows_rejected(self) -> int:
        return int(self.rejections.loc[self.rejections["avvist_rad"], "rad"].nunique()) if len(self.rejections) else 0

    def summary(self) -> str:
        n_excl = int((~self.rejections["avvist_rad"]).sum()) if len(self.rejections) else 0
        return (
            f"{self.rows_in} rader lest: {len(self.persons)} brukt, {self.rows_rejected} avvist"
            f" (se avvist.csv); {n_excl} enkeltverdier utelatt"
        )


# --- reading ----------------------------------------------------------------------------------


def _sniff(head: bytes) -> tuple[str, str]:
    """Encoding and separator of a CSV from its first bytes."""
    try:
        text = head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # a multi-byte sequence cut at the end of the sample is not a reason to leave UTF-8
        if exc.start >= len(head) - 3:
            text, encoding = head[: exc.start].decode("utf-8-sig"), "utf-8-sig"
        else:
            text, encoding = head.decode("cp1252", errors="replace"), "cp1252"
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    return encoding, sep


def rows_hint(path: str | Path) -> int:
    """About how many rows the extract has, without reading it (0 when that cannot be told): the
    row count a Parquet file's footer states, or the line breaks of a CSV. Only for deciding early
    whether the run needs worker processes (``pipeline.outputs``); ``read_raw`` checks the file."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if fh.read(4) == b"PAR1" or path.suffix.lower() == ".parquet":
                import pyarrow.parquet as pq

                return int(pq.ParquetFile(path).metadata.num_rows)
            fh.seek(0)
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except Exception:  # noqa: BLE001 - unreadable here: read_raw says why, in one line
        return 0


def read_raw(path: str | Path) -> pd.DataFrame:
    """The extract as text columns (empty string for empty), in input order, with nothing dropped."""
    path = Path(path)
    if not path.exists():
        raise KviInputError(f"finner ikke inndatafilen {path}")
    if path.is_dir():
        raise KviInputError(f"{path} er en mappe, ikke en fil")
    size = path.stat().st_size
    if size == 0:
        raise KviInputError(f"inndatafilen {path} er tom")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head[:4] == b"PAR1" or path.suffix.lower() == ".parquet":
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable Parquet file is one line
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise KviInputError(
                f"kan ikke lese Parquet-filen {path}: filen er ødelagt eller avkortet ({type(exc).__name__}"
                f"{': ' + detail if detail else ''}); lag uttrekket på nytt"
            ) from None
        _no_duplicate_columns([str(c) for c in df.columns], path)
        return _normalise(df)
    other = _other_encoding(head)
    if other:
        raise KviInputError(
            f"inndatafilen {path} er kodet som {other}; lagre den som UTF-8 eller Latin-1 (cp1252) og prøv igjen"
        )
    control = sum(head.count(bytes([b])) for b in (*range(9), *range(14, 32)))
    if control > max(2, len(head) // 100):  # a stray NUL is a bad value; many control bytes mean binary
        raise KviInputError(f"inndatafilen {path} er ikke en tekstfil (CSV) eller Parquet")
    encoding, sep = _sniff(head)
    try:
        table, skipped = _read_typed(path, encoding, sep)
    except _NotUtf8Error:
        # the first 64 KiB looked like UTF-8 but a later byte is not: a Latin-1 (cp1252) export
        table, skipped = _read_typed(path, "cp1252", sep)
    df = _normalise(table.to_pandas(types_mapper=_text_mapper))
    df.attrs["skipped_rows"] = skipped
    return df


class _NotUtf8Error(Exception):
    pass


_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian, med BOM)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian, med BOM)"),
    (b"\xfe\xff", "UTF-16 (big-endian, med BOM)"),
    (b"\xff\xfe", "UTF-16 (little-endian, med BOM)"),
)


def _other_encoding(head: bytes) -> str:
    """The name of a text encoding kvi does not read (UTF-16/32), from its BOM or, without one, from
    the pattern of zero bytes that ASCII text has in it; '' for anything else."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    sample = head[:4096]
    if len(sample) >= 8 and sample.count(0) >= len(sample) // 3:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > 0.8 * len(sample) / 2 and even < 0.1 * len(sample) / 2:
            return "UTF-16 (little-endian, uten BOM)"
        if even > 0.8 * len(sample) / 2 and odd < 0.1 * len(sample) / 2:
            return "UTF-16 (big-endian, uten BOM)"
    return ""


def _no_duplicate_columns(header: list[str], path: Path) -> None:
    seen: set[str] = set()
    for h in header:
        c = _clean(str(h))
        if c in seen:
            raise KviInputError(f"kolonnen {c!r} står mer enn én gang i overskriften i {path}; fjern den ene")
        seen.add(c)


def _read_typed(path: Path, encoding: str, sep: str) -> tuple[pa.Table, list]:
    read = pacsv.ReadOptions(encoding="utf8" if encoding == "utf-8-sig" else encoding)
    parse = pacsv.ParseOptions(delimiter=sep)
    header = _header(path, sep, encoding)
    _no_duplicate_columns(header, path)
    text = {c: pa.string() for c in header}
    # Fast path: the usual clean extract fits small integer types. Any value that does not
    # (a typo, '1.5', 'NaN', a huge number) makes Arrow refuse, and the file is read again with
    # every column as text, which validation checks value by value against the contract's forms
    # (Arrow's own number parsing would take 'NaN', 'inf' or '1e0' as numbers).
    small = {c: SMALL_TYPES[_clean(c)] for c in header if _clean(c) in SMALL_TYPES}
    ids = {c: pa.string() for c in header if _clean(c) in TEXT_COLUMNS}
    for types in ({**small, **ids}, text):
        try:
            return _read_csv(path, read, parse, types), []
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "UTF8" in msg and encoding == "utf-8-sig":
                raise _NotUtf8Error() from None
            if "straddling" in msg or "straddles" in msg:
                raise KviInputError(
                    f"kan ikke lese CSV-filen {path}: en rad er lengre enn {read.block_size // (1 << 20)} MB "
                    "(ødelagt fil, feil skilletegn eller et anførselstegn som ikke lukkes); rett filen og prøv igjen"
                ) from None
            if "Expected" in msg and "columns" in msg:
                # a row with the wrong number of fields: read again on one thread, which knows row
                # numbers, and list every such row instead of stopping
                return _read_csv_skipping_bad_rows(path, read, parse, text, sep, header)
            if types is text or "conversion error" not in msg.lower():
                raise KviInputError(f"kan ikke lese CSV-filen {path}: {msg.splitlines()[0]}") from None
        except UnicodeDecodeError as exc:
            raise KviInputError(f"kan ikke lese CSV-filen {path}: {exc}") from None
    raise AssertionError("unreachable")


def _read_csv(path: Path, read, parse, types: dict) -> pa.Table:
    return pacsv.read_csv(
        path,
        read_options=read,
        parse_options=parse,
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],  # only an empty field is empty; "NA" is a value (and then a fault)
            strings_can_be_null=False,
        ),
    )


def _read_csv_skipping_bad_rows(path: Path, read, parse, text: dict, sep: str, header: list[str]):
    """Read with every column as text, one thread, skipping rows with the wrong number of fields.
    Returns the table and, for each skipped row, (row number with header = 0, person_id or '', fields)."""
    skipped: list[tuple[int, str, int]] = []
    pid_pos = [_clean(h) for h in header].index("person_id") if "person_id" in map(_clean, header) else None

    def handler(row) -> str:
        fields = row.text.split(sep)
        pid = fields[pid_pos].strip() if pid_pos is not None and pid_pos < len(fields) else ""
        skipped.append((int(row.number) - 1, pid, int(row.actual_columns)))
        return "skip"

    one = pacsv.ReadOptions(encoding=read.encoding, use_threads=False)
    bad_rows = pacsv.ParseOptions(delimiter=parse.delimiter, invalid_row_handler=handler)
    try:
        table = _read_csv(path, one, bad_rows, {c: pa.string() for c in header})
    except pa.ArrowInvalid as exc:
        raise KviInputError(f"kan ikke lese CSV-filen {path}: {str(exc).splitlines()[0]}") from None
    return table, skipped


def _clean(name: str) -> str:
    return name.strip().lstrip("\ufeff")


def _text_mapper(t: pa.DataType):
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return TEXT
    return SMALL_PANDAS.get(t)


def _header(path: Path, sep: str, encoding: str) -> list[str]:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        return next(csv.reader(fh, delimiter=sep), [])


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Column names stripped; every column either numeric (NaN = empty) or Arrow text ("" = empty)."""
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    for c in df.columns:
        s = df[c]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if c in TEXT_COLUMNS and numeric:  # e.g. a Parquet file with kommunenr as integers
            df[c] = _format_numbers(s.to_numpy(dtype="float64", na_value=np.nan)).astype(TEXT)
        elif numeric:
            if not isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
                df[c] = s.astype("float64")
        elif s.dtype != TEXT:
            df[c] = s.astype(object).where(s.notna(), "").astype(str).astype(TEXT)
    return df


def _format_numbers(v: np.ndarray) -> pd.Series:
    """Numbers as the text a person would write: integral without '.0', NaN as empty."""
    integral = np.isfinite(v) & (v == np.round(v))
    txt = v.astype(str).astype(object)
    txt[integral] = v[integral].astype("int64").astype(str)
    txt[np.isnan(v)] = ""
    return pd.Series(txt)


# --- validation -------------------------------------------------------------------------------


def arrow_of(text: pd.Series) -> pa.ChunkedArray:
    """The Arrow data behind an Arrow-backed text column, without copying."""
    data = getattr(text.array, "_pa_array", None)
    if isinstance(data, pa.ChunkedArray):
        return data if data.type == pa.string() else data.cast(pa.string())
    return pa.chunked_array([pa.array(text.astype(str).to_numpy(dtype=object), type=pa.string())])


def _as_int(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values as float, ok, empty): ok means a whole number written as the contract has it: digits,
    an optional ``.0``, surrounding spaces (``7``, `` 07 ``, ``7.0``); ``NaN``, ``1e0``, ``inf``,
    ``0x1``, ``1,0``, ``+1`` are not."""
    if col.dtype != TEXT:
        v = col.to_numpy(dtype="float64", na_value=np.nan)
        empty = np.isnan(v)
        return v, ~empty & np.isfinite(v) & (v == np.round(v)), empty
    trimmed = pc.utf8_trim_whitespace(arrow_of(col))
    ok = pc.match_substring_regex(trimmed, r"^[0-9]+(\.0)?$")
    num = pc.cast(pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), pa.float64())
    empty = pc.equal(trimmed, "")
    return (
        num.to_numpy(zero_copy_only=False),
        ok.to_numpy(zero_copy_only=False).astype(bool),
        empty.to_numpy(zero_copy_only=False).astype(bool),
    )


def _values(col: pd.Series, mask: np.ndarray) -> np.ndarray:
    """The input values of the masked rows, as text (for avvist.csv)."""
    if col.dtype != TEXT:
        return _format_numbers(col.to_numpy(dtype="float64", na_value=np.nan)[mask]).to_numpy()
    return col[mask].to_numpy(dtype=object)


def _duplicated(aar: np.ndarray, pid: pd.Series) -> np.ndarray:
    """Every row whose (aar, person_id) occurs more than once. A sort, not a hash table: a
    fraction of the memory of DataFrame.duplicated on 400 000 text ids."""
    table = pa.table({"a": pa.array(np.nan_to_num(aar, nan=-1)), "p": arrow_of(pid)})
    order = pc.sort_indices(table, sort_keys=[("a", "ascending"), ("p", "ascending")])
    s = table.take(order)
    same = (
        pc.and_(
            pc.equal(s["a"].slice(1), s["a"].slice(0, len(s) - 1)),
            pc.equal(s["p"].slice(1), s["p"].slice(0, len(s) - 1)),
        )
        .to_numpy(zero_copy_only=False)
        .astype(bool)
    )
    dup_sorted = np.zeros(len(s), dtype=bool)
    dup_sorted[1:] |= same
    dup_sorted[:-1] |= same
    out = np.zeros(len(s), dtype=bool)
    out[order.to_numpy()] = dup_sorted
    return out


def _row_numbers(n: int, skipped: list[int]) -> np.ndarray:
    """Input row numbers (header = 0) of the n parsed rows, around rows the reader skipped."""
    if not skipped:
        return np.arange(1, n + 1, dtype="int64")
    all_rows = np.arange(1, n + len(skipped) + 1, dtype="int64")
    return all_rows[~np.isin(all_rows, skipped)]


def _rejected_values(raw: pd.DataFrame, reject_col: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    out = np.full(len(raw), "", dtype=object)
    for column in set(reject_col[rejected]):
        m = rejected & (reject_col == column)
        out[m] = _values(raw[column], m)
    return out[rejected]


def validate(raw: pd.DataFrame, specs: list[IndicatorSpec]) -> Extract:
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise KviInputError(
            f"inndata mangler påkrevd(e) kolonne(r): {', '.join(missing)} (fant: {', '.join(map(str, raw.columns))})"
        )
    n = len(raw)
    skipped = raw.attrs.get("skipped_rows", [])
    rad = _row_numbers(n, [r for r, _, _ in skipped])
    reject_col = np.full(n, "", dtype=object)
    reject_reason = np.full(n, "", dtype=object)
    rejected = np.zeros(n, dtype=bool)

    def reject(mask: np.ndarray, column: str, reason: str) -> None:
        """The first rule a row breaks is the reason on record."""
        new = mask & ~rejected
        reject_col[new] = column
        reject_reason[new] = reason
        rejected[new] = True

    pid_txt = raw["person_id"].astype(TEXT).str.strip()
    pid_empty = (pid_txt == "").to_numpy(dtype=bool)
    reject(pid_empty, "person_id", "påkrevd verdi mangler")

    aar, aar_ok, aar_empty = _as_int(raw["aar"])
    reject(aar_empty, "aar", "påkrevd verdi mangler")
    reject(~aar_ok, "aar", "ikke et heltall")
    years = sorted({int(y) for y in np.unique(aar[aar_ok]) if y >= geography.FIRST_YEAR})  # years kvi can place
    reject(aar_ok & (aar < geography.FIRST_YEAR), "aar", f"kvi har kommuneinndeling bare fra {geography.FIRST_YEAR}")

    k_txt = raw["kommunenr"].astype(TEXT).str.strip()
    k_digits = k_txt.str.fullmatch(r"\d{1,4}").to_numpy(dtype=bool, na_value=False)
    reject((k_txt == "").to_numpy(dtype=bool), "kommunenr", "påkrevd verdi mangler")
    reject(~k_digits, "kommunenr", "ikke en kommunekode (1-4 sifre)")
    k4 = pd.Series(pd.arrays.ArrowStringArray(pc.utf8_lpad(arrow_of(k_txt), 4, "0")), index=raw.index)
    known = np.zeros(n, dtype=bool)
    for y in years:
        sel = aar == y
        known[sel] = k4[sel].isin(geography.kommuner(y)["kommunenr"]).to_numpy(dtype=bool)
    reject(~known, "kommunenr", "ukjent kommunenummer for året (KLASS 131)")

    fodselsaar, f_ok, f_empty = _as_int(raw["fodselsaar"])
    reject(f_empty, "fodselsaar", "påkrevd verdi mangler")
    reject(~f_ok, "fodselsaar", "ikke et heltall")
    alder = aar - fodselsaar
    reject(
        f_ok & aar_ok & ((alder < MIN_AGE) | (alder > MAX_AGE)),
        "fodselsaar",
        f"alder (aar - fodselsaar) utenfor {MIN_AGE}-{MAX_AGE}",
    )

    # every copy of a person_id that occurs more than once in the same year
    dup = _duplicated(aar, pid_txt) & ~pid_empty
    reject(dup, "person_id", "person_id forekommer flere ganger samme år")

    rows = [
        pd.DataFrame(
            {
                "rad": rad[rejected],
                "person_id": pid_txt[rejected].to_numpy(dtype=object),
                "kolonne": reject_col[rejected],
                "verdi": _rejected_values(raw, reject_col, rejected),
                "arsak": reject_reason[rejected],
                "avvist_rad": True,
            }
        )
    ]
    keep = ~rejected.copy()

    def note_excluded(mask: np.ndarray, column: str, reason: str) -> None:
        m = mask & keep
        if m.any():
            rows.append(
                pd.DataFrame(
                    {
                        "rad": rad[m],
                        "person_id": pid_txt[m].to_numpy(dtype=object),
                        "kolonne": column,
                        "verdi": _values(raw[column], m),
                        "arsak": reason,
                        "avvist_rad": False,
                    }
                )
            )

    persons = {
        "rad": rad,
        "aar": np.where(aar_ok, aar, 0).astype("int32"),
        "kommunenr": k4.reset_index(drop=True),
        "alder": np.where(aar_ok & f_ok, alder, -1).astype("int32"),
    }

    if "kjonn" in raw.columns:
        kj, _, kj_empty = _as_int(raw["kjonn"])
        note_excluded(
            ~kj_empty & ~np.isin(kj, [1.0, 2.0]),
            "kjonn",
            "kjønn utenfor kodeverket (1, 2); verdien er ikke brukt, raden er brukt",
        )
    bydel = None
    if "bydelsnr" in raw.columns:
        b_txt = raw["bydelsnr"].astype(TEXT).str.strip()
        b_ok = (b_txt.str.fullmatch(r"\d{6}") & (b_txt.str.slice(0, 4) == k4)).to_numpy(dtype=bool, na_value=False)
        b_bad = ~b_ok & (b_txt != "").to_numpy(dtype=bool)
        note_excluded(
            b_bad, "bydelsnr", "bydelsnr er ikke 6 sifre som begynner med kommunenummeret; raden er brukt uten bydel"
        )
        if b_ok.any():
            bydel = pd.Series(
                pd.arrays.ArrowStringArray(
                    pc.if_else(pa.array(b_ok), arrow_of(b_txt).combine_chunks(), pa.scalar("", pa.string()))
                )
            )
    persons["bydelsnr"] = bydel if bydel is not None else pd.Series([""] * n, dtype=TEXT)

    excluded: dict[str, np.ndarray] = {}
    # codes as float32: NaN = empty; small integers are exact
    for spec in specs:
        ex = np.zeros(n, dtype=bool)
        for column, allowed in ((spec.need_column, spec.need_values), (spec.receives_column, spec.receives_values)):
            if column not in raw.columns:
                raise KviInputError(f"indikatoren {spec.id} bruker kolonnen {column}, som inndata ikke har")
            num, ok, empty = _as_int(raw[column])
            persons[column] = np.where(ok, num, np.nan).astype("float32")
            bad = ~empty & ~(ok & np.isin(num, [float(v) for v in allowed]))
            note_excluded(
                bad,
                column,
                f"verdi utenfor kodeverket ({', '.join(allowed)} eller tom); "
                f"raden er utelatt fra indikatoren {spec.id}",
            )
            ex |= bad
        excluded[spec.id] = ex[keep]
    persons = pd.DataFrame(persons)

    if skipped:
        rows.append(
            pd.DataFrame(
                {
                    "rad": [r for r, _, _ in skipped],
                    "person_id": [p for _, p, _ in skipped],
                    "kolonne": "",
                    "verdi": [f"{k} felt" for _, _, k in skipped],
                    "arsak": f"raden har feil antall felt (skal ha {len(raw.columns)}); hele raden er avvist",
                    "avvist_rad": True,
                }
            )
        )
    rejections = pd.concat(rows, ignore_index=True).sort_values(["rad", "kolonne"], kind="stable")
    return Extract(
        persons=persons if keep.all() else persons[keep].reset_index(drop=True),
        excluded=excluded,
        rejections=rejections.reset_index(drop=True),
        rows_in=n + len(skipped),
        years=years,
    )


def read_extract(path: str | Path, specs: list[IndicatorSpec]) -> Extract:
    return validate(read_raw(path), specs)
