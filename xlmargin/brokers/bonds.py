"""A bond's maturity, coupon and class where an export gives them.

A Flex ``<OpenPosition>`` has no maturity nor coupon field. The report's Securities Info section
(``<SecurityInfo conid=... maturity="20311115"/>``, one per contract) gives the maturity; IBKR's
description of a bond states both, as the issuer, the coupon in percent (a whole number, a
fraction or both, or a decimal) and the maturity MM/DD/YY: ``T 4 1/2 11/15/31``, ``AAPL 3.85
05/04/43``. A description of another shape is not read: a guess would be a wrong maturity. Neither
Flex element has a coupon field (ibflex's ``Types.OpenPosition`` and ``Types.SecurityInfo``), so a
bond's coupon is the one its description states, or one given on the position.

No IBKR export states a bond's class (Treasury, agency, corporate, ...), which Reg T and FINRA
4210(e)(2) price by (margin-rules.md §2.4), and the issuer's ticker does not tell it ("T" is AT&T's
too). A US Treasury security is known exactly by its identifier: CUSIP issuer number 912 (912810
bonds, 912828 and 91282C notes, 912796 and 912797 bills), ISIN ``US912…``. A bond whose valid
identifiers are all a Treasury's is read as ``treasury``; another's class is left blank, and an
engine that needs it names the row and says what to add (:func:`bond_terms`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from xlmargin.brokers import ASSETS, Record, field_key
from xlmargin.errors import InputError, Problem, shown

# issuer, coupon ("4", "4 1/2", "1/8", "3.85"), maturity MM/DD/YY or MM/DD/YYYY, nothing else
_DESCRIPTION = re.compile(
    r"^\S+\s+(?P<coupon>\d+(?:\.\d+)?(?:\s+\d+/\d+)?|\d+/\d+)\s+"
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{2}|\d{4})$"
)

TERMS = ("maturity", "coupon", "class")  # positions-table columns a position may carry itself
# An export's identifier fields (compared by field_key): the ones a bond's class is read from
IDS = ("cusip", "isin", "securityid", "securityidtype")
TREASURY_CUSIP = "912"  # CUSIP Global Services' issuer number of the United States Treasury
TREASURY_ISIN = "US" + TREASURY_CUSIP  # an ISIN of a US security is US, its CUSIP, a check digit


@dataclass(frozen=True, slots=True)
class Terms:
    """A bond's maturity (an ISO date) and coupon (percent, as a typed ``'4.5%'``) from its
    description; either None where the description does not state it."""

    maturity: str | None
    coupon: str | None


def description_terms(text: str) -> Terms | None:
    """The terms IBKR's bond description states (``T 4 1/2 11/15/31`` → 2031-11-15, 4.5%); None
    where the text is not of that shape or its date is no date. A two-digit year is 20YY: a bond
    maturing before 2000 is held by no open position."""
    match = _DESCRIPTION.match(" ".join(text.split()))
    if match is None:
        return None
    year = int(match["year"])
    try:
        maturity = dt.date(year + 2000 if year < 100 else year, int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    coupon = Fraction(0)
    for part in match["coupon"].split():
        number, _, denominator = part.partition("/")
        if denominator and (int(denominator) == 0 or int(number) >= int(denominator)):
            return None  # "4 3/0", "4 5/4": no coupon IBKR writes
        coupon += Fraction(int(number), int(denominator)) if denominator else Fraction(number)
    return Terms(maturity.isoformat(), f"{float(coupon):g}%")


def _value(char: str) -> int:
    """A CUSIP or ISIN character's value: a digit its own, a letter 10-35 (A-Z)."""
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def valid_cusip(code: str) -> bool:
    """Whether ``code`` is a CUSIP: eight digits or capitals, then its check digit (the sum of
    the digits of the values, every second one doubled, to the next ten)."""
    if not re.fullmatch(r"[0-9A-Z]{8}[0-9]", code):
        return False
    total = 0
    for i, char in enumerate(code[:8]):
        value = _value(char) * (2 if i % 2 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(code[8])


def valid_isin(code: str) -> bool:
    """Whether ``code`` is an ISIN: a country's two letters, nine digits or capitals, then its
    check digit (Luhn's, over the digits of the values)."""
    if not re.fullmatch(r"[A-Z]{2}[0-9A-Z]{9}[0-9]", code):
        return False
    digits = "".join(str(_value(c)) for c in code[:11])
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (1 if i % 2 else 2)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == int(code[11])


def identifiers(values: Mapping[str, str], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """The valid CUSIPs and ISINs among a position's identifier fields, each as (the field's name
    in the export, the code); a ``securityID`` is one of its ``securityIDType`` (CUSIP, ISIN), or of
    its shape where the type is not given."""
    out = []
    for key in ("cusip", "isin", "securityid"):
        code = values.get(key, "").strip().upper()
        kind = key if key != "securityid" else field_key(values.get("securityidtype", ""))
        if code and (
            (kind in ("cusip", "") and valid_cusip(code)) or (kind in ("isin", "") and valid_isin(code))
        ):
            out.append((names.get(key, key), code))
    return out


def is_treasury(code: str) -> bool:
    """Whether a valid CUSIP or ISIN is a US Treasury security's (issuer 912)."""
    return code.startswith(TREASURY_CUSIP if len(code) == 9 else TREASURY_ISIN)


@dataclass(frozen=True, slots=True)
class Fixes:
    """One export format's words for a bond's missing terms: ``reference``, its section of
    contracts' reference data (a position's fields found there are named "<reference> <field>");
    ``ids``, how a bond is given its CUSIP or ISIN; ``looked``, where a bond's maturity was looked
    for (a clause, of the position); and what its user does to give a bond its maturity, its
    coupon and its class (``klass`` is followed by the classes in parentheses)."""

    reference: str
    ids: str
    looked: Callable[[Record], str]
    maturity: str
    coupon: str
    klass: str


def bond_terms(
    source: str, records: list[Record], info: Callable[[Record], Record | None], fixes: Fixes
) -> None:
    """Each BOND position's maturity, coupon and class, in place: its own fields first, else its
    contract's reference fields (``info``: a Flex report's ``<SecurityInfo>``, a statement's
    Financial Instrument Information), else its description (or symbol) as IBKR writes it; a
    Treasury's class from its identifiers. A bond nothing dates is refused naming its line and
    what to add; a bond without a coupon or a class keeps, as a hint for the engine's error on that
    column, why the export gives none and what to do. Every position's identifier fields are then
    dropped: they are no positions-table column."""
    problems: list[Problem] = []
    for r in records:
        if ASSETS.get(field_key(r.get("asset"))) == "bond":
            found = _bond(source, r, info(r) or Record(0, {}), fixes)
            if found is not None:
                problems.append(found)
        for key in IDS:
            r.values.pop(key, None)
    if problems:
        raise InputError(problems)


def _bond(source: str, r: Record, info: Record, fixes: Fixes) -> Problem | None:
    """One bond's terms and class (:func:`bond_terms`); the problem of a bond nothing dates."""
    text = r.get("description") or info.get("description") or r.get("symbol")
    stated = description_terms(text) or description_terms(r.get("symbol"))
    for term in ("maturity", "coupon"):
        if r.get(term):
            continue
        if info.get(term):
            r.values[term], r.names[term] = info.get(term), f"{fixes.reference} {info.names.get(term, term)}"
        elif stated is not None and getattr(stated, term) is not None:
            r.values[term], r.names[term] = getattr(stated, term), "description"
    conid = f" (conid {shown(r.get('conid'))})" if r.get("conid") else ""
    name = f"bond {shown(r.get('symbol') or text or '(no symbol)')}{conid}"
    if not r.get("coupon"):
        r.hints["coupon"] = (
            f"{source} gives {name} no coupon (IBKR's exports have no coupon field, and its description "
            f"{shown(repr(text))} states none as IBKR writes it, 'T 4 1/2 11/15/31'): {fixes.coupon}"
        )
    if not r.get("class"):
        _klass(source, name, r, info, fixes)
    if r.get("maturity"):
        return None
    return Problem(
        f"{name} has no maturity in {source}: {fixes.looked(r)}, and its description {shown(repr(text))} "
        f"does not state it as IBKR writes it ('T 4 1/2 11/15/31'); {fixes.maturity}",
        r.line,
        "maturity",
    )


def _klass(source: str, name: str, r: Record, info: Record, fixes: Fixes) -> None:
    """A bond's class from its identifiers (its own, else its contract's): ``treasury`` where every
    valid one is a Treasury's; else a hint saying why the class is not read and what to add."""
    named = {key: f"{fixes.reference} {field}" for key, field in info.names.items()}
    ids = identifiers(r.values, r.names) or identifiers(info.values, named)
    if ids and all(is_treasury(code) for _, code in ids):
        r.values["class"], r.names["class"] = "treasury", ids[0][0]
        return
    if len(ids) > 1:
        held = ", ".join(f"{field} {shown(code)}" for field, code in ids)
        why = f"its {held} do not all name one (CUSIP 912…, ISIN US912…)"
    elif ids:
        why = f"its {ids[0][0]} {shown(ids[0][1])} is not one's (CUSIP 912…, ISIN US912…)"
    else:
        why = f"it has no CUSIP or ISIN ({fixes.ids}), and its ticker does not tell it ('T' is AT&T's too)"
    r.hints["class"] = (
        f"{source} states no bond class, and {name}'s is read only for a US Treasury, from its CUSIP "
        f"or ISIN: {why}; {fixes.klass} (treasury, agency, municipal, corporate, high_yield or convertible)"
    )
