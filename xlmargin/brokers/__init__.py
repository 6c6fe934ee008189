"""Broker exports turned into the positions contract.

Three Interactive Brokers exports are read, recognised from their content (never from the file name):

- ``ibkr-flex``: a Flex Query XML report with an Open Positions section (``<OpenPosition .../>``).
- ``ibkr-statement``: an activity statement CSV, the multi-section file whose rows start with the
  section name and ``Header``/``Data``/``SubTotal``/``Total``; its "Open Positions" section is read
  (or its "Long Open Positions" and "Short Open Positions", a layout IBKR has used), and its "Base
  Currency Exchange Rate" section supplies each currency's rate to the base.
- ``ibkr-portfolio``: a TWS or Client Portal portfolio CSV, one header row then one row per position.

Each becomes a table with the canonical headers (symbol, type, quantity, price, underlying,
underlying_price, strike, expiry, right, multiplier, currency, fx_rate), which the positions reader
then validates like any other table. Problems name the file's row (its line number) and the
export's own column name.

IBKR exports do not carry an option's underlying price. It is taken from the underlying's own row
in the same export (a stock for an equity option, the future for an option on a future); when the
book holds no such row, the file needs an ``Underlying Price`` column (a Flex report an
``underlyingPrice`` attribute on the position), and the error says so
(:data:`xlmargin.brokers.underlying.UNDERLYING_FIX`).
Nor does an export carry a volatility: an engine's error asking for one says to read the export with
``import_broker`` and fill the table's volatility column (:meth:`BrokerTable.explain`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xlmargin.cells import to_number
from xlmargin.errors import NO_VOLATILITY_FIX, InputError, Problem, XlMarginError, a_or_an, shown

if TYPE_CHECKING:
    from xlmargin.positions import Portfolio

HEADER = (
    "symbol", "type", "quantity", "price", "underlying", "underlying_price",
    "strike", "expiry", "right", "multiplier", "currency", "fx_rate",
)  # fmt: skip
FORMATS = {
    "ibkr-flex": "IBKR Flex Query XML (Open Positions)",
    "ibkr-statement": "IBKR activity statement CSV (Open Positions section)",
    "ibkr-portfolio": "TWS / Client Portal portfolio CSV",
}

# An export's field names (compared without case, spaces, underscores, slashes, hyphens and dots)
# mapped to what they mean here; Flex attribute names and CSV headers share the table.
FIELDS: dict[str, str] = {
    "symbol": "symbol", "financialinstrument": "symbol", "instrument": "symbol", "contract": "symbol",
    "description": "description", "financialinstrumentdescription": "description",
    "assetcategory": "asset", "assetclass": "asset", "sectype": "asset", "securitytype": "asset",
    "subcategory": "subcategory",
    "position": "quantity", "quantity": "quantity", "pos": "quantity",
    "markprice": "price", "mark": "price", "closeprice": "price", "marketprice": "price",
    "lastprice": "price", "last": "price", "price": "price",
    "multiplier": "multiplier", "mult": "multiplier",
    "currency": "currency",
    "underlyingsymbol": "underlying", "underlying": "underlying",
    "underlyingprice": "underlying_price", "undprice": "underlying_price",
    "strike": "strike", "expiry": "expiry", "lasttradingday": "expiry", "expiration": "expiry",
    "putcall": "right", "right": "right",
    "fxratetobase": "fx_rate",
    "conid": "conid", "underlyingconid": "underlying_conid",
    "leveldetail": "detail", "levelofdetail": "detail", "datadiscriminator": "detail",
    "accountid": "account", "account": "account",
}  # fmt: skip
_MEANINGS = frozenset(FIELDS.values())

# IBKR asset classes (Flex codes and the activity statement's category names) → position types
ASSETS: dict[str, str] = {
    "stk": "stock", "stocks": "stock", "stock": "stock",
    "opt": "option", "equityandindexoptions": "option", "options": "option", "option": "option",
    "fut": "future", "futures": "future", "future": "future",
    "fop": "future_option", "optionsonfutures": "future_option", "futuresoptions": "future_option",
    "cash": "fx", "forex": "fx",  # a pair; a row of one currency is a balance (cash: _balance)
    "bond": "bond", "bonds": "bond", "bill": "bond", "treasurybills": "bond",
    "cfd": "cfd", "cfds": "cfd", "fxcfd": "cfd",
}  # fmt: skip
OPTIONS = ("option", "future_option")


# What an export needs where an engine asks for a volatility: the positions table's volatility column
# (a portfolio CSV keeps a Volatility column; a Flex report or a statement has none the reader keeps)
def filled_by_import(column: str, unit: str = "") -> str:
    """The remedy every export has for a figure it does not carry: its positions table, with the
    ``column`` filled in (``unit``: how, e.g. " (a decimal, 0.25)")."""
    return f"read the export with xlmargin.import_broker, fill its {column} column{unit} and margin that"


_FILL = filled_by_import("volatility", " (a decimal, 0.25)")
VOLATILITY_FIX = {
    "ibkr-flex": f"a Flex report carries no volatility xlmargin reads: {_FILL}",
    "ibkr-statement": f"an activity statement carries no volatility xlmargin reads: {_FILL}",
    "ibkr-portfolio": f"add a Volatility column to the export (a decimal, 0.25), or {_FILL}",
}

# IBKR's own option description: root, expiry DDMMMYY, strike, C/P ("AAPL 16JAN26 260 C")
_DESCRIPTION = re.compile(r"^(\S+)\s+(\d{1,2}[A-Z]{3}\d{2})\s+(\d+(?:\.\d+)?)\s+([CP])\b", re.IGNORECASE)


def field_key(name: str) -> str:
    return re.sub(r"[\s_\-./\ufeff]+", "", name.strip().lower())


@dataclass(slots=True)
class Record:
    """One position as an export states it: meaning → text, the file row, meaning → field name,
    and column → why the export leaves that column blank and what to do (an engine's error on it
    says so: :meth:`BrokerTable.explain`)."""

    line: int
    values: dict[str, str]
    names: dict[str, str] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)

    def get(self, meaning: str) -> str:
        return self.values.get(meaning, "").strip()


@lru_cache(maxsize=4096)
def meaning_of(name: str) -> str | None:
    """What an export's field name means here (None: nothing), once per distinct name."""
    return FIELDS.get(field_key(name))


