"""Profile one (library, scenario) body: ``python -m bench.profile ormkit load_all``.

The same set-up as a timed run (bench.child), then the body under cProfile; prints the top
functions by own time and by cumulative time. Options: ``--n N``, ``--top K``, ``--url URL``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import pstats
import shutil
import tempfile

from bench.common import Context, kind_of, prepare_database, user_rows
from bench.libs import LIBS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("lib")
    parser.add_argument("scenario")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--url")
    args = parser.parse_args()
    kind = kind_of(args.url)
    ctx = Context(scenario=args.scenario, n=args.n, kind=kind, url=args.url)
    tmpdir = tempfile.mkdtemp(prefix="ormkit-profile-") if kind == "sqlite" else None
    if tmpdir:
        ctx.path = f"{tmpdir}/bench.db"
    if args.scenario in ("insert", "insert_bulk"):
        ctx.rows = user_rows(args.n)
    try:
        prepare_database(ctx)
        bench = importlib.import_module(LIBS[args.lib][0]).Bench(ctx)
        bench.setup(args.scenario)
        body = getattr(bench, f"run_{args.scenario}")
        gc.collect()
        profiler = cProfile.Profile()
        profiler.runcall(body)
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        bench.close()
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()
