"""The ``kvi`` command (also ``python -m kvi_core``).

Each subcommand parses its arguments and calls one function of kvi_core; heavy modules are
imported inside the subcommand so that ``kvi compute`` does not pay for matplotlib or papermill.
A problem that makes the input unusable ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _years(text: str) -> list[int]:
    """``2024``, ``2020-2024`` or ``2020,2022``."""
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return sorted(set(out))


def _cmd_compute(a: argparse.Namespace) -> int:
    from kvi_core.pipeline import compute

    compute(
        a.input,
        a.out,
        kostragrupper=a.kostragrupper,
        unsuppressed=a.unsuppressed,
        threshold=a.terskel,
        intern_dir=a.intern,
        rule=a.beskyttelse,
        jobs=a.jobs,
        periods=not a.ingen_treaarstall,
    )
    return 0


def _cmd_audit(a: argparse.Namespace) -> int:
    from kvi_core.disclosure.audit_command import audit_directory, print_audit

    findings = audit_directory(a.dir, a.intern, progress=sys.stderr)
    s = findings.attrs["summary"]
    if s["regel"] != s["publisert_med"]:  # the primary cells' intervals need their true counts
        print(
            f"kvi: tabellene er prikket etter regel {s['publisert_med']}, men {s['begrunnelser']} finnes ikke; "
            "kontrollerer bare at ingen prikket celle kan regnes ut (oppgi --intern)",
            file=sys.stderr,
        )
    print_audit(findings, sys.stdout)
    return 1 if len(findings) else 0


def _cmd_demo(a: argparse.Namespace) -> int:
    from kvi_core.demo import write_demo_extract

    write_demo_extract(a.out, years=_years(a.aar), persons_per_year=a.personer, seed=a.seed)
    return 0


def _cmd_reports(a: argparse.Namespace) -> int:
    from kvi_core.reporting.batch import run_reports

    return run_reports(
        input_path=a.input,
        aar=a.aar,
        out=a.out,
        kostragrupper=a.kostragrupper,
        kommuner=a.kommune,
        jobs=a.jobs,
        threshold=a.terskel,
        intern=a.intern,
        rule=a.beskyttelse,
        periods=not a.ingen_treaarstall,
    )


def _add_periods_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ingen-treaarstall",
        action="store_true",
        help="ikke lag treårstall (samlet prikking med årstabellene tar lang tid for hele landet)",
    )


def _add_rule_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--beskyttelse",
        choices=("intervall", "eksakt"),
        default="intervall",
        help="prikkingsregel (kontrakt §5): intervall (standard) eller eksakt (v1)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``kvi`` command line. Naming rule (docs/NAMING.md): flags and contract columns in bokmål,
    an old name kept as an alias when a flag is renamed; every option has a help text."""
    from kvi_core import __version__

    p = argparse.ArgumentParser(prog="kvi", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"kvi {__version__}", help="vis kvis versjon og avslutt")
    sub = p.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    c = sub.add_parser("compute", help="beregn indikatorene fra et personuttrekk")
    c.add_argument("--input", required=True, type=Path, help="uttrekk (CSV eller Parquet)")
    c.add_argument("--out", required=True, type=Path, help="mappe for resultatene")
    c.add_argument(
        "--intern",
        type=Path,
        help="mappe for internt materiale (avvist.csv, uprikkede tall); standard: <out>-intern, bare lesbar for eieren",
    )
    c.add_argument("--kostragrupper", type=Path, help="CSV kommunenr,kostragruppe (ellers kvis demogruppering)")
    c.add_argument("--unsuppressed", action="store_true", help="kun til intern kvalitetssikring: uprikkede tall")
    c.add_argument("--terskel", type=int, default=5, help="prikkingsterskel: antall under dette skjules (standard 5)")
    _add_rule_option(c)
    _add_periods_option(c)
    c.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="prosesser som prikker samtidig (standard: én per kjerne for store uttrekk)",
    )
    c.set_defaults(func=_cmd_compute)

    au = sub.add_parser("audit", help="kontroller at prikkede tall ikke kan regnes ut")
    au.add_argument("dir", type=Path, help="mappe med indikatorer.csv og regioner.csv")
    au.add_argument(
        "--intern",
        type=Path,
        default=None,
        help="intern mappe med prikking_begrunnelse.csv (standard: DIR-intern, eller OUT-intern for OUT/tabeller)",
    )
    au.set_defaults(func=_cmd_audit)

    d = sub.add_parser("demo-data", help="lag et syntetisk demo-uttrekk")
    d.add_argument("--out", required=True, type=Path, help="fil for uttrekket (.csv, eller .parquet)")
    d.add_argument(
        "--aar",
        "--years",
        dest="aar",
        default="2020-2024",
        help="årganger, f.eks. 2024, 2020-2024 (standard) eller 2020,2022; --years er det gamle navnet",
    )
    d.add_argument(
        "--personer",
        "--persons",
        dest="personer",
        type=int,
        default=400_000,
        help="personer per år nasjonalt (standard 400000); --persons er det gamle navnet",
    )
    d.add_argument("--seed", type=int, default=20241231, help="frø for tilfeldige tall: samme frø gir samme uttrekk")
    d.set_defaults(func=_cmd_demo)

    r = sub.add_parser("reports", help="lag HTML- og PDF-rapport for hver kommune")
    r.add_argument("--input", required=True, type=Path, help="uttrekk (CSV eller Parquet)")
    r.add_argument("--aar", required=True, type=int, help="året rapportene gjelder, f.eks. 2024")
    r.add_argument("--out", required=True, type=Path, help="mappe for rapportene (årsmappe og tabeller lages her)")
    r.add_argument("--intern", type=Path, help="mappe for internt materiale (standard: <out>-intern)")
    r.add_argument("--kostragrupper", type=Path, help="CSV kommunenr,kostragruppe (ellers kvis demogruppering)")
    r.add_argument(
        "--kommune",
        nargs="+",
        action="extend",
        default=None,
        metavar="KOMMUNENR",
        help="bare disse kommunene: --kommune 0301 5001 eller --kommune 0301 --kommune 5001 (standard: alle)",
    )
    r.add_argument("--jobs", type=int, default=1, help="antall rapporter som lages samtidig (standard 1)")
    r.add_argument("--terskel", type=int, default=5, help="prikkingsterskel: antall under dette skjules (standard 5)")
    _add_rule_option(r)
    _add_periods_option(r)
    r.set_defaults(func=_cmd_reports)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kvi_core.errors import DisclosureError, Interrupted, KviInputError, describe_os_error, signals_interrupt

    try:
        with signals_interrupt():  # SIGTERM stops the worker processes too, as Ctrl-C does
            return args.func(args)
    except KviInputError as exc:
        print(f"kvi: {exc}", file=sys.stderr)
        return 2
    except DisclosureError as exc:
        print(f"kvi: prikkingen holder ikke: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:  # full disk, read-only folder, no access ...: one line, never a traceback
        print(f"kvi: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted) as exc:
        name = getattr(exc, "signal_name", "SIGINT")
        print(
            f"kvi: avbrutt ({'Ctrl-C' if name == 'SIGINT' else name}); det som var ferdig er beholdt, "
            "resten er ikke skrevet; kjør samme kommando igjen for å fortsette",
            file=sys.stderr,
        )
        return 130 if name == "SIGINT" else 143


if __name__ == "__main__":
    sys.exit(main())
