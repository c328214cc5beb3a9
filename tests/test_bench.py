"""benchmarks/bench.py checks what it times: a CLI run that fails, writes no report or a
report of the wrong size stops the harness with an error, and no row is printed for it."""
from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow     # heavy: left out of `pytest -m "not slow"` (CI runs everything)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "bench.py"
INPUT = ROOT / "tests" / "fixtures" / "npl201" / "bad"      # small, has findings


def _bench(tmp_path: Path, cli: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), "--corpus", str(INPUT), "--sizes", "", "--repeat", "1",
                           "--checkov", "", "--workdir", str(tmp_path), "--cli", shlex.join(cli)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)


def _fake(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_cli.py"
    script.write_text("import sys\n" + body + "\n")
    return [sys.executable, str(script)]


def _rows(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("| corpus")]


@pytest.mark.parametrize("body, error", [
    ("print(\"No module named 'netpol_lint.rules'\", file=sys.stderr); sys.exit(2)", "exited 2 (expected 0 or 1)"),
    ("print('not json'); sys.exit(1)", "did not write a JSON report"),
    ("print('{\"findings\": []}'); sys.exit(0)", "findings, the in-process run of the same input has"),
])
def test_bench_refuses_a_row_for_a_bad_run(tmp_path, body, error):
    proc = _bench(tmp_path, _fake(tmp_path, body))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert error in proc.stderr and "bench.py: error:" in proc.stderr
    assert not _rows(proc.stdout)


def test_bench_prints_the_row_of_a_good_run(tmp_path):
    proc = _bench(tmp_path, [sys.executable, "-m", "netpol_lint"])
    assert proc.returncode == 0, proc.stderr
    (row,) = _rows(proc.stdout)
    assert row.count("|") == 14


def test_check_count_wants_findings_where_there_are_some():
    sys.path.insert(0, str(BENCH.parent))
    try:
        import bench
    finally:
        sys.path.pop(0)
    with pytest.raises(bench.BenchError, match="no findings on corpus"):
        bench.check_count("x", "corpus", 0, None)
    bench.check_count("x", "10k", 0, 0)
