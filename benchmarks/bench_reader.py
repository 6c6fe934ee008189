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

Timings on a shared machine vary; the floor is measured in the same run so the ratio stays
comparable when the machine is busy.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from benchmarks.book import AS_OF, book
from benchmarks.timing import timed
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
    """The book with OSI symbols in place of the type, underlying, strike, expiry and right columns."""
    header = table[0]
    col = {name: header.index(name) for name in ("symbol", "type", "underlying", "strike", "expiry", "right")}
    dropped = {col["type"], col["underlying"], col["strike"], col["expiry"], col["right"]}
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
    figures = {
        "read_positions (canonical columns)": timed(lambda: read_positions(table, as_of=AS_OF), repeat),
        "read_positions (OSI symbols, no type/strike/expiry/right)": timed(
            lambda: read_positions(export, as_of=AS_OF), repeat
        ),
        "column-wise floor (transpose + one numpy call per column)": timed(lambda: floor(table), repeat),
    }
    print(f"positions reader, {n:,} positions, {repeat} runs (ms)")
    for name, (best, median) in figures.items():
        print(f"  {name:<60} best {best:7.2f}   median {median:7.2f}")
    ratio = (
        figures["read_positions (canonical columns)"][1]
        / figures["column-wise floor (transpose + one numpy call per column)"][1]
    )
    print(f"  reader / floor (medians): {ratio:.2f}")


if __name__ == "__main__":
    main()
