"""Broker-import benchmark: the 5,000-position book of ``benchmarks/book.py`` as IBKR exports.

Run from the repository root::

    python -m benchmarks.bench_brokers             # 10 repetitions of each timing
    python -m benchmarks.bench_brokers --repeat 30

Writes the book as a Flex Query XML report (one ``<OpenPosition>`` per position, IBKR's full set of
attributes, plus one share of each underlying so that every option finds its underlying price)
and as a TWS portfolio CSV with an ``Underlying Price`` column, into a temporary folder, then
prints best of N and median, in milliseconds, of ``import_broker`` (parse and map) and of
``read_broker`` (the same plus the positions reader's validation), beside ``read_positions`` of the
same book as a positions CSV.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from benchmarks.book import AS_OF, book
from benchmarks.timing import timed
from xlmargin.brokers import import_broker, read_broker
from xlmargin.positions import read_positions

ASSET = {"stock": "STK", "etf": "STK", "option": "OPT"}


def _positions() -> list[dict[str, Any]]:
    header, *rows = book()
    out = [dict(zip(header, row, strict=True)) for row in rows]
    spots = {r["underlying"]: r["underlying price"] for r in out if r["type"] == "option"}
    held = {r["symbol"] for r in out if r["type"] != "option"}
    for symbol, spot in sorted(spots.items()):
        if symbol not in held:
            out.append({"symbol": symbol, "type": "stock", "quantity": 1.0, "price": spot})
    return out


def _flex(positions: list[dict[str, Any]], path: Path) -> None:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<FlexQueryResponse queryName="bench" type="AF">',
             '<FlexStatements count="1">', '<FlexStatement accountId="U1234567" toDate="20261120">',
             "<OpenPositions>"]  # fmt: skip
    for p in positions:
        option = p["type"] == "option"
        attrs = {
            "accountId": "U1234567", "currency": "USD", "fxRateToBase": "1",
            "assetCategory": ASSET[p["type"]],
            "symbol": p["symbol"], "description": p["symbol"], "conid": "0", "listingExchange": "SMART",
            "underlyingSymbol": p["underlying"] if option else "", "multiplier": "100" if option else "1",
            "strike": f"{p['strike']:g}" if option else "", "putCall": p["right"] if option else "",
            "expiry": p["expiry"].strftime("%Y%m%d") if option else "", "reportDate": "20261120",
            "position": f"{p['quantity']:g}", "markPrice": f"{p['price']:.4f}", "positionValue": "0",
            "openPrice": "0", "costBasisPrice": "0", "costBasisMoney": "0", "percentOfNAV": "0",
            "fifoPnlUnrealized": "0", "side": "Long" if p["quantity"] > 0 else "Short",
            "levelOfDetail": "SUMMARY",
        }  # fmt: skip
        lines.append("<OpenPosition " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + " />")
    lines += ["</OpenPositions>", "</FlexStatement>", "</FlexStatements>", "</FlexQueryResponse>"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _portfolio(positions: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Financial Instrument", "Asset Class", "Underlying Symbol", "Position", "Mark Price",
                         "Currency", "Multiplier", "Put/Call", "Strike", "Last Trading Day",
                         "Underlying Price"])  # fmt: skip
        for p in positions:
            option = p["type"] == "option"
            writer.writerow([
                p["symbol"], ASSET[p["type"]], p["underlying"] if option else "", f"{p['quantity']:g}",
                f"{p['price']:.4f}", "USD", "100" if option else "1", p["right"] if option else "",
                f"{p['strike']:g}" if option else "", p["expiry"].strftime("%Y%m%d") if option else "",
                f"{p['underlying price']:g}" if option else "",
            ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat
    positions = _positions()
    with tempfile.TemporaryDirectory() as folder:
        flex, portfolio = Path(folder) / "flex.xml", Path(folder) / "portfolio.csv"
        _flex(positions, flex)
        _portfolio(positions, portfolio)
        canonical = book()
        print(f"{len(positions)} positions; best / median of {repeat}, ms")
        for label, run in (
            ("import_broker  Flex XML", lambda: import_broker(flex)),
            ("read_broker    Flex XML", lambda: read_broker(flex, as_of=AS_OF)),
            ("import_broker  portfolio CSV", lambda: import_broker(portfolio)),
            ("read_broker    portfolio CSV", lambda: read_broker(portfolio, as_of=AS_OF)),
            ("read_positions the same book as a range", lambda: read_positions(canonical, as_of=AS_OF)),
        ):
            best, median = timed(run, repeat)
            print(f"{label:42s} {best:8.1f} {median:8.1f}")


if __name__ == "__main__":
    main()