# A last trade's price: the price only where the export gives no other (Mark Price, Close Price)
LAST = frozenset({"last", "lastprice"})


def record(
    line: int, cells: Iterable[tuple[str, Any]], keep: Callable[[str], str | None] | None = None
) -> Record:
    """A record from (field name, text) pairs; of two fields of one meaning the first, but a Last
    yields to another price. A field that means nothing here is dropped, unless ``keep`` names the
    positions-table column it is kept as."""
    out = Record(line, {})
    for name, value in cells:
        meaning = meaning_of(name)
        if meaning is None and keep is not None:
            meaning = keep(name)
        if meaning is None:
            continue
        if meaning not in out.values or (meaning == "price" and field_key(out.names[meaning]) in LAST):
            out.values[meaning] = "" if value is None else str(value)
            out.names[meaning] = name
    return out


@dataclass(frozen=True, slots=True)
class Base:
    """The account's base currency as an export shows it (stated, the one currency other than USD
    at a rate of exactly 1, or USD for a USD row at 1), and its units per US dollar (the export's
    own dollar rate to the base); None where the export does not tell. ``unread``: the positions
    (indices into the export's records) whose rate to the base was left blank, as it could not be
    made USD per unit (:func:`~xlmargin.brokers.rates.rates_in_usd`)."""

    currency: str | None = None
    per_usd: float | None = None
    unread: tuple[int, ...] = ()

    def why_unread(self) -> str:
        """Why the ``unread`` rates were left blank: the base unknown, or no dollar rate to it."""
        if self.currency is None:
            return (
                "the export's rate is IBKR's rate to the account's base currency, which the export does "
                "not show (no base stated, no USD row, no single currency at exactly 1), so it "
                "cannot be read as USD per unit and is left blank"
            )
        return (
            f"the export's rate is IBKR's rate to the account's base currency {self.currency}, and the "
            f"export gives no USD rate to {self.currency}, so it cannot be made USD per unit and is left "
            "blank"
        )


