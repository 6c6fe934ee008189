"""IBKR Flex Query XML: the ``<OpenPosition>`` elements of a Flex report.

Parsed with defusedxml's SAX reader (no entity expansion, no network, the line of each element).
``ibflex`` was evaluated and not used: importing it imports its web client, which needs ``requests``
(not a dependency); it parses with the standard library's ElementTree, which defusedxml exists to
guard; and it rejects values it does not know (a new currency code), where only a dozen fields
matter here.

A Flex query may report each position once (``levelOfDetail="SUMMARY"``) and again per tax lot
(``"LOT"``): the summary rows are read, and a position reported by lots alone is their sum
(:func:`~xlmargin.brokers.summaries_or_lots`), so lots are never counted twice nor dropped.
Margin is computed per account: :func:`read` (``margin``, ``whatif``, ``hedge``, ``plan``) refuses a
report of several accounts, pointing to ``xlmargin batch``; :func:`read_accounts` (``batch``) splits
one by its ``<FlexStatement accountId=...>`` elements, each account read exactly as :func:`read`
reads a report of that account alone. ``fxRateToBase`` is a rate to the account's base currency
(its statement's ``<AccountInformation currency=...>`` when the query has it), made USD per unit as
the positions table reads ``fx_rate`` (:func:`~xlmargin.brokers.rates_in_usd`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import AttributesImpl, Locator

from xlmargin.brokers import Base, Record, rates_in_usd, record, summaries_or_lots
from xlmargin.errors import InputError, Problem

ROOTS = ("FlexQueryResponse", "FlexStatements", "FlexStatement")


def looks_like(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<") and any(root.encode() in head for root in ROOTS)


@dataclass
class Statement:
    """What a report says of one account: its open positions (each at its file line) and its base
    currency, when the query reports it (``<AccountInformation currency=...>``)."""

    records: list[Record] = field(default_factory=list)
    base: str | None = None


class _Positions(ContentHandler):
    """The report's statements by account id, in the order of the file. A statement whose account
    id the report repeats adds to that account's (a position outside any statement, or in one
    without an id, is account "")."""

    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None
        self.root: str | None = None
        self.accounts: dict[str, Statement] = {}
        self.current = ""

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        if self.root is None:
            self.root = name
        if name == "FlexStatement":
            self.current = (attrs.get("accountId") or "").strip()
            self.accounts.setdefault(self.current, Statement())
        if name == "AccountInformation" and attrs.get("currency"):
            self.statement().base = attrs["currency"].strip().upper()
        if name == "OpenPosition":
            line = (self.locator.getLineNumber() if self.locator else None) or 0
            self.statement().records.append(record(line, attrs.items()))

    def statement(self) -> Statement:
        return self.accounts.setdefault(self.current, Statement())


def _parse(path: Path) -> dict[str, Statement]:
    """The report's statements by account id; a malformed or refused XML, or another document, is
    an error of the whole file."""
    import defusedxml
    import defusedxml.sax

    handler = _Positions()
    try:
        defusedxml.sax.parse(str(path), handler)
    except SAXParseException as exc:
        message = f"{path.name}: the XML is truncated or malformed ({exc.getMessage()})"
        raise InputError(Problem(message, exc.getLineNumber())) from None
    except (SAXException, defusedxml.DefusedXmlException) as exc:  # entities, DTDs, external references
        raise InputError(Problem(f"{path.name}: the XML is refused ({exc})")) from None
    if handler.root not in ROOTS:
        raise InputError(Problem(f"{path.name}: <{handler.root}> is not a Flex Query report"))
    return handler.accounts


def _positions(path: Path, statement: Statement) -> tuple[list[Record], Base]:
    """One account's positions (summaries, or lots summed) and rates made USD per unit."""
    if not statement.records:
        raise InputError(
            Problem(f"{path.name}: the Flex report has no OpenPosition rows; add Open Positions to the query")
        )
    records = summaries_or_lots(statement.records)
    return records, rates_in_usd(records, statement.base)  # fxRateToBase is to the base, fx_rate to USD


def read(path: Path) -> tuple[list[Record], Base]:
    """The positions of a report of one account; a report of several is refused, pointing to batch."""
    accounts = _parse(path)
    if len(accounts) > 1:
        raise InputError(
            Problem(
                f"{path.name} holds {len(accounts)} accounts ({', '.join(accounts)}); margin is per "
                f"account: 'xlmargin batch {path.name}' gives one row per account, or export one "
                "account per file"
            )
        )
    return _positions(path, next(iter(accounts.values()), Statement()))


def read_accounts(path: Path) -> list[tuple[str, tuple[list[Record], Base] | InputError]]:
    """Each account of a report, in the order of the file: its id, and its positions and rates as
    :func:`read` reads a report of it alone, or why they cannot be read. A report without any
    position is refused as a whole (its query lacks Open Positions)."""
    accounts = _parse(path)
    if not any(statement.records for statement in accounts.values()):  # the query's, not an account's
        _positions(path, Statement())
    out: list[tuple[str, tuple[list[Record], Base] | InputError]] = []
    for account, statement in accounts.items():
        try:
            out.append((account, _positions(path, statement)))
        except InputError as exc:
            out.append((account, exc))
    return out
