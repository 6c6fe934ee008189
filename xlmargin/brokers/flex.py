"""IBKR Flex Query XML: the ``<OpenPosition>`` elements of a Flex report.

Parsed with defusedxml's SAX reader (no entity expansion, no network, the line of each element).
``ibflex`` was evaluated and not used: importing it imports its web client, which needs ``requests``
(not a dependency); it parses with the standard library's ElementTree, which defusedxml exists to
guard; and it rejects values it does not know (a new currency code), where only a dozen fields
matter here.

A Flex query may report each position once (``levelOfDetail="SUMMARY"``) and again per tax lot
(``"LOT"``): the summary rows are read, and a position reported by lots alone is their sum
(:func:`~xlmargin.brokers.lots.summaries_or_lots`), so lots are never counted twice nor dropped.
Margin is computed per account, a position's account being its own ``accountId``, else its
``<FlexStatement>``'s: :func:`read` (``margin``, ``whatif``, ``hedge``, ``plan``) refuses a report of
several accounts, pointing to ``xlmargin batch``; :func:`read_accounts` (``batch``) splits one by
account, each read exactly as :func:`read` reads a report of that account alone. An account of
several statements (a query run over several days) is refused, naming their dates and lines: margin
is on one day's positions. The valuation date (``as_of``) does not pick one: it defaults to today
and is often a day after the statement's ``toDate``, so matching the two would make a file's
reading depend on when it is run. ``fxRateToBase`` is a rate to the account's base currency
(its statement's ``<AccountInformation currency=...>`` when the query has it), made USD per unit as
the positions table reads ``fx_rate`` (:func:`~xlmargin.brokers.rates.rates_in_usd`).

A BOND position has no maturity nor coupon field: its maturity is its contract's
``<SecurityInfo maturity=...>`` (by ``conid``; the query's Securities Info section), else the one its
description states as IBKR writes it (``T 4 1/2 11/15/31``), and so its coupon
(:mod:`xlmargin.brokers.bonds`); ``maturity``, ``coupon`` and ``class`` attributes on the position
itself come first. A bond none of these dates is refused naming its line and what to add to the
query. A bond's class is read only for a US Treasury, from its ``cusip``, ``isin`` or ``securityID``
(else its ``<SecurityInfo>``'s): another's is left blank, and an engine's error on it says what to add.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

from xlmargin.brokers import Base, Record, field_key, record
from xlmargin.brokers.bonds import IDS, TERMS, Fixes, bond_terms
from xlmargin.brokers.lots import summaries_or_lots
from xlmargin.brokers.rates import rates_in_usd
from xlmargin.errors import InputError, Problem, shown
from xlmargin.files import cells_checked

ROOTS = ("FlexQueryResponse", "FlexStatements", "FlexStatement")


def looks_like(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") and any(root.encode() in head for root in ROOTS)


# A statement's attributes that date it, the first the file gives naming it in an error
DATES = ("toDate", "reportDate", "fromDate", "whenGenerated")


@dataclass
class Statement:
    """One ``<FlexStatement>``: its line, its ``accountId`` ("" when it has none), what dates it
    (its first attribute of :data:`DATES`), how many positions it holds, and the base currencies
    its ``<AccountInformation currency=...>`` elements state, by the account they name (their own
    ``accountId``, else the statement's)."""

    line: int
    account: str = ""
    date: str = ""
    positions: int = 0
    bases: dict[str, str] = field(default_factory=dict)

    def dated(self) -> str:
        return f"{self.date} at line {self.line}" if self.date else f"undated at line {self.line}"


@dataclass
class Account:
    """What a report says of one account: its open positions (each at its file line), its base
    currency when the query reports it, and the statements (indices) naming it or holding its
    positions."""

    records: list[Record] = field(default_factory=list)
    base: str | None = None
    statements: list[int] = field(default_factory=list)
    securities: dict[str, Record] = field(default_factory=dict)  # the report's, by conid


class _Positions(ContentHandler):
    """The report's positions by account, in the order of the file. A position's account is its own
    ``accountId``, else its statement's ("" when neither names one)."""

    def __init__(self, max_cells: int | None = None) -> None:
        super().__init__()
        self.max_cells, self.cells = max_cells, 0  # the attributes read, each a cell of a table
        self.locator: Locator | None = None
        self.root: str | None = None
        self.statements: list[Statement] = []
        self.accounts: dict[str, Account] = {}
        self.current: int | None = None
        self.securities: dict[str, Record] = {}  # conid → a <SecurityInfo>'s bond terms
        self.trades = 0  # <Trade> elements: not read (a Trades report is no book of positions)

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def line(self) -> int:
        return (self.locator.getLineNumber() if self.locator else None) or 0

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        if self.max_cells is not None:
            self.cells += len(attrs)
            if self.cells > self.max_cells:
                raise _TooLarge
        if self.root is None:
            self.root = name
        if name == "FlexStatement":
            date = next((f"{a} {attrs[a].strip()}" for a in DATES if (attrs.get(a) or "").strip()), "")
            self.current = len(self.statements)
            self.statements.append(Statement(self.line(), (attrs.get("accountId") or "").strip(), date))
            self.account(self.statements[-1].account)
        statement = self.statements[self.current] if self.current is not None else None
        if name == "AccountInformation" and attrs.get("currency") and statement is not None:
            named = (attrs.get("accountId") or "").strip() or statement.account
            statement.bases.setdefault(named, attrs["currency"].strip().upper())
        if name == "SecurityInfo" and (conid := (attrs.get("conid") or "").strip()):
            info = self.securities.setdefault(conid, Record(self.line(), {}))
            for name, value in attrs.items():
                if (key := field_key(name)) in BOND_TERMS and (value or "").strip():
                    info.values[key], info.names[key] = value.strip(), name
        if name == "Trade":
            self.trades += 1
        if name == "OpenPosition":
            r = record(self.line(), attrs.items(), _bond_term)
            self.account(r.get("account") or (statement.account if statement else "")).records.append(r)
            if statement is not None:
                statement.positions += 1

    def endElement(self, name: str) -> None:
        if name == "FlexStatement":
            self.current = None

    def account(self, name: str) -> Account:
        account = self.accounts.setdefault(name, Account())
        if self.current is not None and self.current not in account.statements:
            account.statements.append(self.current)
        return account

    def result(self) -> dict[str, Account]:
        """The accounts holding positions, and those of a statement without any (whose error says
        so); each with its base: stated for it, else by a statement naming no account, and the
        report's Securities Info."""
        out: dict[str, Account] = {}
        for name, account in self.accounts.items():
            held = [self.statements[i] for i in account.statements]
            if not account.records and not (
                name and any(s.account == name and not s.positions for s in held)
            ):
                continue  # a statement's own account whose positions all name other accounts
            bases = [s.bases.get(name) or s.bases.get("") for s in held]
            account.base = next((b for b in bases if b), None)
            account.securities = self.securities
            out[name] = account
        return out


# A position's fields kept for its bond terms: the positions-table columns it may carry itself
# (maturity, coupon, class), and its identifiers (cusip, isin, securityID), a Treasury's class
KEPT = (*TERMS, *IDS)
BOND_TERMS = ("maturity", "coupon", *IDS)  # a <SecurityInfo>'s, by conid


def _bond_term(name: str) -> str | None:
    """A position's attribute kept for its bond terms (:data:`KEPT`), as the name it reads by."""
    key = field_key(name)
    return key if key in KEPT else None


def _looked(r: Record) -> str:
    conid = r.get("conid")
    info = f"no <SecurityInfo> of conid {conid}" if conid else "no conid finds a <SecurityInfo> that"
    return f"a Flex OpenPosition carries none, {info} gives one"


FIXES = Fixes(
    reference="SecurityInfo",
    ids="add CUSIP or ISIN to the query's Open Positions or Securities Info section",
    looked=_looked,
    maturity="add the Securities Info section (its maturity field) to the Flex query",
    coupon=(
        'give the position a coupon attribute (coupon="4.5"), or read the report into a positions '
        "table (xlmargin.import_broker) and fill its coupon column"
    ),
    klass=(
        'give the position a class attribute (class="corporate"), or read the report into a positions '
        "table (xlmargin.import_broker) and fill its class column"
    ),
)


def _bond_terms(path: Path, records: list[Record], securities: dict[str, Record]) -> None:
    """Each BOND position's maturity, coupon and class (:func:`~xlmargin.brokers.bonds.bond_terms`):
    its own attributes, else its contract's ``<SecurityInfo>`` (by conid), else its description;
    a Treasury's class from its CUSIP or ISIN."""
    bond_terms(path.name, records, lambda r: securities.get(r.get("conid")), FIXES)


class _TooLarge(Exception):
    """A report of more attributes than the cells a positions file may hold, stopped as it is read."""


def _parse(path: Path, max_cells: int | None = None) -> tuple[dict[str, Account], list[Statement], int]:
    """The report's accounts and statements, and how many ``<Trade>`` elements it has; a malformed or refused
    XML, another document, or one of more than ``max_cells`` attributes (each a cell:
    :func:`xlmargin.files.cells_checked`, checked as they are read) is an error of the whole file."""
    import defusedxml
    import defusedxml.sax

    handler = _Positions(max_cells)
    try:
        defusedxml.sax.parse(str(path), handler)
    except _TooLarge:
        cells_checked(path.name, handler.cells, max_cells or 0)
    except SAXParseException as exc:
        message = f"{path.name}: the XML is truncated or malformed ({exc.getMessage()})"
        raise InputError(Problem(message, exc.getLineNumber())) from None
    except (SAXException, defusedxml.DefusedXmlException) as exc:  # entities, DTDs, external references
        raise InputError(Problem(f"{path.name}: the XML is refused ({exc})")) from None
    if handler.root not in ROOTS:
        raise InputError(Problem(f"{path.name}: <{shown(handler.root)}> is not a Flex Query report"))
    return handler.result(), handler.statements, handler.trades


def _no_positions(trades: int) -> str:
    """What to do about a report without positions: a Trades report (``trades`` ``<Trade>``
    elements) is not read, and is no trades file for whatif; else the query lacks Open Positions."""
    book = (
        "margin reads a report's Open Positions, the account's book; the trades of whatif and "
        "margin_impact are a positions table, one row per trade with a signed quantity (written by "
        "hand or from xlmargin.import_broker), never the account's positions again"
    )
    if trades:
        return f"its <Trade> rows ({trades}: executions) are not read: {book}"
    return f"to margin the account, add Open Positions to the query ({book})"


# The expiry forms a Flex report writes that the positions reader reads: yyyyMMdd, yyyy-MM-dd
_ISO_DATE = re.compile(r"\d{8}|\d{4}-\d{2}-\d{2}")


def _iso_dates(path: Path, records: list[Record]) -> None:
    """Refuse an expiry in another of the query's date formats (MM/dd/yyyy, dd/MM/yyyy: which of
    the two is not guessed), naming each row and saying how to change the query."""
    problems = [
        Problem(
            f"{path.name}: '{shown(r.get('expiry'))}' is in a date format xlmargin does not read (it never "
            "guesses MM/dd from dd/MM): set the Flex query's Date Format to yyyyMMdd (or yyyy-MM-dd) "
            "and run it again",
            r.line,
            r.names.get("expiry"),
        )
        for r in records
        if r.get("expiry") and not _ISO_DATE.fullmatch(r.get("expiry"))
    ]
    if problems:
        raise InputError(problems)


def _positions(
    path: Path, name: str, account: Account, statements: list[Statement], trades: int = 0
) -> tuple[list[Record], Base]:
    """One account's positions (summaries, or lots summed, each bond with its terms:
    :func:`_bond_terms`) and rates made USD per unit. An account
    of several statements (a query run over several days: one statement per day) is refused: margin
    is on one day's positions, and those of several days are not one book."""
    if len(account.statements) > 1:
        held = [statements[i] for i in account.statements]
        raise InputError(
            Problem(
                f"{path.name}: account {shown(name) or '(blank)'} has {len(held)} statements "
                f"({'; '.join(s.dated() for s in held)}); margin is on one day's positions: run the "
                "Flex query for one day (Period: Last Business Day) or keep one <FlexStatement> per account"
            )
        )
    if not account.records:
        raise InputError(
            Problem(f"{path.name}: the Flex report has no OpenPosition rows; {_no_positions(trades)}")
        )
    records = summaries_or_lots(account.records)
    _iso_dates(path, records)
    _bond_terms(path, records, account.securities)
    return records, rates_in_usd(records, account.base)  # fxRateToBase is to the base, fx_rate to USD


def read(path: Path, max_cells: int | None = None) -> tuple[list[Record], Base]:
    """The positions of a report of one account; a report of several is refused, pointing to batch."""
    accounts, statements, trades = _parse(path, max_cells)
    if len(accounts) > 1:
        names = shown(", ".join(a or "(blank)" for a in accounts))
        raise InputError(
            Problem(
                f"{path.name} holds {len(accounts)} accounts ({names}); "
                f"margin is per account: 'xlmargin batch {path.name}' gives one row per account, or export "
                "one account per file"
            )
        )
    name, account = next(iter(accounts.items()), ("", Account()))
    return _positions(path, name, account, statements, trades)


def read_accounts(
    path: Path, max_cells: int | None = None
) -> list[tuple[str, tuple[list[Record], Base] | InputError]]:
    """Each account of a report, in the order of the file: its id, and its positions and rates as
    :func:`read` reads a report of it alone, or why they cannot be read. A report without any
    position is refused as a whole (its query lacks Open Positions)."""
    accounts, statements, trades = _parse(path, max_cells)
    if not any(account.records for account in accounts.values()):  # the query's, not an account's
        _positions(path, "", Account(), statements, trades)
    out: list[tuple[str, tuple[list[Record], Base] | InputError]] = []
    for name, account in accounts.items():
        try:
            out.append((name, _positions(path, name, account, statements)))
        except InputError as exc:
            out.append((name, exc))
    return out