@dataclass(frozen=True, slots=True)
class BrokerTable:
    """A broker export as a positions table: canonical header, rows, where each row came from, and
    the account's base currency. Its ``fx_rate`` is USD per unit
    (:func:`~xlmargin.brokers.rates.rates_in_usd`)."""

    format: str
    source: str
    rows: tuple[tuple[Any, ...], ...]
    lines: tuple[int, ...]  # the file row of each position
    names: tuple[Mapping[str, str], ...]  # canonical column → the export's field name, per position
    base: Base = Base()
    extra: tuple[str, ...] = ()  # positions-table columns the export adds, after HEADER's in each row
    notes: tuple[str, ...] = ()  # the reader's warnings: columns it left out
    hints: tuple[Mapping[str, str], ...] = ()  # per position: column → why it is blank (Record.hints)

    @property
    def header(self) -> tuple[str, ...]:
        """The table's columns: the canonical ones, then those the export adds (:attr:`extra`)."""
        return (*HEADER, *self.extra)

    def account_params(
        self, given: Mapping[str, Any], account_currency: Any = None, default: str = "USD"
    ) -> dict[str, Any]:
        """The parameters this table implies to a function reading ``fx_rates`` (the account view,
        the ESMA functions, capacity, the decisions), those of ``given`` (a params range's names and
        values, matched as it matches them) kept: ``fx_rates=usd``, its rates being USD per unit;
        and in an account of the export's base currency, ``fx.USD``, the export's own dollar rate to
        the base, the one the readers divided by. The account currency is ``account_currency`` (the
        ESMA functions' argument), else the ``account_currency`` parameter, else ``default`` (USD,
        the account view's; EUR, the ESMA functions')."""
        from xlmargin.params import norm

        named = {norm(str(name)): value for name, value in given.items()}
        implied: dict[str, Any] = {"fx_rates": "usd"}
        account = account_of(named, account_currency, default)
        if account == self.base.currency and account != "USD" and self.base.per_usd is not None:
            implied["fx.USD"] = self.base.per_usd
        return {name: value for name, value in implied.items() if norm(name) not in named}

    def rates_beside(
        self,
        table: Portfolio,
        names: tuple[str, str],
        given: Mapping[str, Any],
        account_currency: Any = None,
        default: str = "USD",
    ) -> InputError | None:
        """Why one ``fx_rates`` reading cannot read ``table`` (a positions table read beside this
        export in one computation) and this export alike, or None where it can. ``names``: what the
        export and the table are ("positions", "trades", "candidates"); ``given`` and
        ``account_currency``, ``default``: as :meth:`account_params` takes them.

        The export's rates are USD per unit; the table's are what ``fx_rates`` says, the account's
        units per unit unless ``fx_rates=usd`` is given. A row in the account currency reads 1 in
        both, and a dollar row must read 1 in USD per unit (each refused otherwise, naming the row),
        so the readings part without a check to catch it only on a table row rating a third
        currency, neither USD nor the account's: then the table is refused naming ``fx_rates`` and
        its first such row, unless ``fx_rates=usd`` is given or the account is in USD (both readings
        are then USD per unit). The one check of the command line and the Python API."""
        import numpy as np

        from xlmargin.params import norm

        named = {norm(str(name)): value for name, value in given.items()}
        account = account_of(named, account_currency, default)
        if str(named.get("fxrates") or "").strip().lower() == "usd" or account == "USD":
            return None
        codes, currencies = table.codes("currency")
        third = np.array([c not in (None, "", "USD", account) for c in currencies], dtype=bool)[codes]
        rated = np.flatnonzero(third & ~np.isnan(table.arrays["fx_rate"]))
        if not len(rated):
            return None
        k = int(rated[0])
        row, currency = int(table.arrays["row"][k]), str(table.arrays["currency"][k])
        export, other = names
        return InputError(
            Problem(
                f"the {export} are a broker export, whose rates are USD per unit, and the {other} a table "
                f"rating {currency} (row {row} of the {other}, fx_rate {table.arrays['fx_rate'][k]:g}), a "
                f"currency other than USD and {account}: one reading cannot read both. Give fx_rates=usd "
                f"(and fx.USD) if the table's rates are USD per unit; if they are {account} per unit, "
                f"write them in USD per unit, or leave them blank and give fx.<CCY>",
                None,
                "fx_rates",
            )
        )

    @property
    def warnings(self) -> tuple[str, ...]:
        """The reader's warnings: the columns it left out, the rows whose rate to the base was left
        blank, and why."""
        if not self.base.unread:
            return self.notes
        from xlmargin.positions.infer import rows_text

        rows = rows_text([self.lines[i] for i in self.base.unread])
        column = self.names[self.base.unread[0]].get("fx_rate", "fx_rate")
        fix = (
            "give each row's fx_rate (USD per unit) in a positions table, or read the export in the "
            "account view with account_currency = its base, fx.USD and fx.<CCY> (base units per unit)"
        )
        return (*self.notes, f"{rows}, {column}: {self.base.why_unread()}; {fix}")

    def table(self) -> list[list[Any]]:
        """Header row first, as the positions reader takes it, each position at its file row (blank
        rows between are ignored by the reader), so that the reader's row numbers are the file's."""
        out: list[list[Any]] = [list(self.header)]
        for line, row in zip(self.lines, self.rows, strict=True):
            out.extend([] for _ in range(line - len(out) - 1))
            out.append(list(row))
        return out

    def explain(self, error: XlMarginError) -> XlMarginError:
        """The same error with its columns named as in the export, a problem with the rate of a
        row whose rate to the base the reader left blank saying why (:meth:`Base.why_unread`), one
        with a column the export gives a row no value in saying why and what to do (a bond's
        coupon or class: :attr:`hints`), and one asking for a volatility saying how an export
        gives one (:data:`VOLATILITY_FIX`)."""
        names = dict(zip(self.lines, self.names, strict=True))
        hints = dict(zip(self.lines, self.hints, strict=True)) if self.hints else {}
        unread = {self.lines[i] for i in self.base.unread}
        why = f"; {self.base.why_unread()}" if unread else ""
        problems = [
            Problem(
                p.message
                + (why if p.row in unread and p.column == "fx_rate" else "")
                + (f"; {hint}" if p.column and (hint := hints.get(p.row, {}).get(p.column)) else "")
                + (self._volatility_fix() if p.message.endswith(NO_VOLATILITY_FIX) else ""),
                p.row,
                names[p.row].get(p.column, p.column),
            )
            if p.row in names and p.column
            else p
            for p in error.problems
        ]
        return type(error)(problems)

    def _volatility_fix(self) -> str:
        """Where an engine asks an option of this export for a volatility: how to give one."""
        return f"; {VOLATILITY_FIX[self.format]}"


