"""Positions-reader benchmark: the 5,000-position book of ``benchmarks/book.py`` as Excel hands it over.

Run from the repository root::

    python -m benchmarks.bench_reader            # 50 repetitions of each timing
    python -m benchmarks.bench_reader --repeat 200

Prints, in milliseconds (best of N and median):

- ``read_positions`` on the book (a list of lists, header first, floats, datetimes, ``None``);
- the same book as a broker export: OSI option symbols, no type, underlying, strike, expiry or right
  column (the reader reads them from the symbols);
- the column-wise floor: transposing the rows once and converting every column with one numpy
  call, nothing validated (what any reader of this input pays);
- the reader's ratio to that floor.

Wall-clock timings on a shared machine vary with its load, so each figure is also given in CPU
time of this thread (``time.thread_time``: the work done, not the waiting), and the floor is
measured in the same run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.book import AS_OF, book
from benchmarks.timing import cpu_timed, timed
from xlmargin.positions import read_positions


def floor(table: list[list[Any]]) -> list[np.ndarray]:
    """Transpose once, one numpy call per column (float where it converts, else object)."""
    out = []
    for column in zip(*table[1:], strict=True):
        try:
            out.append(np.array(column, dtype=np.float64))
        except (TypeError, ValueError):
            out.append(np.array(column, dtype=object))
    return out


def as_export(table: list[list[Any]]) -> list[list[Any]]:
    """The book with OSI symbols in place of the type, strike, expiry and right columns. The underlying
    column stays: the book's tickers S001..S150 spell OSI roots that read as S (a root's trailing
    digits mark an adjusted option), and 150 underlyings at 150 prices as one would be refused."""
    header = table[0]
    col = {name: header.index(name) for name in ("symbol", "type", "underlying", "strike", "expiry", "right")}
    dropped = {col["type"], col["strike"], col["expiry"], col["right"]}
    keep = [j for j in range(len(header)) if j not in dropped]
    rows = [[header[j] for j in keep]]
    for row in table[1:]:
        out = list(row)
        if row[col["type"]] == "option":
            strike = round(row[col["strike"]] * 1000)
            out[col["symbol"]] = (
                f"{row[col['underlying']]:<6}{row[col['expiry']]:%y%m%d}{row[col['right']]}{strike:08d}"
            )
        rows.append([out[j] for j in keep])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    repeat = parser.parse_args(argv).repeat
    table = book()
    export = as_export(table)
    n = len(table) - 1
    assert len(read_positions(export, as_of=AS_OF)) == n
    runs: dict[str, Callable[[], Any]] = {
        "read_positions (canonical columns)": lambda: read_positions(table, as_of=AS_OF),
        "read_positions (OSI symbols, no type/strike/expiry/right)": lambda: read_positions(
            export, as_of=AS_OF
        ),
        "column-wise floor (transpose + one numpy call per column)": lambda: floor(table),
    }
    print(f"positions reader, {n:,} positions, {repeat} runs (ms)")
    cpu = {}
    for name, fn in runs.items():
        best, median = timed(fn, repeat)
        cpu_best, cpu[name] = cpu_timed(fn, repeat)
        print(
            f"  {name:<58} wall best {best:6.2f} median {median:6.2f}   "
            f"CPU best {cpu_best:6.2f} median {cpu[name]:6.2f}"
        )
    reader, floor_ms = cpu["read_positions (canonical columns)"], cpu[list(runs)[-1]]
    print(f"  reader / floor (CPU medians): {reader / floor_ms:.2f}")


if __name__ == "__main__":
    main()
