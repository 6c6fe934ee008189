"""IBKR CSV exports: the activity statement (multi-section) and the TWS / Client Portal portfolio."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from xlmargin.brokers import FIELDS, Base, Record, field_key, parsed, rates_in_usd, record, summaries_or_lots
from xlmargin.errors import InputError, Problem
from xlmargin.files import csv_delimiter, csv_text, decode_csv

SECTION = "Open Positions"
RATES = "Base Currency Exchange Rate"
ACCOUNT = "Account Information"
ROW_KINDS = ("Header", "Data", "SubTotal", "Total", "Notes")


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(file row, cells) of every non-blank row, separated as the plain CSV reader separates them
    (a tab-separated "Unicode Text" file too)."""
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    line = 1
    for cells in reader:
        if any(c.strip() for c in cells):
            yield line, cells
        line = reader.line_num + 1


def looks_like(head: bytes) -> str | None:
    """ "ibkr-statement", "ibkr-portfolio" or None, from the first rows of a CSV file (decoded as
    the plain CSV reader decodes a file: UTF-8, or UTF-16 with its mark)."""
    try:
        text = decode_csv(head, final=False)
    except UnicodeDecodeError:
        return None
    first = next((cells for _, cells in _rows(text)), None)
    if first is None:
        return None
    if len(first) >= 2 and first[1].strip() == "Header":
        return "ibkr-statement"
    meanings = {FIELDS.get(field_key(c)) for c in first}
    # a positions table says "type"; a broker portfolio says what IBKR calls the asset class
    if {"asset", "quantity", "price"} <= meanings and "type" not in {field_key(c) for c in first}:
        return "ibkr-portfolio"
    return None


def _width_problem(path: Path, line: int, got: int, want: int) -> InputError:
    return InputError(Problem(f"{path.name}: the row has {got} cells where the header has {want}", line))


def read_statement(path: Path) -> tuple[list[Record], Base]:
    """The Open Positions section's summary rows; each currency's rate to the base from the
    statement's exchange-rate section, made USD per unit (the base from "Account Information").
    A file of several statements (one account's "Account Information" row, then another's) is
    refused (:func:`_one_statement`); a rate that does not read is a problem naming its row."""
    header: list[str] | None = None
    rate_header: list[str] | None = None
    records: list[Record] = []
    rates: dict[str, str] = {}
    accounts: list[tuple[int, str]] = []
    problems: list[Problem] = []
    base: str | None = None
    for line, cells in _rows(csv_text(path)):
        section, kind, rest = cells[0].strip(), cells[1].strip() if len(cells) > 1 else "", cells[2:]
        if section == SECTION:
            header = _positions_row(path, line, kind, rest, header, records)
        elif section == RATES:
            rate_header = _rates_row(line, kind, rest, rate_header, rates, problems)
        elif section == ACCOUNT and kind == "Data" and len(rest) > 1 and field_key(rest[0]) == "basecurrency":
            base = rest[1].strip().upper() or None
        elif section == ACCOUNT and kind == "Data" and len(rest) > 1 and field_key(rest[0]) == "account":
            accounts.append((line, rest[1].strip()))
    _one_statement(path, accounts)
    if problems:
        raise InputError(problems)
    if header is None:
        raise InputError(Problem(f"{path.name}: the statement has no Open Positions section"))
    records = summaries_or_lots(records)
    if base:
        rates.setdefault(base, "1")  # the section lists the other currencies
    for r in records:
        if "fx_rate" not in r.values and r.get("currency").upper() in rates:
            r.values["fx_rate"] = rates[r.get("currency").upper()]
            r.names["fx_rate"] = RATES
    # the rates are to the base currency, fx_rate to USD
    return records, rates_in_usd(records, base, rates.get("USD"))


def _positions_row(
    path: Path, line: int, kind: str, rest: list[str], header: list[str] | None, records: list[Record]
) -> list[str] | None:
    """One Open Positions row: a header (returned), or a summary data row (added to ``records``)."""
    if kind not in ROW_KINDS:
        raise InputError(Problem(f"{path.name}: '{kind}' is not Header, Data, SubTotal or Total", line))
    if kind == "Header":
        return rest
    if kind == "Data":
        if header is None:
            raise InputError(Problem(f"{path.name}: Open Positions data before its header", line))
        if len(rest) != len(header):
            raise _width_problem(path, line, len(rest), len(header))
        records.append(record(line, zip(header, rest, strict=True)))
    return header


def _rates_row(
    line: int,
    kind: str,
    rest: list[str],
    rate_header: list[str] | None,
    rates: dict[str, str],
    problems: list[Problem],
) -> list[str] | None:
    """One exchange-rate row: a header (returned), or a currency's rate (added to ``rates``; a rate
    that does not read, a decimal comma '0,8514', is a problem naming the row and its column)."""
    if kind == "Header":
        return rest
    if kind == "Data" and rate_header and len(rest) == len(rate_header):
        row = {field_key(name): (name, cell.strip()) for name, cell in zip(rate_header, rest, strict=True)}
        name, rate = row.get("rate", ("Rate", ""))
        if (why := parsed(rate)[1]) is not None:
            problems.append(Problem(why, line, name))
        rates[row.get("currency", ("", ""))[1].upper()] = rate
    return rate_header


def _one_statement(path: Path, accounts: list[tuple[int, str]]) -> None:
    """Refuse a file of several statements, which states an account twice ("Account Information",
    "Account"): statements of two accounts joined into one file (margin is per account, never of
    their positions added up as one book, and the file's last base currency and rates would be
    read for both), or two of one account (two days' positions)."""
    if len(accounts) < 2:
        return
    names = list(dict.fromkeys(name or "(blank)" for _, name in accounts))
    lines = ", ".join(str(line) for line, _ in accounts)
    if len(names) > 1:
        what = f"the statements of {len(names)} accounts ({', '.join(names)}; lines {lines})"
        why = "margin is per account, and their positions are never added up as one book"
    else:
        what = f"{len(accounts)} statements of account {names[0]} (lines {lines})"
        why = "margin is on one statement's positions, and two statements' are not one book"
    message = (
        f"{path.name} holds {what}: {why}; export one statement per account and margin each (or read "
        "several accounts from a Flex Query report with 'xlmargin batch')"
    )
    raise InputError(Problem(message, accounts[1][0], "Account"))


def read_portfolio(path: Path) -> tuple[list[Record], Base]:
    """One header row, then a position per row; a trailing total row (no symbol) is skipped."""
    rows = _rows(csv_text(path))
    _, header = next(rows)
    records = []
    for line, cells in rows:
        if len(cells) != len(header):
            raise _width_problem(path, line, len(cells), len(header))
        found = record(line, zip(header, cells, strict=True))
        if not found.get("symbol") and not found.get("asset"):
            continue
        records.append(found)
    # "FX Rate To Base": to the base currency, which the file does not state
    return records, rates_in_usd(records, None)
