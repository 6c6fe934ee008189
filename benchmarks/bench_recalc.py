"""Benchmark: ``xlmargin recalc`` end to end, as a user runs it (a fresh process each time).

Measures:
- ``xlmargin recalc workbooks/hedge_comparison.xlsx -o OUT`` wall and CPU time (imports included),
  and the part of it that is imports alone (``python -X importtime`` of the same command);
- with ``--sizes``: generated workbooks of plain formulas (three per row over two value columns,
  plus two whole-column sums), about 1 MB and about 34 MB, written to a temporary folder (never
  the repository): wall time and peak memory (max RSS of the child) of the recalc, or of its
  refusal when the workbook is over the default cell limit.

Run: ``python -m benchmarks.bench_recalc [--repeat N] [--sizes]``. Figures go in the README; this is
not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

REPO = Path(__file__).resolve().parent.parent
HEDGE = REPO / "workbooks" / "hedge_comparison.xlsx"
CLI = "import sys; from xlmargin.cli import main; sys.exit(main())"


def run(args: list[str]) -> tuple[float, int, int, float]:
    """(seconds, peak RSS in MiB, exit code, CPU seconds) of ``xlmargin ARGS`` in a fresh
    interpreter; the CPU time (user + system, of the child and its threads) is less disturbed by
    other work on the machine than the wall time."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CLI, *args], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    error = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
    seconds = time.perf_counter() - start
    child.returncode = code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise SystemExit(error.decode())
    return seconds, usage.ru_maxrss // 1024, code, usage.ru_utime + usage.ru_stime


def import_seconds(args: list[str]) -> float:
    """Cumulative import time of the command (``-X importtime``, top-level modules only)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", CLI, *args], cwd=REPO, capture_output=True, check=False
    )
    total = 0
    for line in done.stderr.decode().splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].startswith("import time:") and not parts[2].startswith("  "):
            try:
                total += int(parts[1])
            except ValueError:
                continue
    return total / 1e6


def workbook(path: Path, rows: int) -> Path:
    """Two value columns and three plain formulas per row, two whole-column sums on a second sheet."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    data = wb.add_worksheet("Data")
    data.write_row(0, 0, ["qty", "price", "value", "excess", "flag"])
    for r in range(1, rows + 1):
        data.write_number(r, 0, r % 97)
        data.write_number(r, 1, 1.5 + r % 13)
        data.write_formula(r, 2, f"=A{r + 1}*B{r + 1}", None, 0)
        data.write_formula(r, 3, f"=IF(C{r + 1}>50,C{r + 1}-50,0)", None, 0)
        data.write_formula(r, 4, f'=IF(D{r + 1}>0,"over","")', None, "")
    summary = wb.add_worksheet("Summary")
    summary.write_formula(0, 0, "=SUM(Data!C:C)", None, 0)
    summary.write_formula(1, 0, "=SUM(Data!D:D)", None, 0)
    wb.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", action="store_true", help="also the generated ~1 MB and ~34 MB workbooks")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recalc-") as folder:
        out = Path(folder) / "out.xlsx"
        args = ["recalc", str(HEDGE), "-o", str(out)]
        run(args)  # warm the file cache
        runs = [run(args) for _ in range(options.repeat)]
        times, cpu = [r[0] for r in runs], [r[3] for r in runs]
        print(
            f"xlmargin recalc hedge_comparison.xlsx: {min(times):.2f} s best, "
            f"{statistics.median(times):.2f} s median of {options.repeat}; CPU {min(cpu):.2f} s best, "
            f"{statistics.median(cpu):.2f} s median (imports alone {import_seconds(args):.2f} s)"
        )
        if not options.sizes:
            return
        for rows in (30_000, 1_000_000):
            src = workbook(Path(folder) / f"rows{rows}.xlsx", rows)
            out_big = Path(folder) / f"rows{rows}.out.xlsx"
            seconds, peak, code, _ = run(["recalc", str(src), "-o", str(out_big)])
            outcome = "recalculated" if code == 0 else "refused (over the cell limit)"
            size = src.stat().st_size / 2**20
            print(
                f"{size:5.1f} MB workbook, {3 * rows:,} formula cells: {outcome} in {seconds:.1f} s, "
                f"peak {peak:,} MiB"
            )


if __name__ == "__main__":
    main()