def account_of(named: Mapping[str, Any], account_currency: Any, default: str) -> str:
    """The account currency: ``account_currency`` (an argument), else the ``account_currency``
    parameter of ``named`` (names normalised by :func:`xlmargin.params.norm`), else ``default``."""
    stated = account_currency if account_currency not in (None, "") else named.get("accountcurrency")
    return str(stated or "").strip().upper() or default


def detect(path: Path) -> str | None:
    """The export format of ``path`` judged from its first bytes, or None when it is not one."""
    from xlmargin.brokers import csvs, flex

    try:
        with path.open("rb") as fh:
            head = fh.read(csvs.HEAD)
    except OSError:
        return None
    if flex.looks_like(head):
        return "ibkr-flex"
    return csvs.looks_like(head)


def import_broker(path: str | Path, *, max_cells: int | None = None) -> BrokerTable:
    """Read a broker export (format detected from its content) into a positions table; a file of
    more than ``max_cells`` cells is refused before it is parsed (:func:`xlmargin.files.cells_checked`)."""
    from xlmargin.brokers import csvs, flex
    from xlmargin.files import input_file

    path = input_file(Path(path))
    kind = detect(path)
    if kind is None:
        known = "; ".join(FORMATS.values())
        raise InputError(Problem(f"{path.name} is not a broker export xlmargin reads ({known})"))
    if kind == "ibkr-flex":
        return finish(kind, path.name, *flex.read(path, max_cells))
    readers = {"ibkr-statement": csvs.read_statement, "ibkr-portfolio": csvs.read_portfolio}
    records, base, notes = readers[kind](path, max_cells)
    table = finish(kind, path.name, records, base)
    return dataclasses.replace(table, notes=(*notes, *table.notes))


# A table of accounts read as a portfolio CSV: the names that make it a positions table
_TABLE_HINT = (
    "; a positions table of several accounts is told from an export by its names: head its type column "
    "'type' or 'sectype' (README, Broker exports)"
)


