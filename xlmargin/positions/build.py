"""Typed columns validated into the portfolio's arrays: types, classes, class groups, options, bonds.

Every per-row decision that depends on a text (a type name, a symbol's class, an underlying's index
basket) is taken once per distinct text and spread to the rows by their codes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.cells import error_message, excel_error, is_blank, to_date, to_number, typed_percent
from xlmargin.errors import a_or_an, shown
from xlmargin.positions.columns import COLUMN_BY_NAME, RATE_COLUMNS, norm_header
from xlmargin.positions.conventions import Groups, bare_year, maturity_years_max, quantity_max, rate_column
from xlmargin.positions.enums import TYPE_CODE, TYPE_NAMES, Kinds, enum_values
from xlmargin.positions.infer import (
    SymbolTerms,
    check_underlying,
    fx_classes,
    given_classes,
    row_currencies,
    share_class_underlyings,
    symbol_terms,
    warn_rows,
)
from xlmargin.positions.model import CLASS_ALIASES, CLASSES, DAYS_PER_YEAR, OPTION_TYPES, TYPES
from xlmargin.positions.options import OptionColumns, option_columns
from xlmargin.positions.reader import ColumnReader, Text, factorize, factorize_few, indices, object_array
from xlmargin.positions.special import SPECIAL_TYPES, special_maintenance
from xlmargin.symbols import adjusted_root, pair_base_classes

_TYPE_ALIASES = {
    "stk": "stock", "equity": "stock", "share": "stock", "shares": "stock",
    "opt": "option", "options": "option",
    "fut": "future", "futures": "future",
    "fop": "future_option", "futureoption": "future_option", "futuresoption": "future_option",
    "optiononfuture": "future_option",
    "forex": "fx", "currency": "fx",
}  # fmt: skip
# A broker's type column (IBKR "Asset Class", "SecType"): its CASH is a forex pair, not a cash balance.
_BROKER_ALIASES = {"cash": "fx"}
_UNSUPPORTED = {"war": "a warrant", "ind": "an index (not a position)"}


@lru_cache(maxsize=1)
def symbol_tables() -> tuple[
    Mapping[str, str], Mapping[str, tuple[str, float]], frozenset[str], Mapping[str, Any]
]:
    table = rules.load("symbols")
    about = ("source", "confidence")  # [classes] (indices) and [funds] (their holdings): one lookup
    classes = {k: v for name in ("classes", "funds") for k, v in table[name].items() if k not in about}
    baskets = {}
    for basket in table["baskets"]:
        for member, units in basket["members"].items():
            baskets[member] = (basket["id"], float(units))
    european = frozenset(table["european_style"]["roots"])
    return classes, baskets, european, table["multipliers"]


_TYPE_TABLE = {norm_header(t): t for t in TYPES} | _TYPE_ALIASES
_BROKER_TYPE_TABLE = _TYPE_TABLE | _BROKER_ALIASES
_CLASS_TABLE = {norm_header(c): c for c in CLASSES} | CLASS_ALIASES
_TYPE_OBJECTS = object_array(TYPE_NAMES)


def _filled(values: FloatArray, fill: float) -> FloatArray:
    """``values`` (a new array from the reader, finite or NaN) with NaN replaced by ``fill``, in place."""
    values[np.isnan(values)] = fill
    return values


def _unknown(
    name: str, known: Sequence[str], unsupported: Mapping[str, str] | None = None
) -> Callable[[str], str]:
    def message(value: str) -> str:
        what = (unsupported or {}).get(norm_header(value))
        if what:
            return (
                f"'{shown(value)}' is {what}, which xlmargin does not margin; remove the row or give its type"
            )
        return f"unknown {name} '{shown(value)}'; known: {', '.join(known)}"

    return message


def broker_type_column(r: ColumnReader, broker: frozenset[str], ignored: list[str]) -> bool:
    """Whether the type column carries a broker's codes; an "Asset Class" column holding type codes
    (STK, OPT, ...) is read as the type column (see ``columns.BROKER_TYPE_HEADERS``)."""
    if "class" in broker:
        # looked at, not reported: a bad cell is reported once, under the name the column is read as
        values = {norm_header(v) for v in r.text("class", report=False).values if v is not None}
        if values and not values <= _CLASS_TABLE.keys():
            if r.has("type"):
                ignored.append("asset class (type codes beside a type column)")
                r.drop("class")
            else:
                r.rename("class", "type")
                return True
    return "type" in broker


ZERO_VOLATILITY = "a volatility of 0 is read as blank"
"""How the warning naming the option rows whose volatility cell held a 0 begins."""


UNTYPED_BOND = (
    "a bond's terms (a maturity or a coupon) but no type, which would margin the row as a stock: give "
    "type bond, or etf for a fund"
)
ZERO_MULTIPLIER = "a multiplier of 0 is read as blank"
"""How the warning naming the rows whose multiplier cell held a 0 begins."""


def build_arrays(
    r: ColumnReader, as_of: dt.date, broker: bool, warnings: list[str], groups: Groups | None = None
) -> tuple[dict[str, np.ndarray], dict[str, tuple[IntArray, Sequence[str | None]]]]:
    """Typed, validated columns, and the codes of the type and class-group columns (see
    :meth:`~xlmargin.positions.model.Portfolio.codes`); every problem goes to ``r.problems``,
    every warning to ``warnings`` (an account's coupon and yield units, to ``groups``)."""
    classes, baskets, european_roots, multipliers = symbol_tables()
    n = r.n

    sym, sym_upper, terms = _symbols(r)
    parsed = terms.parsed if terms is not None else np.zeros(n, dtype=bool)
    kind, is_option = _kinds(r, broker, parsed, terms, warnings)
    quantity = _quantity(r, kind)
    price = _price(r, kind, is_option)

    und = r.text("underlying")
    und_upper = [v.upper() if v else None for v in und.values]
    given_underlying = None  # per row, only where symbols state underlyings to check it against
    if terms is not None:
        given_underlying = und.spread(und_upper)
        check_underlying(r, terms, given_underlying, is_option)
    und_codes, und_uniques = _underlying(und, und_upper, given_underlying, sym, sym_upper, terms, is_option)
    stocks = [sym_upper[k] for k in np.unique(sym.codes[kind.of("stock", "etf")]).tolist()]
    und_uniques = share_class_underlyings(und_codes, und_uniques, is_option, stocks) or und_uniques
    # The underlyings found can repeat a value (upper-casing makes two cells one; a row without an
    # underlying stands for itself by its symbol, which may be another row's underlying: the
    # benchmark book's 300 stock rows): made distinct over those few values, not by hashing every
    # row's again, before each is looked up (index basket, class, style) once. The stress view
    # groups rows by these codes (0.5 ms of a first STRESS_TABLE on the benchmark book).
    distinct_of, und_uniques = factorize_few(und_uniques)
    und_codes = distinct_of[und_codes]
    group_codes, index_units = _baskets(baskets, und_codes, und_uniques)
    class_codes, class_given = _asset_class(r, classes, und_codes, und_uniques, sym, sym_upper)

    multiplier = _multiplier(r)
    given_multiplier = ~np.isnan(multiplier)
    warn_rows(  # on the contracts whose default is no unit (a stock's 0 reads as its 1, as a blank)
        r, warnings, r.zero("multiplier") & (is_option | kind.of("future")),
        f"{ZERO_MULTIPLIER} (Office.js hands a blank cell over as 0, so there a blank one is named too): "
        f"the row takes the multiplier a blank cell gives (an option {multipliers['option']:g}: symbols.toml "
        "[multipliers]; a future its contract's); give the contract's multiplier if it is another",
    )  # fmt: skip

    leverage = _filled(r.number("leverage"), 1.0) if r.has("leverage") else np.ones(n)
    dividend_yield = _filled(r.number("dividend_yield"), 0.0) if r.has("dividend_yield") else np.zeros(n)
    volatility = _volatility(r)
    warn_rows(
        r, warnings, is_option & r.zero("volatility"),
        f"{ZERO_VOLATILITY} (Office.js hands a blank cell over as 0, so there a blank one is named too): "
        "the volatility is implied from the price wherever options are revalued (portfolio margin, the "
        "risk view, futures margin), not a valuation at no volatility; to value at a volatility give it "
        "as a decimal (0.25; 0.0001 for about none)",
    )  # fmt: skip
    maturity_years = _maturity(r, kind, as_of)

    strike = np.where(is_option, r.number("strike"), np.nan)
    underlying_price = np.where(is_option, r.number("underlying_price"), np.nan)
    of_symbol, symbols = factorize_few(sym_upper)  # the distinct texts upper-cased: a few may meet
    codes: dict[str, tuple[IntArray, Sequence[Any]]] = {
        "type": (kind.codes, TYPE_NAMES),
        "class_group": group_codes,
        "asset_class": class_codes,
        "symbol": (of_symbol[sym.codes], symbols),
    }
    codes["underlying"] = (und_codes, und_uniques)
    if (is_option | kind.of("future")).any():
        options = option_columns(
            r, is_option, kind, (und_codes, und_uniques), european_roots, as_of, quantity, strike,
            underlying_price, multiplier, terms, warnings,
        )  # fmt: skip
        codes |= options.codes
    else:
        options = OptionColumns.none(n)
    multiplier = np.where(
        np.isnan(multiplier), np.where(kind.of("option"), multipliers["option"], 1.0), multiplier
    )
    _multiplier_warnings(r, kind, multiplier, given_multiplier, multipliers, warnings)
    if terms is not None:
        _adjusted_warning(r, terms, is_option & ~given_multiplier, multiplier, warnings)
    _underlying_warning(r, is_option, und.blank, sym, sym_upper, parsed, warnings)
    declared = kind.of("fx") | fx_classes(class_codes, class_given)
    shares = (kind.of("stock", "etf") & ~r.blank("type")) | given_classes(class_codes, class_given, "equity")
    currency = row_currencies(r, sym, sym_upper, codes, declared, shares, kind.of("cash"))
    # the columns kept as read, when absent: one all-NaN (all-None) array for all of them, which
    # the portfolio makes read-only like every other
    no_numbers, no_texts = np.full(n, np.nan), np.full(n, None, dtype=object)
    coupon = _coupon(r, warnings, groups) if r.has("coupon") else no_numbers

    # The text columns in ``codes`` (symbol, type, underlying, class group, asset class, an option's
    # right, expiry and style, a currency read from the symbols) are not made here: the portfolio
    # makes each from its codes the first time it is read (Portfolio.arrays).
    return options.arrays | ({} if currency is None else {"currency": currency}) | {
        "row": r.rows,
        "quantity": quantity,
        "price": price,
        "multiplier": multiplier,
        "underlying_price": underlying_price,
        "strike": strike,
        "expiry_years": options.expiry_years,
        "volatility": volatility,
        "dividend_yield": dividend_yield,
        "leverage": leverage,
        "maturity_years": maturity_years,
        "sleeve": r.text("sleeve").rows() if r.has("sleeve") else no_texts,
        "index_units": index_units,
        "coupon": coupon,
        "yield_": _yield(r, kind, price, coupon, maturity_years, warnings, groups)
        if r.has("yield")
        else no_numbers,
        "duration": r.number("duration") if r.has("duration") else no_numbers,
        "denomination": _denomination(r, kind) if r.has("denomination") else no_numbers,
        "fx_rate": _rate(r) if r.has("fx_rate") else no_numbers,
        "beta": r.number("beta") if r.has("beta") else no_numbers,
        "factor": r.text("factor").map(_lower) if r.has("factor") else no_texts,
        "class_given": class_given,
        "special_maintenance": (
            special_maintenance(r, _TYPE_OBJECTS[kind.codes], kind.of(*SPECIAL_TYPES))
            if r.has("special_maintenance")
            else no_numbers
        ),
    }, codes


def _coupon(r: ColumnReader, warnings: list[str], groups: Groups | None) -> FloatArray:
    """The coupon column as decimals (:func:`~xlmargin.positions.conventions.rate_column`); a negative
    coupon, -5 or (5), reported (a bond pays none below 0)."""
    coupon = rate_column(r, "coupon", warnings, groups)
    with np.errstate(invalid="ignore"):
        negative = coupon < 0
    if negative.any():
        given = r.number("coupon")
        for i in indices(negative):
            r.bad(i, "coupon", f"a coupon cannot be negative, got {given[i]:g}")
    return coupon


def _rate(r: ColumnReader) -> FloatArray:
    """The fx_rate column (0 is blank: Office.js sends a blank cell as 0); a negative rate is reported
    here, whether or not an engine then needs the row's rate (a pair holding the account currency is
    converted by its own price, and its rate was never looked at)."""
    rate = r.number("fx_rate")
    with np.errstate(invalid="ignore"):
        for i in indices(rate < 0):
            r.bad(i, "fx_rate", f"fx_rate must be positive, got {rate[i]:g}")
    return rate


def _yield(
    r: ColumnReader,
    kind: Kinds,
    price: FloatArray,
    coupon: FloatArray,
    maturity_years: FloatArray,
    warnings: list[str],
    groups: Groups | None,
) -> FloatArray:
    """The yield column as decimals, a bond's yield that could be read either way read by its price
    (the yield :func:`~xlmargin.instruments.bond_yield` finds for it, on the rows giving price,
    coupon and maturity)."""
    priced = kind.of("bond") & ~np.isnan(price) & ~np.isnan(coupon) & ~np.isnan(maturity_years)
    priced &= ~np.isnan(r.number("yield")) & ~r.typed_percent("yield")
    implied = None
    if priced.any():
        from xlmargin.instruments import bond_yield  # instruments imports the positions package

        implied = np.full(r.n, np.nan)
        implied[priced] = bond_yield(price[priced], coupon[priced], maturity_years[priced])
    return rate_column(r, "yield", warnings, groups, implied)


def _symbols(r: ColumnReader) -> tuple[Text, list[str], SymbolTerms | None]:
    """The symbol column (text, upper-cased distinct values) and the option terms that symbols
    spell; a blank symbol is reported."""
    sym = r.text("symbol")
    sym_upper = [v.upper() if v else "" for v in sym.values]
    for i in indices(sym.blank):
        r.bad(i, "symbol", "missing symbol")
    return sym, sym_upper, symbol_terms(r, sym, sym_upper, _typed_otherwise_than_option(r))


def _typed_otherwise_than_option(r: ColumnReader) -> BoolArray:
    """The rows whose type column names a known type other than an option's (an unknown type is
    reported where the types are read)."""
    type_text = r.text("type")
    other = [_BROKER_TYPE_TABLE.get(norm_header(v)) not in (None, *OPTION_TYPES) if v else False
             for v in type_text.values]  # fmt: skip
    return np.array(other, dtype=bool)[type_text.codes]


def _kinds(
    r: ColumnReader, broker: bool, parsed: BoolArray, terms: SymbolTerms | None, warnings: list[str]
) -> tuple[Kinds, BoolArray]:
    """Each row's type and whether it is an option: the type column, else an option where the row
    carries an option's terms, else a stock (a blank or unknown type: the unknown one is reported)."""
    type_text = r.text("type")
    table = _BROKER_TYPE_TABLE if broker else _TYPE_TABLE
    unknown = _unknown("type", TYPES, _UNSUPPORTED if broker else None)
    canonical = enum_values(r, "type", type_text, table, unknown)
    codes = np.array([TYPE_CODE[c or "stock"] for c in canonical], dtype=np.int64)[type_text.codes]
    untyped = type_text.blank
    if untyped.any():
        inferred = untyped & (parsed | ~r.blank("right") | ~r.blank("strike"))
        codes[inferred] = TYPE_CODE["option"]
    kind = Kinds(codes)
    is_option = kind.of(*OPTION_TYPES)
    _typed_otherwise(r, kind, untyped, is_option, terms, warnings)
    for i in indices(untyped & ~is_option & ~(r.blank("maturity") & r.blank("coupon"))):
        r.bad(i, "type", UNTYPED_BOND)
    return kind, is_option


def _quantity(r: ColumnReader, kind: Kinds) -> FloatArray:
    """The quantity column, a blank reported (and read as 0), and so is one beyond symbols.toml
    ``[reading] quantity_max`` either way (a typing error: no holding is that large), except on a
    cash row: an amount of a currency of many units to the dollar (10,000 billion Vietnamese dong
    is some $400 million, of Iranian rials far less) is no typing error."""
    quantity = r.number("quantity")
    for i in indices(r.blank("quantity")):
        r.bad(i, "quantity", "missing quantity")
    most = quantity_max()
    # the largest and smallest first (NaN, a blank or bad cell, skipped): no array in the common case
    if np.fmax.reduce(quantity, initial=0.0) > most or np.fmin.reduce(quantity, initial=0.0) < -most:
        with np.errstate(invalid="ignore"):
            huge = (np.abs(quantity) > most) & ~kind.of("cash")
        for i in indices(huge):
            r.bad(i, "quantity", f"quantity {quantity[i]:g} is beyond the {most:g} a position may hold long "
                  "or short (symbols.toml [reading] quantity_max); check the quantity")  # fmt: skip
        quantity[huge] = np.nan
    return _filled(quantity, 0.0)


def _price(r: ColumnReader, kind: Kinds, is_option: BoolArray) -> FloatArray:
    """The price column (NaN for cash); missing, negative or (but for options) zero prices reported."""
    is_cash = kind.of("cash")
    price = r.number("price")
    price[is_cash] = np.nan
    # an FX row may omit its price: ESMA margins a pair in the account's base currency without it,
    # and every engine that needs the rate reports its absence by row
    needed = indices(r.blank("price") & ~is_cash & ~kind.of("fx"))
    if not r.has("price") and needed:  # said once, not on every row
        aliases = ", ".join(COLUMN_BY_NAME["price"].aliases)
        others = f" (and {len(needed) - 1} more)" if len(needed) > 1 else ""
        message = f"missing column 'price' (or {aliases}): this row{others} needs a price, as every position "
        r.bad(needed[0], "price", message + "but cash does")
        needed = []
    for i in needed:
        r.bad(i, "price", "missing price")
    with np.errstate(invalid="ignore"):
        for i in indices(price < 0):
            r.bad(i, "price", f"negative price {price[i]:g}")
        for i in indices((price == 0) & ~is_option):
            r.bad(i, "price", f"{a_or_an(str(kind[i]))} needs a positive price")
    return price


def _baskets(
    baskets: Mapping[str, tuple[str, float]], und_codes: np.ndarray, und_uniques: list[str]
) -> tuple[tuple[IntArray, list[str]], FloatArray]:
    """Each row's class group (its underlying's index basket, else the underlying), as codes into
    the distinct class groups, and its index units (1 outside a basket)."""
    basket = [baskets.get(u) for u in und_uniques]
    groups = [b[0] if b else u for b, u in zip(basket, und_uniques, strict=True)]
    group_of_underlying, distinct = factorize_few(groups)  # underlyings of one basket share a group
    index_units = np.array([b[1] if b else 1.0 for b in basket], dtype=np.float64)[und_codes]
    return (group_of_underlying[und_codes], distinct), index_units


def _multiplier(r: ColumnReader) -> FloatArray:
    """The multiplier column as given (NaN where blank); a negative one reported."""
    multiplier = r.number("multiplier")
    with np.errstate(invalid="ignore"):
        for i in indices(multiplier < 0):
            r.bad(i, "multiplier", f"multiplier must be positive, got {multiplier[i]:g}")
    return multiplier


def _asset_class(
    r: ColumnReader,
    classes: Mapping[str, str],
    und_codes: IntArray,
    und_uniques: list[str],
    sym: Text,
    sym_upper: list[str],
) -> tuple[tuple[IntArray, list[str | None]], BoolArray]:
    """The class column, else the underlying's class, else the symbol's (listed, or that of the metal
    or cryptocurrency heading a pair: :func:`~xlmargin.symbols.pair_base_classes`), else equity; as
    codes, and where the class column gave it. Chosen per distinct text: each row takes a code
    into the underlyings' classes, the class column's values or the symbols' classes, made distinct
    at the end."""
    found: list[str | None] = [
        classes.get(u) or pair for u, pair in zip(und_uniques, pair_base_classes(und_uniques), strict=True)
    ]
    codes = und_codes
    chosen = np.zeros(r.n, dtype=bool)
    if r.has("class"):
        text = r.text("class")
        given = enum_values(r, "class", text, _CLASS_TABLE, _unknown("class", CLASSES))
        chosen = np.array([c is not None for c in given], dtype=bool)[text.codes]
        codes = np.where(chosen, len(found) + text.codes, codes)
        found += given
    missing = np.array([c is None for c in found], dtype=bool)[codes]
    if missing.any():
        codes = np.where(missing, len(found) + sym.codes, codes)
        pairs = pair_base_classes(sym_upper)
        found += [classes.get(s) or pair or "equity" for s, pair in zip(sym_upper, pairs, strict=True)]
    distinct_codes, distinct = factorize_few(found)
    return (distinct_codes[codes], distinct), chosen


def _volatility(r: ColumnReader) -> FloatArray:
    """The volatility column; a negative value, or one that looks like a percentage, reported."""
    volatility = r.number("volatility")
    with np.errstate(invalid="ignore"):
        for i in indices(volatility < 0):
            r.bad(
                i,
                "volatility",
                f"volatility must be positive (a decimal such as 0.25), got {volatility[i]:g}",
            )
        for i in indices(volatility > 10):
            r.bad(
                i,
                "volatility",
                f"volatility {volatility[i]:g} looks like a percentage; give it as a decimal (0.25)",
            )
    return volatility


def _lower(text: str | None) -> str | None:
    return text.lower() if text else None


def _underlying(
    und: Text,
    und_upper: list[str | None],
    given: np.ndarray | None,
    sym: Text,
    sym_upper: list[str],
    terms: SymbolTerms | None,
    is_option: BoolArray,
) -> tuple[IntArray, list[str]]:
    """(codes, distinct underlyings): the column where given, else the option symbol's underlying,
    else the symbol itself. ``given`` is the column per row, upper-cased, when made for the symbols'
    check (else None)."""
    from_symbol = terms is not None and bool((terms.parsed & is_option & und.blank).any())
    if not und.blank.any():
        return und.codes, [u or "" for u in und_upper]
    if und.blank.all() and not from_symbol:
        return sym.codes, sym_upper
    if not from_symbol:  # codes into the column's distinct values followed by the symbols'
        codes = np.where(und.blank, sym.codes + len(und_upper), und.codes)
        return codes, [u or "" for u in und_upper] + list(sym_upper)
    assert terms is not None and given is not None
    own = np.where(terms.parsed & is_option, terms.underlying, object_array(sym_upper)[sym.codes])
    return factorize(np.where(und.blank, own, given).tolist())


def _typed_otherwise(
    r: ColumnReader,
    kind: Kinds,
    untyped: BoolArray,
    is_option: BoolArray,
    terms: SymbolTerms | None,
    warnings: list[str],
) -> None:
    """Rows typed as something else that carry an option's terms are errors; rows whose symbol only
    reads like an option are warned about."""
    other = ~is_option
    if terms is not None:
        for i in indices(other & terms.parsed):
            r.bad(
                i,
                "type",
                f"the {terms.column[i]} '{terms.text[i]}' is an option, but the type is {kind[i]}; give type "
                "option (or leave it blank)",
            )
        warn_rows(
            r, warnings, other & terms.option_like,
            "the symbol reads like an option but the row is not typed as one; it is margined as its type "
            "says (give type option, strike, right and expiry if it is an option)",
        )  # fmt: skip
    for name, what in (("strike", "a strike"), ("right", "a right (call/put)")):
        for i in indices(other & ~r.blank(name)):
            r.bad(
                i, name, f"{_a(kind[i])} has no {what.split(' ', 1)[1]}; give type option, or clear the cell"
            )
    holding = kind.of("stock", "etf")
    for i in indices(holding & ~r.blank("expiry") & ~untyped):
        r.bad(i, "expiry", f"{_a(kind[i])} has no expiry; give type option or future, or clear the cell")
    for i in indices(holding & ~r.blank("expiry") & untyped):
        r.bad(i, "expiry", "an expiry but no type: give type option (with strike and right) or future")
    for i in indices(holding & ~r.blank("days") & ~untyped):  # days are the other form of an expiry
        r.bad(
            i, "days", f"{_a(kind[i])} has no days to expiry; give type option or future, or clear the cell"
        )
    for i in indices(holding & ~r.blank("days") & untyped):
        r.bad(i, "days", "days to expiry but no type: give type option (with strike and right) or future")


def _a(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _multiplier_warnings(
    r: ColumnReader,
    kind: Kinds,
    multiplier: FloatArray,
    given: BoolArray,
    table: Mapping[str, Any],
    warnings: list[str],
) -> None:
    listed = np.zeros(len(multiplier), dtype=bool)
    for size in table["option_listed"]:  # a few sizes: one comparison each (isin sorts)
        listed |= multiplier == float(size)
    sizes = "/".join(f"{m:g}" for m in table["option_listed"])
    warn_rows(
        r, warnings, given & kind.of("option") & ~listed,
        f"an option multiplier other than {sizes} (listed equity and index options); check it (adjusted "
        "contracts differ)",
    )  # fmt: skip
    unit = float(table["unit"])
    warn_rows(
        r, warnings, given & kind.of("stock", "etf") & (multiplier != unit),
        f"a stock or ETF with a multiplier other than {unit:g}; is the row an option?",
    )  # fmt: skip


def _adjusted_warning(
    r: ColumnReader, terms: SymbolTerms, blank: BoolArray, multiplier: FloatArray, warnings: list[str]
) -> None:
    """Options read from an adjusted root (AAPL1: :func:`~xlmargin.symbols.adjusted_root`) whose
    multiplier neither the row nor the symbol states: taken as the standard contract, which the
    adjusted deliverable may not be."""
    rows = blank & terms.parsed & np.isnan(terms.multiplier)
    if not rows.any():
        return
    roots = {t: adjusted_root(t) is not None for t in set(terms.root[rows].tolist())}
    adjusted = rows & np.array([roots.get(t, False) for t in terms.root.tolist()], dtype=bool)
    sizes = "/".join(f"{m:g}" for m in sorted(set(multiplier[adjusted].tolist())))
    warn_rows(
        r, warnings, adjusted,
        f"an adjusted option root (a ticker followed by a digit, such as AAPL1) read as a standard contract "
        f"of {sizes}; the deliverable may differ: check the multiplier (adjusted contracts differ)",
    )  # fmt: skip


def _underlying_warning(
    r: ColumnReader,
    is_option: BoolArray,
    no_underlying: BoolArray,
    sym: Text,
    sym_upper: list[str],
    parsed: BoolArray,
    warnings: list[str],
) -> None:
    """Options whose underlying is their own symbol, and that symbol is not a ticker: each forms its
    own class group, which can move portfolio margin a long way."""
    candidates = is_option & no_underlying & ~parsed
    if not candidates.any():
        return
    lone = candidates & np.array([_TICKER.fullmatch(s) is None for s in sym_upper], dtype=bool)[sym.codes]
    warn_rows(
        r, warnings, lone,
        "options without an underlying whose symbol is not a ticker: each is taken as its own underlying "
        "and forms its own class group; give an underlying column (or OSI symbols)",
    )  # fmt: skip


_TICKER = re.compile(r"[A-Z0-9]{1,6}([./][A-Z0-9]{1,3})?")


def _denomination(r: ColumnReader, kind: Kinds) -> FloatArray:
    """A bond's least face traded (NaN where blank: the usual 1,000); one not above 0 reported.
    Other types have none."""
    denomination = np.where(kind.of("bond"), r.number("denomination"), np.nan)
    with np.errstate(invalid="ignore"):
        for i in indices(denomination <= 0):
            r.bad(
                i,
                "denomination",
                f"a bond's denomination (the least face traded) must be above 0, got {denomination[i]:g}",
            )
    return denomination


def _maturity(r: ColumnReader, kind: Kinds, as_of: dt.date) -> FloatArray:
    """Years to maturity: a number of years or a date, read once per distinct cell (a bond book
    repeats its maturity dates); each bad cell reported on its row, in row order."""
    out = np.full(r.n, np.nan)
    if r.has("maturity"):
        codes, uniques = factorize(r.cells("maturity"))
        years_of = np.full(len(uniques), np.nan)
        problem: dict[int, str] = {}
        for k, value in enumerate(uniques):
            if is_blank(value):
                continue
            if (error := excel_error(value)) is not None:
                problem[k] = error_message(error)
                continue
            typed = isinstance(value, str)
            years, why = to_number(value, "maturity", RATE_COLUMNS) if typed else (value, None)
            if why is not None and typed_percent(value):  # '5%' is no number of years
                problem[k] = why
                continue
            if (
                isinstance(years, int | float)
                and not isinstance(years, bool)
                and 0 < years <= maturity_years_max()
            ):
                years_of[k] = float(years)
                continue
            if (refused := bare_year(value, "maturity")) is not None:
                problem[k] = refused
                continue
            date = to_date(value)
            if date is None:
                problem[k] = f"'{value}' is neither a date nor a number of years"
            elif date < as_of:
                problem[k] = f"maturity {date} is before the valuation date {as_of}"
            else:
                years_of[k] = (date - as_of).days / DAYS_PER_YEAR
        out = years_of[codes]
        for i in indices(np.isin(codes, list(problem))):
            r.bad(i, "maturity", problem[int(codes[i])])
    blank = r.blank("maturity")
    for i in indices(kind.of("bond") & blank):
        r.bad(i, "maturity", "a bond needs a maturity (a date or years)")
    return out
