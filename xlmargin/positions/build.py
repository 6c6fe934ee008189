"""Typed columns validated into the portfolio's arrays: types, classes, class groups, options, bonds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np

from xlmargin import rules
from xlmargin._typing import BoolArray, FloatArray
from xlmargin.cells import error_message, excel_error, is_blank, to_date, to_number
from xlmargin.positions.columns import norm_header
from xlmargin.positions.model import CLASSES, OPTION_TYPES, TYPES
from xlmargin.positions.reader import ColumnReader, indices

_TYPE_ALIASES = {
    "stk": "stock", "equity": "stock", "share": "stock", "shares": "stock",
    "opt": "option", "options": "option",
    "fut": "future", "futures": "future",
    "fop": "future_option", "futureoption": "future_option", "futuresoption": "future_option",
    "optiononfuture": "future_option",
    "forex": "fx", "currency": "fx",
}  # fmt: skip
_RIGHTS = {"c": "C", "call": "C", "p": "P", "put": "P"}
_STYLES = {"american": "american", "a": "american", "amer": "american",
           "european": "european", "e": "european", "euro": "european"}  # fmt: skip


@lru_cache(maxsize=1)
def symbol_tables() -> tuple[Mapping[str, str], Mapping[str, tuple[str, float]], frozenset[str]]:
    table = rules.load("symbols")
    classes = {k: v for k, v in table["classes"].items() if k not in ("source", "confidence")}
    baskets = {}
    for basket in table["baskets"]:
        for member, units in basket["members"].items():
            baskets[member] = (basket["id"], float(units))
    european = frozenset(table["european_style"]["roots"])
    return classes, baskets, european


def _enum(
    reader: ColumnReader,
    name: str,
    values: list[str | None],
    table: Mapping[str, str],
    default: str,
    known: Sequence[str],
) -> list[str]:
    out = []
    memo: dict[str, str | None] = {}
    for i, value in enumerate(values):
        if value is None:
            out.append(default)
            continue
        if value not in memo:
            memo[value] = table.get(norm_header(value))
        found = memo[value]
        if found is None:
            reader.bad(i, name, f"unknown {name} '{value}'; known: {', '.join(known)}")
            found = default
        out.append(found)
    return out


_TYPE_TABLE = {norm_header(t): t for t in TYPES} | _TYPE_ALIASES
_CLASS_TABLE = {norm_header(c): c for c in CLASSES}


def build_arrays(r: ColumnReader, as_of: dt.date) -> dict[str, np.ndarray]:
    """Typed, validated columns; every problem goes to ``r.problems``."""
    classes, baskets, european_roots = symbol_tables()
    n = r.n

    symbol = [s.upper() if s else "" for s in r.text("symbol")]
    for i in indices(r.blank("symbol")):
        r.bad(i, "symbol", "missing symbol")
    kind = np.array(_enum(r, "type", r.text("type"), _TYPE_TABLE, "stock", TYPES), dtype=object)
    is_option = np.isin(kind, OPTION_TYPES)
    is_cash = kind == "cash"

    quantity = r.number("quantity")
    for i in indices(r.blank("quantity")):
        r.bad(i, "quantity", "missing quantity")
    quantity = np.nan_to_num(quantity, nan=0.0)

    price = r.number("price")
    price[is_cash] = np.nan
    # an FX row may omit its price: ESMA margins a pair in the account's base currency without it,
    # and every engine that needs the rate reports its absence by row
    for i in indices(r.blank("price") & ~is_cash & (kind != "fx")):
        r.bad(i, "price", "missing price")
    with np.errstate(invalid="ignore"):
        for i in indices(price < 0):
            r.bad(i, "price", f"negative price {price[i]:g}")
        for i in indices((price == 0) & ~is_option):
            r.bad(i, "price", f"a {kind[i]} needs a positive price")

    underlying = [(u.upper() if u else s) for u, s in zip(r.text("underlying"), symbol, strict=True)]
    basket = [baskets.get(u) for u in underlying]
    class_group = np.array([b[0] if b else u for b, u in zip(basket, underlying, strict=True)], dtype=object)
    index_units = np.array([b[1] if b else 1.0 for b in basket], dtype=np.float64)

    given_class = r.text("class")
    asset_class = _enum(r, "class", given_class, _CLASS_TABLE, "equity", CLASSES)
    for i, value in enumerate(given_class):
        if value is None:
            asset_class[i] = classes.get(underlying[i], classes.get(symbol[i], "equity"))

    multiplier = r.number("multiplier")
    with np.errstate(invalid="ignore"):
        for i in indices(multiplier < 0):
            r.bad(i, "multiplier", f"multiplier must be positive, got {multiplier[i]:g}")
    multiplier = np.where(np.isnan(multiplier), np.where(kind == "option", 100.0, 1.0), multiplier)

    leverage = np.nan_to_num(r.number("leverage"), nan=1.0)
    dividend_yield = np.nan_to_num(r.number("dividend_yield"), nan=0.0)
    volatility = r.number("volatility")
    with np.errstate(invalid="ignore"):
        for i in indices(volatility < 0):
            r.bad(
                int(i),
                "volatility",
                f"volatility must be positive (a decimal such as 0.25), got {volatility[i]:g}",
            )
        for i in indices(volatility > 10):
            r.bad(
                int(i),
                "volatility",
                f"volatility {volatility[i]:g} looks like a percentage; give it as a decimal (0.25)",
            )

    maturity_years = _maturity(r, kind, as_of)

    strike = np.where(is_option, r.number("strike"), np.nan)
    underlying_price = np.where(is_option, r.number("underlying_price"), np.nan)
    right: list[str | None] = [None] * n
    style: list[str | None] = [None] * n
    expiry: list[dt.date | None] = [None] * n
    expiry_years = np.full(n, np.nan)
    if (is_option | (kind == "future")).any():
        _options(
            r,
            is_option,
            kind,
            underlying,
            european_roots,
            as_of,
            quantity,
            strike,
            underlying_price,
            right,
            style,
            expiry,
            expiry_years,
        )

    return {
        "row": r.rows,
        "symbol": np.array(symbol, dtype=object),
        "type": kind,
        "quantity": quantity,
        "price": price,
        "underlying": np.array(underlying, dtype=object),
        "class_group": class_group,
        "asset_class": np.array(asset_class, dtype=object),
        "multiplier": multiplier,
        "underlying_price": underlying_price,
        "strike": strike,
        "right": np.array(right, dtype=object),
        "expiry": np.array(expiry, dtype=object),
        "expiry_years": expiry_years,
        "style": np.array(style, dtype=object),
        "volatility": volatility,
        "dividend_yield": dividend_yield,
        "leverage": leverage,
        "currency": np.array([c.upper() if c else None for c in r.text("currency")], dtype=object),
        "maturity_years": maturity_years,
        "sleeve": np.array(r.text("sleeve"), dtype=object),
        "index_units": index_units,
        "coupon": _percent_or_decimal(r.number("coupon")),
        "yield_": _percent_or_decimal(r.number("yield")),
        "duration": r.number("duration"),
        "fx_rate": r.number("fx_rate"),
        "beta": r.number("beta"),
        "factor": np.array([f.lower() if f else None for f in r.text("factor")], dtype=object),
    }


def _percent_or_decimal(values: FloatArray) -> FloatArray:
    """Coupons and yields as decimals; a value above 1 (4.25) is read as a percentage."""
    return np.where(np.abs(values) > 1.0, values / 100.0, values)


def _maturity(r: ColumnReader, kind: np.ndarray, as_of: dt.date) -> FloatArray:
    out = np.full(r.n, np.nan)
    if "maturity" in r.raw:
        for i, value in enumerate(r.cells("maturity")):
            if is_blank(value):
                continue
            if (error := excel_error(value)) is not None:
                r.bad(i, "maturity", error_message(error))
                continue
            years, _ = to_number(value) if isinstance(value, str) else (value, None)
            if isinstance(years, int | float) and not isinstance(years, bool) and 0 < years <= 200:
                out[i] = float(years)
                continue
            date = to_date(value)
            if date is None:
                r.bad(i, "maturity", f"'{value}' is neither a date nor a number of years")
            elif date < as_of:
                r.bad(i, "maturity", f"maturity {date} is before the valuation date {as_of}")
            else:
                out[i] = (date - as_of).days / 365.0
    blank = r.blank("maturity")
    for i in indices((kind == "bond") & blank):
        r.bad(i, "maturity", "a bond needs a maturity (a date or years)")
    return out


def _options(
    r: ColumnReader,
    is_option: BoolArray,
    kind: np.ndarray,
    underlying: list[str],
    european_roots: frozenset[str],
    as_of: dt.date,
    quantity: FloatArray,
    strike: FloatArray,
    underlying_price: FloatArray,
    right: list[str | None],
    style: list[str | None],
    expiry: list[dt.date | None],
    expiry_years: FloatArray,
) -> None:
    """Option columns: strike, underlying price, right, expiry (or days), style; futures keep an
    expiry when one is given (their contract month), without needing one."""
    for name, values, what in (
        ("strike", strike, "a strike"),
        ("underlying_price", underlying_price, "the underlying price"),
    ):
        for i in indices(is_option & r.blank(name)):
            r.bad(i, name, f"an option needs {what}")
        with np.errstate(invalid="ignore"):
            for i in indices(is_option & (values < 0)):
                r.bad(i, name, f"{name.replace('_', ' ')} must be positive, got {values[i]:g}")
    opt = np.flatnonzero(is_option)
    rights = r.text("right")
    for i in opt[r.blank("right")[opt]].tolist():
        r.bad(i, "right", "an option needs a right (call or put)")
    for i in opt.tolist():
        text = rights[i]
        if text is not None:
            right[i] = found = _RIGHTS.get(text.lower())
            if found is None:
                r.bad(i, "right", f"'{text}' is not call/put/C/P")

    dates = r.dates("expiry") if "expiry" in r.raw else [None] * r.n
    days = r.number("days")
    ordinal = np.array([d.toordinal() if d is not None else np.nan for d in dates], dtype=np.float64)
    dated = is_option | (kind == "future")
    has_date = dated & ~np.isnan(ordinal)
    has_days = dated & ~has_date & ~np.isnan(days)
    for i in indices(has_date & (ordinal < as_of.toordinal())):
        r.bad(i, "expiry", f"expiry {dates[i]} is before the valuation date {as_of}")
    with np.errstate(invalid="ignore"):
        for i in indices(has_days & (days < 0)):
            r.bad(i, "days", f"days to expiry cannot be negative, got {days[i]:g}")
    for i in indices(is_option & r.blank("expiry") & r.blank("days")):
        r.bad(i, "expiry", "an option needs an expiry date (or days to expiry)")
    expiry_years[has_date] = (ordinal[has_date] - as_of.toordinal()) / 365.0
    expiry_years[has_days] = days[has_days] / 365.0
    for i in indices(has_date):
        expiry[i] = dates[i]
    for i in indices(has_days):
        expiry[i] = as_of + dt.timedelta(days=int(days[i]))

    styles = r.text("style")
    for i in opt.tolist():
        text = styles[i]
        if text is None:
            european = kind[i] == "future_option" or underlying[i] in european_roots
            style[i] = "european" if european else "american"
        else:
            style[i] = found = _STYLES.get(text.lower())
            if found is None:
                r.bad(i, "style", f"'{text}' is not american/european")

    for i in opt[quantity[opt] != np.round(quantity[opt])].tolist():
        r.bad(i, "quantity", f"option contracts must be whole numbers, got {quantity[i]:g}")