def import_accounts(
    path: str | Path, *, max_cells: int | None = None
) -> list[tuple[str, int, BrokerTable | XlMarginError]]:
    """Each account of an export of several (an IBKR Flex Query report, one ``<FlexStatement>``
    per account), in the order of the file: (account id, its positions, its positions table as
    :func:`import_broker` reads an export of that account alone, or why that cannot be read). A
    problem of the whole file (malformed XML, not an export) is raised. The CSV exports are refused:
    an activity statement states one base currency and one table of rates for the whole file and
    its rows name no account, and a portfolio CSV is one account's view."""
    from xlmargin.brokers import flex
    from xlmargin.files import input_file

    path = input_file(Path(path))
    kind = detect(path)
    if kind != "ibkr-flex":
        what = a_or_an(FORMATS[kind]) if kind else "not a broker export"
        raise InputError(
            Problem(
                f"{path.name} is {what}: the accounts of an export are read from an IBKR Flex Query "
                "XML report (one <FlexStatement> per account, each with its own base currency and "
                f"rates); margin this file with 'xlmargin margin {path.name}' (or whatif, hedge, plan)"
                + (_TABLE_HINT if kind == "ibkr-portfolio" else "")
            )
        )
    out: list[tuple[str, int, BrokerTable | XlMarginError]] = []
    for account, read in flex.read_accounts(path, max_cells):
        if isinstance(read, XlMarginError):
            out.append((account, 0, read))
            continue
        try:
            out.append((account, len(read[0]), finish(kind, path.name, *read)))
        except XlMarginError as exc:
            out.append((account, len(read[0]), exc))
    return out


def read_broker(path: str | Path, *, as_of: dt.date, max_cells: int | None = None) -> Portfolio:
    """A broker export read and validated as a portfolio; errors name the export's rows and fields."""
    from xlmargin.positions import Portfolio, read_positions

    imported = import_broker(path, max_cells=max_cells)
    try:
        book = read_positions(imported.table(), as_of=as_of)
    except XlMarginError as exc:
        raise imported.explain(exc) from None
    if not imported.warnings:
        return book
    coded = {name: book.codes(name) for name in book.coded()}
    return Portfolio(book.arrays, book.as_of, (*imported.warnings, *book.warnings), coded)


def finish(kind: str, source: str, records: list[Record], base: Base = Base()) -> BrokerTable:
    """Records → canonical rows: types from asset classes, option terms, underlying prices
    (:mod:`xlmargin.brokers.underlying`)."""
    from xlmargin.brokers.underlying import underlying_price, underlying_prices

    problems: list[Problem] = []
    if not records:
        raise InputError(Problem(f"{source}: the export holds no open positions"))
    _one_account(source, records)
    kinds = [_type(r, problems) for r in records]
    prices, by_conid = underlying_prices(records, kinds)
    rows: list[tuple[Any, ...]] = []
    names: list[Mapping[str, str]] = []
    # a meaning no export field has: a positions-table column the export adds (csvs.kept_column)
    extra = tuple(dict.fromkeys(k for r in records for k in r.values if k not in _MEANINGS))
    dated: list[Record] = []  # rows giving an expiry and days to expiry: the days are ignored
    for r, t in zip(records, kinds, strict=True):
        values = _values(r, t, problems)
        if t in OPTIONS and values["underlying_price"] is None:
            values["underlying_price"] = underlying_price(kind, r, values, prices, by_conid, problems)
        if values["expiry"] and r.get("days"):
            r.values["days"] = ""
            dated.append(r)
        row = [_cell(r, name, values[name], problems) if name in NUMBERS else values[name] for name in HEADER]
        rows.append((*row, *(r.get(name) or None for name in extra)))
        names.append({**r.names, "type": r.names.get("asset", "type")})
    if problems:
        raise InputError(problems)
    notes: tuple[str, ...] = (_days_note(source, dated),) if dated else ()
    lines = tuple(_lines(records))
    notes += _leverage_note(source, records, kinds, lines)
    hints = tuple(r.hints for r in records) if any(r.hints for r in records) else ()
    return BrokerTable(kind, source, tuple(rows), lines, tuple(names), base, extra, notes, hints)


def _days_note(source: str, dated: list[Record]) -> str:
    """The warning for rows that give both an expiry (Last Trading Day, or the one their option
    description states) and days to expiry (a DTE column kept beside IBKR's fields): the date is
    the contract's own, where days count from a day the export does not say, so the days are
    ignored rather than left to disagree with it."""
    from xlmargin.positions.infer import rows_text

    return (
        f"{source}: {rows_text([r.line for r in dated])}, {dated[0].names['days']}: ignored beside the "
        "expiry date the row gives: the contract's date is its expiry, days would count from the "
        "valuation date"
    )


