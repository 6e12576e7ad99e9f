"""One run in a fresh process: ``python -m bench.child '<json spec>'``.

Makes a fresh database (a new SQLite file in a new temporary directory, or freshly created
tables on a server), seeds it, imports the library, runs its untimed setup, then times only the
scenario body with time.perf_counter (and, in a memory run, the tracemalloc peak of the body),
checks the result, and prints one line ``BENCH-RESULT {json}`` on stdout.
"""

from __future__ import annotations

import gc
import importlib
import json
import shutil
import sys
import tempfile
import time
import traceback
import tracemalloc
from typing import Any

from bench.common import (
    Context,
    NotApplicable,
    WrongResult,
    kind_of,
    prepare_database,
    user_rows,
    verify,
)
from bench.libs import LIBS

MARKER = "BENCH-RESULT "


def run(spec: dict[str, Any]) -> dict[str, Any]:
    lib, scenario, n = spec["lib"], spec["scenario"], int(spec["n"])
    memory = bool(spec.get("memory"))
    url = spec.get("url")
    out: dict[str, Any] = {"lib": lib, "scenario": scenario, "status": "ok"}
    tmpdir = None
    bench = None
    try:
        kind = kind_of(url)
        ctx = Context(scenario=scenario, n=n, kind=kind, url=url)
        if kind == "sqlite":
            tmpdir = tempfile.mkdtemp(prefix="ormkit-bench-")
            ctx.path = f"{tmpdir}/bench.db"
        if scenario in ("insert", "insert_bulk"):
            ctx.rows = user_rows(n)
        prepare_database(ctx)
        module = importlib.import_module(LIBS[lib][0])
        bench = module.Bench(ctx)
        bench.setup(scenario)
        body = getattr(bench, f"run_{scenario}")
        gc.collect()
        if memory:
            tracemalloc.start()
        start = time.perf_counter()
        result = body()
        elapsed = time.perf_counter() - start
        if memory:
            out["peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        out["seconds"] = elapsed
        verify(ctx, bench.digest(scenario, result))
        out["verified"] = True
    except NotApplicable as err:
        out.update(status="n/a", message=str(err))
    except WrongResult as err:
        out.update(status="wrong", message=str(err), verified=False)
    except Exception as err:
        out.update(
            status="error",
            message=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(),
        )
    finally:
        if bench is not None:
            try:
                bench.close()
            except Exception as err:
                if out["status"] == "ok":
                    out.update(
                        status="error",
                        message=f"close(): {type(err).__name__}: {err}",
                        traceback=traceback.format_exc(),
                    )
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return out


def main(argv: list[str]) -> int:
    out = run(json.loads(argv[1]))
    sys.stdout.write(MARKER + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0 if out["status"] in ("ok", "n/a") else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
