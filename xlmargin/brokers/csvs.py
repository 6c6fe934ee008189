"""IBKR CSV exports: the activity statement (multi-section) and the TWS / Client Portal portfolio.

A statement's bonds take their terms and a Treasury's class as a Flex report's do
(:func:`xlmargin.brokers.bonds.bond_terms`), the contract's reference data being its "Financial
Instrument Information" row of the same symbol (its Security ID); Maturity, Coupon and Class columns
added to the Open Positions section come first. A portfolio export's bonds take them from their own
row alone (its description or Financial Instrument, and a CUSIP, ISIN or Security ID column)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from xlmargin.brokers import (
    FIELDS,
    HEADER,
    LAST,
    Base,
    Record,
    field_key,
    parsed,
    record,
)
from xlmargin.brokers.bonds import IDS, TERMS, Fixes, bond_terms
from xlmargin.brokers.lots import summaries_or_lots
from xlmargin.brokers.rates import rates_in_usd
from xlmargin.errors import InputError, Problem, shown
from xlmargin.files import csv_delimiter, csv_text, decode_csv

SECTION = "Open Positions"
# The layout some statements use instead: longs and shorts in sections of their own, each position's
# quantity signed as in Open Positions (a long's above 0, a short's below)
SIDES = {"Long Open Positions": 1, "Short Open Positions": -1}
INSTRUMENTS = "Financial Instrument Information"  # each contract's reference data: ids, description
RATES = "Base Currency Exchange Rate"
ACCOUNT = "Account Information"
ROW_KINDS = ("Header", "Data", "SubTotal", "Total", "Notes")
NO_VALUE = "--"  # what IBKR's statements write in a cell that has no value


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
    rows = [cells for _, cells in _rows(text)]
    if not rows:
        return None
    first = rows[0]
    if len(first) >= 2 and first[1].strip() == "Header":
        return "ibkr-statement"
    if not {"asset", "quantity", "price"} <= {FIELDS.get(field_key(c)) for c in first}:
        return None
    # the last row of the head may be cut short
    return None if positions_table(first, rows[1:-1] if len(head) >= HEAD else rows[1:]) else "ibkr-portfolio"


HEAD = 8192  # the bytes of a file looked at (:func:`xlmargin.brokers.detect`)

# What an IBKR export means by a header and the positions table reads it as, alike: a header that
# means anything else in an export (Financial Instrument is the symbol there, the description in a
# table; FX Rate To Base a rate to the base, not USD per unit), or nothing in a table (conid, Sub
# Category, Level Of Detail), is one only an export writes.
ALIKE = frozenset({
    ("symbol", "symbol"), ("description", "description"), ("asset", "type"), ("asset", "class"),
    ("quantity", "quantity"), ("price", "price"), ("multiplier", "multiplier"), ("currency", "currency"),
    ("underlying", "underlying"), ("underlying_price", "underlying_price"), ("strike", "strike"),
    ("expiry", "expiry"), ("right", "right"),
})  # fmt: skip


# IBKR's own spelling of a field both readings read alike (the positions table takes it as an alias,
# so that a table pasted from TWS reads): a header spelled so points to an export
IBKR_SPELLINGS = frozenset({
    "assetclass", "assetcategory", "position", "markprice", "closeprice", "marketprice", "underlyingsymbol",
    "putcall", "lasttradingday",
})  # fmt: skip
# IBKR's names for a position's quantity and price: on a tie of the score, an export
IBKR_AMOUNTS = frozenset({"position", "markprice", "closeprice", "marketprice"})
# The positions table's spelling of a field an IBKR CSV export heads otherwise (Asset Class)
TABLE_SPELLINGS = frozenset({"sectype"})


def positions_table(header: list[str], rows: list[list[str]]) -> bool:
    """Whether a one-header CSV with an asset-class, a quantity and a price column is a positions
    table rather than a TWS / Client Portal portfolio export, from what its names point to:

    - a ``type`` column: a table; a column only an export writes (:data:`ALIKE`: Financial
      Instrument, FX Rate To Base, conid, Sub Category, ...): an export;
    - an asset-class column holding class names (equity, broad_index), which the positions table
      reads as ``class`` and no export writes, or no symbol the export reads (a ``ticker``): a table;
    - else a score: the names spelled as IBKR heads its fields (:data:`IBKR_SPELLINGS`: Position,
      Mark Price, Asset Class, Put/Call, ...) against the positions table's own names for a field
      the export reader would leave out (qty, ticker, fx_rate, undpx, ...) or IBKR spells otherwise
      (:data:`TABLE_SPELLINGS`: sectype); an export when IBKR's names are more, and on a tie when
      the quantity or the price is spelled as IBKR does (Position, Mark Price). Names both readings
      read alike (symbol, quantity, price, currency, strike, multiplier, account) and columns the
      export reader keeps as they are (special_maintenance, volatility, beta, days, class, sleeve,
      ...) point to neither, so an export with an Account or an Implied Volatility column is one."""
    from xlmargin.positions.columns import HEADER_MAP, norm_header

    if "type" in {norm_header(c) for c in header}:
        return True
    for cell in header:
        meaning, column = FIELDS.get(field_key(cell)), HEADER_MAP.get(norm_header(cell))
        if meaning is not None and meaning != "account" and (meaning, column) not in ALIKE:
            return False
    asset = next(i for i, c in enumerate(header) if FIELDS.get(field_key(c)) == "asset")
    values = {norm_header(r[asset]) for r in rows if len(r) > asset and r[asset].strip()}
    if HEADER_MAP.get(norm_header(header[asset])) == "class" and values and _class_names(values):
        return True
    if not any(FIELDS.get(field_key(c)) == "symbol" for c in header):
        return True  # the export would read no symbol (a table's ticker is the only one)
    ibkr = sum(field_key(c) in IBKR_SPELLINGS for c in header)
    table = sum(field_key(c) in TABLE_SPELLINGS or _left_out(c) for c in header)
    if ibkr == table:  # a tie: IBKR's names for the quantity or the price (Position, Mark Price) decide
        return not any(field_key(c) in IBKR_AMOUNTS for c in header)
    return ibkr < table


def _left_out(name: str) -> bool:
    """Whether the positions table reads the header ``name`` as a field the export reader leaves
    out (:func:`dropped`: a table's name for a field IBKR names otherwise, qty beside Position)."""
    from xlmargin.positions.columns import HEADER_MAP, norm_header

    return (
        FIELDS.get(field_key(name)) is None
        and HEADER_MAP.get(norm_header(name)) is not None
        and (kept_column(name) is None)
    )


def _class_names(values: set[str]) -> bool:
    """Whether the asset-class cells ``values`` (normalised) are all class names, as the positions
    reader reads an Asset Class column holding them as ``class`` (none a type code such as STK)."""
    from xlmargin.positions.columns import norm_header
    from xlmargin.positions.model import CLASS_ALIASES, CLASSES

    return values <= {norm_header(c) for c in CLASSES} | CLASS_ALIASES.keys()


def _width_problem(path: Path, line: int, got: int, want: int) -> InputError:
    return InputError(Problem(f"{path.name}: the row has {got} cells where the header has {want}", line))


def read_statement(path: Path, max_cells: int | None = None) -> tuple[list[Record], Base, tuple[str, ...]]:
    """The Open Positions section's summary rows (or those of the Long and Short Open Positions
    sections: :data:`SIDES`); each currency's rate to the base from the
    statement's exchange-rate section, made USD per unit (the base from "Account Information");
    the notes. A file of several statements (one account's "Account Information" row, then
    another's) is refused (:func:`_one_statement`); a rate that does not read is a problem naming
    its row, but IBKR's ``--`` (no value) leaves its currency without a rate, as one the section
    does not list, and a note names the positions in it (:func:`_unrated`)."""
    header: list[str] | None = None
    rate_header: list[str] | None = None
    info_header: list[str] | None = None
    instruments: dict[str, Record] = {}  # symbol → its Financial Instrument Information
    records: list[Record] = []
    rates: dict[str, str] = {}
    unrated: dict[str, tuple[int, str]] = {}
    accounts: list[tuple[int, str]] = []
    problems: list[Problem] = []
    base: str | None = None
    sections: dict[str, None] = {}
    for line, cells in _rows(csv_text(path, max_cells=max_cells)):
        section, kind, rest = cells[0].strip(), cells[1].strip() if len(cells) > 1 else "", cells[2:]
        sections.setdefault(section)
        if section == SECTION or section in SIDES:
            held = len(records)
            header = _positions_row(path, line, kind, rest, header, records)
            if section in SIDES and len(records) > held:
                _on_its_side(path, section, records[-1], problems)
        elif section == INSTRUMENTS:
            info_header = _instrument_row(line, kind, rest, info_header, instruments)
        elif section == RATES:
            rate_header = _rates_row(line, kind, rest, rate_header, rates, problems, unrated)
        elif section == ACCOUNT and kind == "Data" and len(rest) > 1 and field_key(rest[0]) == "basecurrency":
            base = rest[1].strip().upper() or None
        elif section == ACCOUNT and kind == "Data" and len(rest) > 1 and field_key(rest[0]) == "account":
            accounts.append((line, rest[1].strip()))
    _one_statement(path, accounts)
    if problems:
        raise InputError(problems)
    if header is None:
        raise InputError(
            Problem(
                f"{path.name}: the statement has no Open Positions section (nor Long and Short Open "
                f"Positions); its sections: {shown(', '.join(s for s in sections if s))}: export the "
                "activity statement with its Open Positions"
            )
        )
    records = summaries_or_lots(records)
    bond_terms(path.name, records, lambda r: instruments.get(r.get("symbol")), FIXES)
    if base and not rates.get(base):
        rates[base] = "1"  # the section lists the other currencies
    for r in records:
        if "fx_rate" not in r.values and r.get("currency").upper() in rates:
            r.values["fx_rate"] = rates[r.get("currency").upper()]
            r.names["fx_rate"] = RATES
    # the rates are to the base currency, fx_rate to USD
    return records, rates_in_usd(records, base, rates.get("USD")), _unrated(path, records, unrated)


def _on_its_side(path: Path, section: str, r: Record, problems: list[Problem]) -> None:
    """A position of a Long or Short Open Positions section must be signed as its section says
    (:data:`SIDES`): a quantity of the other sign is a problem naming its row, never read as the
    section's side nor as the sign it gives (which one the export meant is not for the reader to guess)."""
    quantity, _ = parsed(r.get("quantity"))
    if quantity is not None and quantity * SIDES[section] < 0:
        side = "long" if SIDES[section] > 0 else "short"
        problems.append(
            Problem(
                f"{path.name}: a quantity of {r.get('quantity')} in {section}, whose positions are "
                f"{side}: check the export (quantities are signed, a short's below 0)",
                r.line,
                r.names.get("quantity", "Quantity"),
            )
        )


def _unrated(path: Path, records: list[Record], unrated: dict[str, tuple[int, str]]) -> tuple[str, ...]:
    """A note per currency the rate section gives as ``--`` that a position is in: its rows are
    left without a rate, for an engine that needs one to ask for it naming the row."""
    from xlmargin.positions.infer import rows_text

    out = []
    for currency, (line, name) in unrated.items():
        held = [r.line for r in records if r.get("currency").upper() == currency and not r.get("fx_rate")]
        if held:
            out.append(
                f"{path.name}: row {line}, {name}: IBKR gives no rate for {shown(currency)} ('{NO_VALUE}'); "
                f"its positions ({rows_text(held)}) have no rate: give fx.{shown(currency)} in the account "
                "view, or "
                "each row's fx_rate (USD per unit) in a positions table"
            )
    return tuple(out)


def _positions_row(
    path: Path, line: int, kind: str, rest: list[str], header: list[str] | None, records: list[Record]
) -> list[str] | None:
    """One Open Positions row: a header (returned), or a summary data row (added to ``records``)."""
    if kind not in ROW_KINDS:
        raise InputError(
            Problem(f"{path.name}: '{shown(kind)}' is not Header, Data, SubTotal or Total", line)
        )
    if kind == "Header":
        return rest
    if kind == "Data":
        if header is None:
            raise InputError(Problem(f"{path.name}: Open Positions data before its header", line))
        if len(rest) != len(header):
            raise _width_problem(path, line, len(rest), len(header))
        records.append(record(line, zip(header, rest, strict=True), _bond_term))
    return header


def _bond_term(name: str) -> str | None:
    """An Open Positions column kept for a bond: one a user adds (Maturity, Coupon, Class)."""
    key = field_key(name)
    return key if key in TERMS else None


def _instrument_row(
    line: int, kind: str, rest: list[str], header: list[str] | None, instruments: dict[str, Record]
) -> list[str] | None:
    """One Financial Instrument Information row: a header (returned; each asset category has its
    own), or a contract's description, identifiers (Security ID, ISIN, CUSIP) and bond terms, by
    its symbol."""
    if kind == "Header":
        return rest
    if kind == "Data" and header and len(rest) == len(header):
        found = record(line, zip(header, rest, strict=True), _instrument_field)
        if found.get("symbol"):
            instruments.setdefault(found.get("symbol"), found)
    return header


def _instrument_field(name: str) -> str | None:
    """A Financial Instrument Information column kept: an identifier, a maturity or a coupon."""
    key = field_key(name)
    return key if key in (*IDS, "maturity", "coupon") else None


def _looked(r: Record) -> str:
    return f"the statement's Open Positions gives none on this row, and its {INSTRUMENTS} none"


FIXES = Fixes(
    reference=INSTRUMENTS,
    ids=f"the statement's {INSTRUMENTS} section gives a contract's Security ID",
    looked=_looked,
    maturity=(
        "give the maturity in the Open Positions section's Maturity column (add one if it has none), or "
        "read the statement into a positions table (xlmargin.import_broker) and fill its maturity column"
    ),
    coupon=(
        "give the coupon in the Open Positions section's Coupon column (add one if it has none), or read the "
        "statement into a positions table (xlmargin.import_broker) and fill its coupon column"
    ),
    klass=(
        "give the class in the Open Positions section's Class column (add one if it has none), or read the "
        "statement into a positions table (xlmargin.import_broker) and fill its class column"
    ),
)


def _rates_row(
    line: int,
    kind: str,
    rest: list[str],
    rate_header: list[str] | None,
    rates: dict[str, str],
    problems: list[Problem],
    unrated: dict[str, tuple[int, str]],
) -> list[str] | None:
    """One exchange-rate row: a header (returned), or a currency's rate (added to ``rates``; a rate
    that does not read, a decimal comma '0,8514', is a problem naming the row and its column;
    IBKR's no value, ``--``, is a blank rate, its line and column kept in ``unrated``)."""
    if kind == "Header":
        return rest
    if kind == "Data" and rate_header and len(rest) == len(rate_header):
        row = {field_key(name): (name, cell.strip()) for name, cell in zip(rate_header, rest, strict=True)}
        name, rate = row.get("rate", ("Rate", ""))
        currency = row.get("currency", ("", ""))[1].upper()
        if rate == NO_VALUE:
            rate = ""
            unrated[currency] = (line, name)
        elif (why := parsed(rate, name)[1]) is not None:
            problems.append(Problem(why, line, name))
        rates[currency] = rate
    return rate_header


def _one_statement(path: Path, accounts: list[tuple[int, str]]) -> None:
    """Refuse a file of several statements, which states an account twice ("Account Information",
    "Account"): statements of two accounts joined into one file (margin is per account, never of
    their positions added up as one book, and the file's last base currency and rates would be
    read for both), or two of one account (two days' positions)."""
    if len(accounts) < 2:
        return
    names = list(dict.fromkeys(shown(name) or "(blank)" for _, name in accounts))
    lines = ", ".join(str(line) for line, _ in accounts)
    if len(names) > 1:
        what = f"the statements of {len(names)} accounts ({shown(', '.join(names))}; lines {shown(lines)})"
        why = "margin is per account, and their positions are never added up as one book"
    else:
        what = f"{len(accounts)} statements of account {names[0]} (lines {lines})"
        why = "margin is on one statement's positions, and two statements' are not one book"
    message = (
        f"{path.name} holds {what}: {why}; export one statement per account and margin each (or read "
        "several accounts from a Flex Query report with 'xlmargin batch')"
    )
    raise InputError(Problem(message, accounts[1][0], "Account"))


def read_portfolio(path: Path, max_cells: int | None = None) -> tuple[list[Record], Base, tuple[str, ...]]:
    """One header row, then a position per row; a trailing total row (no symbol) is skipped. The
    columns a positions table adds that the export does not have (special_maintenance, volatility,
    class, sleeve, bond terms: :func:`kept_column`) are kept as they are; the notes name the
    columns the positions reader would read and this reader does not (:func:`dropped`). A bond's
    terms and a Treasury's class are read from its row (:func:`~xlmargin.brokers.bonds.bond_terms`,
    :data:`PORTFOLIO_FIXES`); a bond nothing dates is refused naming its row."""
    rows = _rows(csv_text(path, max_cells=max_cells))
    _, header = next(rows)
    records = []
    for line, cells in rows:
        if len(cells) != len(header):
            raise _width_problem(path, line, len(cells), len(header))
        found = record(line, zip(header, cells, strict=True), _portfolio_column)
        if not found.get("symbol") and not found.get("asset"):
            continue
        records.append(found)
    bond_terms(path.name, records, lambda r: None, PORTFOLIO_FIXES)
    # "FX Rate To Base": to the base currency, which the file does not state
    return records, rates_in_usd(records, None), dropped(path.name, header)


def _portfolio_column(name: str) -> str | None:
    """A portfolio export's column kept beside its fields: a positions-table column
    (:func:`kept_column`), or an identifier a bond's class is read from (CUSIP, ISIN, Security ID)."""
    key = field_key(name)
    return key if key in IDS else kept_column(name)


def _portfolio_looked(r: Record) -> str:
    return "the export gives none on this row (no Maturity column, or a blank one)"


# A portfolio export has no section of contracts' reference data: a bond's terms are its row's own
PORTFOLIO_FIXES = Fixes(
    reference="",
    ids="the export has no CUSIP, ISIN or Security ID column, or a blank one on this row",
    looked=_portfolio_looked,
    maturity=(
        "give the maturity in a Maturity column (add one if the export has none), or read the export into "
        "a positions table (xlmargin.import_broker) and fill its maturity column"
    ),
    coupon=(
        "give the coupon in a Coupon column (add one if the export has none), or read the export into a "
        "positions table (xlmargin.import_broker) and fill its coupon column"
    ),
    klass=(
        "give the class in a Class column (add one if the export has none), or read the export into a "
        "positions table (xlmargin.import_broker), fill its class column and margin that table"
    ),
)


def kept_column(name: str) -> str | None:
    """The positions-table column a header of an export names when the export reader gives it no
    meaning of its own and the positions reader reads it as it is (special_maintenance, volatility,
    class, sleeve, coupon, maturity, ...); None otherwise."""
    from xlmargin.positions.columns import HEADER_MAP, norm_header

    column = HEADER_MAP.get(norm_header(name))
    return column if column is not None and column not in HEADER and column != "description" else None


# The column an IBKR export gives each canonical field in, for the warning of :func:`dropped`
IBKR_NAMES = {
    "symbol": "Symbol", "type": "Asset Class", "quantity": "Position", "price": "Mark Price",
    "underlying": "Underlying Symbol", "underlying_price": "Underlying Price", "strike": "Strike",
    "expiry": "Last Trading Day", "right": "Put/Call", "multiplier": "Multiplier", "currency": "Currency",
    "fx_rate": "FX Rate To Base, a rate to the account's base currency",
}  # fmt: skip


def dropped(source: str, header: list[str]) -> tuple[str, ...]:
    """A warning naming the columns of an export's ``header`` that the positions reader would read
    and the export reader leaves out (a table's ``fx_rate``, ``qty``, ``ticker`` beside the export's
    own fields), and a Last column beside another price (:data:`xlmargin.brokers.LAST`)."""
    from xlmargin.positions.columns import HEADER_MAP, last_note, norm_header

    out = []
    left, kept = [], set()
    for cell in header:
        if FIELDS.get(field_key(cell)) is not None or (column := HEADER_MAP.get(norm_header(cell))) is None:
            continue
        if kept_column(cell) is None:
            left.append(
                f"{cell.strip()} (an export gives {column} as {IBKR_NAMES.get(column, 'IBKR names it')})"
            )
        elif column in kept:
            left.append(f"{cell.strip()} (a second {column} column)")
        kept.add(column)
    if left:
        out.append(f"{source}: a TWS / Client Portal portfolio CSV; columns ignored: {', '.join(left)}")
    prices = [c.strip() for c in header if FIELDS.get(field_key(c)) == "price"]
    lasts = [c for c in prices if field_key(c) in LAST]
    if lasts and len(lasts) < len(prices):
        out.append(last_note(lasts[0], next(c for c in prices if c not in lasts)))
    return tuple(out)