def _leverage_note(
    source: str, records: list[Record], kinds: list[str | None], lines: tuple[int, ...]
) -> tuple[str, ...]:
    """A warning naming the ETF rows (IBKR's subcategory ETF) whose leverage the export does not
    give (no export carries one; a portfolio CSV may add a Leverage column) and that symbols.toml
    does not list as a plain fund ([funds], [classes]): each is read at leverage 1, where a leveraged
    or inverse fund's scan range and Reg T rates scale by its leverage (pm.toml [leveraged_etf],
    regt.toml [leveraged_etf]; margin-rules.md §1.1, §1.3)."""
    from xlmargin.positions.build import symbol_tables
    from xlmargin.positions.infer import rows_text

    listed = symbol_tables()[0]
    unknown = [
        (line, r.get("symbol"))
        for r, t, line in zip(records, kinds, lines, strict=True)
        if t == "etf" and not r.get("leverage") and r.get("symbol").upper() not in listed
    ]
    if not unknown:
        return ()
    funds = ", ".join(dict.fromkeys(shown(symbol) for _, symbol in unknown))
    return (
        f"{source}: {rows_text([line for line, _ in unknown])} ({funds}): ETFs read at leverage 1, the "
        "export giving no leverage; a leveraged or inverse fund (TQQQ 3, SQQQ -3) is margined at its "
        f"leverage (portfolio margin's range and Reg T's rates × |leverage|): {filled_by_import('leverage')}",
    )


def _one_account(source: str, records: list[Record]) -> None:
    """Refuse rows naming several accounts (an account column): margin is per account, and their
    positions are never added up as one book."""
    accounts: dict[str, Record] = {}
    for r in records:
        if r.get("account"):
            accounts.setdefault(r.get("account"), r)
    if len(accounts) > 1:
        second = list(accounts.values())[1]
        message = (
            f"{source}: its rows name {len(accounts)} accounts ({shown(', '.join(accounts))}); margin is per "
            "account: export one account per file"
        )
        raise InputError(Problem(message, second.line, second.names.get("account")))


def _values(r: Record, t: str | None, problems: list[Problem]) -> dict[str, Any]:
    """One record's canonical fields: its type, an FX pair's symbol without separators, a currency
    balance without a price, an option's terms (read from its description when the fields are
    missing)."""
    values = {name: r.get(name) or None for name in HEADER}
    values["type"] = t
    if t == "fx" and values["symbol"]:
        values["symbol"] = re.sub(r"[./ ]", "", values["symbol"])
    if t == "cash":  # a balance has no price: its Close Price is the currency's rate to the base
        values["price"] = None
    if t in OPTIONS:
        _option_terms(r, values, problems)
    return values


def _lines(records: list[Record]) -> list[int]:
    """The records' source lines; numbered from 2 when they do not rise (XML written on one line)."""
    lines = [r.line for r in records]
    if any(b <= a for a, b in zip([1, *lines], lines, strict=False)):
        lines = list(range(2, len(records) + 2))
    return lines


NUMBERS = frozenset(("quantity", "price", "underlying_price", "strike", "multiplier", "fx_rate"))


def parsed(text: str | None, name: str = "the field") -> tuple[float | None, str | None]:
    """A number an export gives, read by the one rule of every cell (:func:`xlmargin.cells.to_number`:
    a thousands separator only in groups of three, never a decimal comma or an underscore): (the
    number, None), (None, None) for a blank, (None, why) for a text the rule refuses. Every number
    read here (a quantity, a price, a strike, a multiplier, an exchange rate) is an amount: '15%'
    is refused naming ``name``, as the positions reader refuses it in an amount column."""
    if text is None or not text.strip():
        return None, None
    number, why = to_number(text, name, "a positions table's rate columns take one")
    return (None, why) if why else (number, None)


def as_number(text: Any) -> Any:
    """A number text as its float (:func:`parsed`), so the reader takes its fast path; any other
    text stays as it is, for the reader to report by row and field (the same rule refuses it)."""
    number, _ = parsed(text) if isinstance(text, str) else (None, None)
    return text if number is None else number


