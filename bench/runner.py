"""``python -m bench``: run the scenarios for each library, each run in a fresh process.

Every (library, scenario, repetition) is one child process (``python -m bench.child``) on a
fresh database; repetitions are interleaved (repetition 1 of every library and scenario, then
repetition 2, ...), with the library order rotated each time. The table shows the median of the
timed bodies in milliseconds and the ratio to the raw driver for the same scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.child import MARKER
from bench.common import ALIASES, LOOKUPS, REL_USERS, SCENARIOS, kind_of
from bench.libs import LIBS

ROOT = Path(__file__).resolve().parent.parent
FAILED = ("wrong", "error", "timeout")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="ormkit beside raw DB-API, SQLAlchemy ORM/Core and peewee; one fresh "
        "process and one fresh database per (library, scenario, repetition).",
    )
    parser.add_argument("--n", type=int, default=20000, help="rows per scenario (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma list of: " + ", ".join([*SCENARIOS, *ALIASES]) + " (default: all)",
    )
    parser.add_argument("--libs", default=",".join(LIBS), help="comma list of: " + ", ".join(LIBS))
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also one tracemalloc run per cell: peak memory of the scenario body",
    )
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write the results as JSON to PATH ('-' or no value: stdout, table to stderr)",
    )
    parser.add_argument(
        "--url",
        help="a PostgreSQL (postgresql+psycopg://) or MariaDB (mysql+pymysql://) URL; raw is "
        "then psycopg / PyMySQL; its users/posts tables are dropped and recreated each run. "
        "Default: a fresh SQLite file per run",
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds allowed per child run (180)"
    )
    args = parser.parse_args(argv)
    args.scenario_list = _pick(args.scenarios, list(SCENARIOS), ALIASES, "scenario", parser)
    args.lib_list = _pick(args.libs, list(LIBS), {}, "library", parser)
    if args.n < 1 or args.repeat < 1:
        parser.error("--n and --repeat must be positive")
    try:
        args.kind = kind_of(args.url)
    except ValueError as err:
        parser.error(str(err))
    return args


def _pick(
    text: str, known: list[str], aliases: dict[str, list[str]], what: str, parser: Any
) -> list[str]:
    chosen: list[str] = []
    for name in (s.strip() for s in text.split(",")):
        if not name:
            continue
        if name not in known and name not in aliases:
            parser.error(f"unknown {what} {name!r}; choose from {', '.join([*known, *aliases])}")
        for item in aliases.get(name, [name]):
            if item not in chosen:
                chosen.append(item)
    order = {name: i for i, name in enumerate(known)}
    return sorted(chosen, key=order.__getitem__)


# -- running ------------------------------------------------------------------------------------


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONHASHSEED", "0")
    cmd = [sys.executable, "-m", "bench.child", json.dumps(spec)]
    base = {"lib": spec["lib"], "scenario": spec["scenario"]}
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {**base, "status": "timeout", "message": f"no result within {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])  # type: ignore[no-any-return]
    return {
        **base,
        "status": "error",
        "message": f"child exited with code {proc.returncode} without a result",
        "traceback": (proc.stderr or proc.stdout)[-3000:],
    }


def tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_all(args: argparse.Namespace) -> dict[tuple[str, str], dict[str, Any]]:
    cells: dict[tuple[str, str], dict[str, Any]] = {
        (lib, sc): {"times_ms": [], "statuses": [], "peak_bytes": None}
        for sc in args.scenario_list
        for lib in args.lib_list
    }
    libs = args.lib_list
    passes: list[tuple[int, bool]] = [(rep, False) for rep in range(args.repeat)]
    if args.memory:
        passes.append((args.repeat, True))
    started = time.perf_counter()
    for rep, memory in passes:
        shift = rep % len(libs)
        order = libs[shift:] + libs[:shift]
        label = "memory" if memory else f"rep {rep + 1}/{args.repeat}"
        for sc in args.scenario_list:
            shown = []
            for lib in order:
                cell = cells[(lib, sc)]
                if set(cell["statuses"]) & {"n/a", "timeout"}:
                    continue  # no point repeating
                spec = {"lib": lib, "scenario": sc, "n": args.n, "url": args.url, "memory": memory}
                out = run_child(spec, args.timeout)
                status = out["status"]
                if memory:
                    if status == "ok":
                        cell["peak_bytes"] = out.get("peak_bytes")
                    elif status in FAILED:
                        cell["memory_status"] = status
                else:
                    cell["statuses"].append(status)
                    if status == "ok":
                        cell["times_ms"].append(out["seconds"] * 1000.0)
                if status in FAILED and "message" not in cell:
                    cell["message"] = out.get("message", "")
                    cell["traceback"] = out.get("traceback", "")
                    print(
                        f"\n!! {LIBS[lib][1]} / {sc} ({label}): {status.upper()}: "
                        f"{cell['message']}",
                        file=sys.stderr,
                    )
                    if cell["traceback"]:
                        print(tail(cell["traceback"]), file=sys.stderr)
                if status == "ok" and not memory:
                    shown.append(f"{lib} {out['seconds'] * 1000:.1f}")
                elif status == "ok":
                    shown.append(f"{lib} {out.get('peak_bytes', 0) / 1e6:.1f}MB")
                else:
                    shown.append(f"{lib} {status}")
            elapsed = time.perf_counter() - started
            print(f"[{elapsed:6.0f}s] {label:<9} {sc:<14} " + "  ".join(shown), file=sys.stderr)
    for cell in cells.values():
        statuses = cell["statuses"]
        bad = [s for s in FAILED if s in statuses]
        cell["status"] = bad[0] if bad else ("n/a" if "n/a" in statuses else "ok")
        cell["verified"] = bool(statuses) and all(s == "ok" for s in statuses)
        cell["median_ms"] = statistics.median(cell["times_ms"]) if cell["times_ms"] else None
    return cells


# -- reporting ----------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    versions = {
        "ormkit": _version("ormkit"),
        "SQLAlchemy": _version("SQLAlchemy"),
        "peewee": _version("peewee"),
    }
    if args.kind == "sqlite":
        versions["sqlite3 (SQLite library)"] = sqlite3.sqlite_version
        database = "SQLite, a fresh file per run in a temporary directory, journal_mode=delete"
    elif args.kind == "postgresql":
        versions["psycopg"] = _version("psycopg")
        database = f"PostgreSQL ({_redact(args.url)}), tables recreated per run"
    else:
        versions["PyMySQL"] = _version("PyMySQL")
        database = f"MariaDB/MySQL ({_redact(args.url)}), tables recreated per run"
    return {
        "machine": f"{platform.platform()}, {_cpu_model()}, {os.cpu_count()} CPUs",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
        "database": database,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "n": args.n,
        "repeat": args.repeat,
        "command": shlex.join(["python", "-m", "bench", *argv]),
    }


def _redact(url: str) -> str:
    head, sep, rest = url.partition("://")
    if "@" in rest and ":" in rest.split("@", 1)[0]:
        user = rest.split("@", 1)[0].split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest.split('@', 1)[1]}"
    return url


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return ""
    return f"{a / b:.1f}x" if a / b >= 10 else f"{a / b:.2f}x"


def _cell_text(cell: dict[str, Any], raw: dict[str, Any] | None) -> str:
    if cell["status"] != "ok":
        return {"wrong": "WRONG", "n/a": "n/a"}.get(cell["status"], cell["status"])
    text = f"{cell['median_ms']:.1f}"
    if raw is not None and raw is not cell and raw["status"] == "ok":
        text += f" ({_ratio(cell['median_ms'], raw['median_ms'])})"
    return text


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    sep = "|" + "|".join("-" * (w + 1) + ("-" if i == 0 else ":") for i, w in enumerate(widths))
    return "\n".join([line(header), sep + "|", *[line(r) for r in rows]])


def time_table(args: argparse.Namespace, cells: dict[tuple[str, str], dict[str, Any]]) -> str:
    libs = args.lib_list
    both = "ormkit" in libs and "sa_orm" in libs
    header = ["scenario", *[LIBS[lib][1] for lib in libs]]
    if both:
        header.append("ormkit / SA ORM")
    rows = []
    for sc in args.scenario_list:
        raw = cells.get(("raw", sc))
        row = [sc, *[_cell_text(cells[(lib, sc)], raw) for lib in libs]]
        if both:
            ok, sa = cells[("ormkit", sc)], cells[("sa_orm", sc)]
            row.append(
                _ratio(ok["median_ms"], sa["median_ms"])
                if ok["status"] == sa["status"] == "ok"
                else ""
            )
        rows.append(row)
    return _markdown(header, rows)


def memory_table(args: argparse.Namespace, cells: dict[tuple[str, str], dict[str, Any]]) -> str:
    libs = args.lib_list
    header = ["scenario (peak MB)", *[LIBS[lib][1] for lib in libs]]
    rows = []
    for sc in args.scenario_list:
        row = [sc]
        for lib in libs:
            cell = cells[(lib, sc)]
            if cell["peak_bytes"] is not None:
                row.append(f"{cell['peak_bytes'] / 1e6:.1f}")
            else:
                row.append(
                    cell.get("memory_status")
                    or {"wrong": "WRONG", "n/a": "n/a"}.get(cell["status"], cell["status"])
                )
        rows.append(row)
    return _markdown(header, rows)


def report(
    args: argparse.Namespace, meta: dict[str, Any], cells: dict[tuple[str, str], dict[str, Any]]
) -> str:
    raw_name = {"sqlite": "sqlite3", "postgresql": "psycopg", "mysql": "PyMySQL"}[args.kind]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [
        f"machine:  {meta['machine']}",
        f"python:   {meta['python']}   (load average at start: "
        f"{', '.join(map(str, meta['load_average_at_start']))})",
        f"versions: {versions}",
        f"database: {meta['database']}",
        f"command:  {meta['command']}   (N={args.n}, repeat={args.repeat})",
        "",
        f"Median ms of the timed scenario body over {args.repeat} fresh-process runs; (x) = "
        f"ratio to raw {raw_name} for the same scenario; every run's result was checked.",
        "",
        time_table(args, cells),
        "",
    ]
    for sc in args.scenario_list:
        desc = SCENARIOS[sc].replace("N ", f"{args.n:,} ")
        desc = desc.replace("5,000", f"{LOOKUPS:,}").replace("1,000", f"{REL_USERS:,}")
        lines.append(f"  {sc:<14} {desc}")
    if args.memory:
        lines += [
            "",
            "Peak memory of the scenario body (tracemalloc, one extra run per cell):",
            "",
            memory_table(args, cells),
        ]
    failures = [
        (k, c)
        for k, c in cells.items()
        if c["status"] in FAILED or c.get("memory_status") in FAILED
    ]
    if failures:
        lines += ["", "FAILURES:"]
        for (lib, sc), cell in failures:
            status = cell["status"] if cell["status"] in FAILED else cell["memory_status"]
            lines.append(f"- {LIBS[lib][1]} / {sc}: {status.upper()}: {cell.get('message', '')}")
            if cell.get("traceback"):
                lines += ["    " + t for t in tail(cell["traceback"]).splitlines()]
    return "\n".join(lines)


def to_json(
    args: argparse.Namespace, meta: dict[str, Any], cells: dict[tuple[str, str], dict[str, Any]]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "meta": meta,
        "libs": {k: LIBS[k][1] for k in args.lib_list},
        "scenarios": {},
    }
    for sc in args.scenario_list:
        entry: dict[str, Any] = {"description": SCENARIOS[sc], "libs": {}}
        raw = cells.get(("raw", sc))
        for lib in args.lib_list:
            cell = cells[(lib, sc)]
            ratio = None
            if raw is not None and raw["median_ms"] and cell["median_ms"] is not None:
                ratio = cell["median_ms"] / raw["median_ms"]
            entry["libs"][lib] = {
                "status": cell["status"],
                "verified": cell["verified"],
                "median_ms": cell["median_ms"],
                "times_ms": cell["times_ms"],
                "ratio_to_raw": ratio,
                "peak_bytes": cell["peak_bytes"],
                "message": cell.get("message"),
                "traceback": cell.get("traceback"),
            }
        out["scenarios"][sc] = entry
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    meta = describe(args, argv)
    print(
        f"running {len(args.lib_list)} libraries x {len(args.scenario_list)} scenarios x "
        f"{args.repeat} repetitions (N={args.n}), one fresh process each",
        file=sys.stderr,
    )
    cells = run_all(args)
    text = report(args, meta, cells)
    to_stdout = args.json == "-"
    print("\n" + text, file=sys.stderr if to_stdout else sys.stdout)
    if args.json:
        data = json.dumps(to_json(args, meta, cells), indent=2)
        if to_stdout:
            print(data)
        else:
            Path(args.json).write_text(data + "\n")
    return 1 if any(c["status"] in FAILED for c in cells.values()) else 0
