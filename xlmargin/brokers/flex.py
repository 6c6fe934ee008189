"""IBKR Flex Query XML: the ``<OpenPosition>`` elements of a Flex report.

Parsed with defusedxml's SAX reader (no entity expansion, no network, the line of each element).
``ibflex`` was evaluated and not used: importing it imports its web client, which needs ``requests``
(not a dependency); it parses with the standard library's ElementTree, which defusedxml exists to
guard; and it rejects values it does not know (a new currency code), where only a dozen fields
matter here.

A Flex query may report each position once (``levelOfDetail="SUMMARY"``) and again per tax lot
(``"LOT"``): the summary rows are read, and a position reported by lots alone is their sum
(:func:`~xlmargin.brokers.summaries_or_lots`), so lots are never counted twice nor dropped.
A report of several accounts is refused: margin is computed per account. ``fxRateToBase`` is a
rate to the account's base currency (its ``<AccountInformation currency=...>`` when the query has
it), made USD per unit as the positions table reads ``fx_rate`` (:func:`~xlmargin.brokers.rates_in_usd`).
"""

from __future__ import annotations

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


class _Positions(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None
        self.root: str | None = None
        self.records: list[Record] = []
        self.accounts: dict[str, None] = {}
        self.base: str | None = None  # the account's base currency, when the query reports it

    def setDocumentLocator(self, locator: Locator) -> None:
        self.locator = locator

    def startElement(self, name: str, attrs: AttributesImpl) -> None:
        if self.root is None:
            self.root = name
        if name == "FlexStatement" and attrs.get("accountId"):
            self.accounts[attrs["accountId"]] = None
        if name == "AccountInformation" and attrs.get("currency"):
            self.base = attrs["currency"].strip().upper()
        if name == "OpenPosition":
            line = (self.locator.getLineNumber() if self.locator else None) or 0
            self.records.append(record(line, attrs.items()))


def read(path: Path) -> tuple[list[Record], Base]:
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
    if len(handler.accounts) > 1:
        raise InputError(
            Problem(
                f"{path.name} holds {len(handler.accounts)} accounts ({', '.join(handler.accounts)}); "
                "margin is per account: export one account per file"
            )
        )
    if not handler.records:
        raise InputError(
            Problem(f"{path.name}: the Flex report has no OpenPosition rows; add Open Positions to the query")
        )
    records = summaries_or_lots(handler.records)
    return records, rates_in_usd(records, handler.base)  # fxRateToBase is to the base, fx_rate to USD