def _cell(r: Record, name: str, text: Any, problems: list[Problem]) -> Any:
    """A position's number (:func:`as_number`). A text the rule refuses goes to the reader, which
    names its row and field by the same rule, except one that Python's ``float`` reads ('1_00'):
    the reader reads a column of numbers and number texts with numpy, which would read it as 100,
    so it is a problem here, at the position's row."""
    number = as_number(text)
    if isinstance(number, str) and name in r.names:
        try:
            float(number)
        except ValueError:
            return number
        problems.append(Problem(parsed(number, r.names[name])[1] or number, r.line, r.names[name]))
    return number


def _type(r: Record, problems: list[Problem]) -> str | None:
    asset = r.get("asset")
    if not asset:
        problems.append(Problem("no asset class", r.line, r.names.get("asset", "Asset Class")))
        return None
    kind = ASSETS.get(field_key(asset))
    if kind is None:
        known = ", ".join(sorted({k.upper() for k in ASSETS if len(k) <= 5}))
        problems.append(
            Problem(
                f"asset class '{shown(asset)}' is not one xlmargin margins ({known})",
                r.line,
                r.names["asset"],
            )
        )
        return None
    if kind == "stock" and field_key(r.get("subcategory")) == "etf":
        return "etf"
    if kind == "fx" and _balance(r):
        return "cash"
    return kind


def _balance(r: Record) -> bool:
    """Whether a Forex / CASH row is a balance of one currency (an activity statement's Open
    Positions ``Forex,EUR,EUR,3000``: the positions table's ``cash`` type), not a pair
    (``EUR.USD``): its symbol is one ISO 4217 code of esma.toml ``[currencies] codes``."""
    from xlmargin.symbols import currency_codes

    return r.get("symbol").upper() in currency_codes(True)


def _option_terms(r: Record, values: dict[str, Any], problems: list[Problem]) -> None:
    """Strike, expiry, right and underlying from their fields, else from IBKR's description (its
    root's underlying: :func:`~xlmargin.symbols.underlying_of_root`)."""
    from xlmargin.symbols import underlying_of_root

    if all(values[k] for k in ("strike", "expiry", "right", "underlying")):
        return
    text = r.get("description") or r.get("symbol")
    match = _DESCRIPTION.match(text.upper())
    if match is None and _symbol_terms(r, values, problems):
        return
    if match is None:
        missing = ", ".join(k for k in ("underlying", "strike", "expiry", "right") if not values[k])
        problems.append(
            Problem(
                f"option '{shown(text)}' states no {missing} and is not an IBKR description such as "
                "'AAPL 16JAN26 260 C'",
                r.line,
                r.names.get("symbol", "symbol"),
            )
        )
        return
    root, expiry, strike, right = match.groups()
    # the root's underlying as every reader takes it (symbols.toml [roots]: SPXW → SPX; AAPL1 → AAPL)
    values["underlying"] = values["underlying"] or underlying_of_root(root)
    values["strike"] = values["strike"] or strike
    values["right"] = values["right"] or right
    if not values["expiry"]:
        try:
            values["expiry"] = dt.datetime.strptime(expiry, "%d%b%y").date().isoformat()
        except ValueError:
            problems.append(
                Problem(f"'{shown(expiry)}' in '{shown(text)}' is not a date", r.line, r.names.get("symbol"))
            )


def _symbol_terms(r: Record, values: dict[str, Any], problems: list[Problem]) -> bool:
    """Blank strike, expiry, right and underlying from an option symbol in the symbol or description
    field (OSI ``AAPL  260116C00260000``, TWS, IBKR), as the positions reader reads one; whether one
    was found (a symbol shaped like one whose terms do not read is a problem, and counts as found)."""
    from xlmargin.symbols import SymbolError, parse_option

    for meaning in ("symbol", "description"):
        try:
            found = parse_option(r.get(meaning)) if r.get(meaning) else None
        except SymbolError as exc:
            problems.append(Problem(str(exc), r.line, r.names.get(meaning, meaning)))
            return True
        if found is not None:
            values["underlying"] = values["underlying"] or found.underlying
            values["strike"] = values["strike"] or repr(found.strike)
            values["right"] = values["right"] or found.right
            values["expiry"] = values["expiry"] or found.expiry.isoformat()
            return True
    return False


__all__ = [
    "FORMATS", "HEADER", "Base", "BrokerTable", "detect", "import_accounts", "import_broker", "read_broker",
]  # fmt: skip
