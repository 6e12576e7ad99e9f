"""Smoke test of the benchmark harness (``python -m bench``): a tiny run, ormkit and raw only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_runs_checks_results_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable, "-m", "bench", "--libs", "ormkit,raw", "--n", "200", "--repeat", "1",
        "--scenarios", "insert,load_all,get_pk", "--json", str(out),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["meta"]["n"] == 200
    assert set(data["scenarios"]) == {"insert", "load_all", "get_pk"}
    for name, scenario in data["scenarios"].items():
        assert set(scenario["libs"]) == {"ormkit", "raw"}, name
        for lib, cell in scenario["libs"].items():
            assert cell["status"] == "ok", (name, lib, cell["message"], cell["traceback"])
            assert cell["verified"] is True, (name, lib)
            assert cell["median_ms"] > 0, (name, lib)
            assert len(cell["times_ms"]) == 1, (name, lib)
        assert scenario["libs"]["raw"]["ratio_to_raw"] == 1.0
    assert "| scenario" in proc.stdout and "ormkit ORM" in proc.stdout
