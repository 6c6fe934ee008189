"""EU retail CFDs and rolling spot FX: the ESMA leverage caps; and the US retail forex deposit.

**ESMA** (ESMA35-43-1000, margin-rules.md §5): the initial margin of each CFD position is its
notional divided by the maximum leverage of its class, in the account currency:

    margin = |qty| × price × multiplier × rate_to_account / max_leverage

with 30:1 for major currency pairs (any two of USD, EUR, JPY, GBP, CAD, CHF), 20:1 for other pairs,
gold and the major equity indices, 10:1 for other commodities and other indices, 5:1 for single
equities and other reference values (bonds ...), 2:1 for cryptocurrencies (``rules/esma.toml``).
For a currency pair the quantity is in units of the base currency and the price is in the quote
currency, so the notional is ``|qty|`` base units, or ``|qty| × price`` quote units. Positions are
margined one by one (no netting). The provider must close positions when the account's net equity
falls to 50% of the total initial margin: the *margin close-out level*.

**US retail forex** (CFTC 5.9 / NFA Financial Requirements §12, ``[nfa]`` in ``rules/esma.toml``,
confidence L): a security deposit of 2% of the notional for pairs of two major currencies and 5%
for every other pair. CFDs are not offered to US retail customers, so the US rule takes currency
pairs only.

**Currency.** A position's notional is converted to the account currency with, in this order: no
rate when the account currency is one of the pair's currencies (the pair's own price converts) or
the position's currency; the row's ``fx_rate``; the ``fx.<CCY>`` parameter (account-currency units
per unit). A missing rate is a :class:`MissingDataError` naming the row and the currency pair
needed, never a guess. The ``fx_rate`` column is read as the account view reads it, by the same
function (:func:`~xlmargin.fx_rates.read_rates`, the ``fx_rates`` parameter): account-currency units
per unit (``account``, the default; a rate only a table of USD per unit has is refused with a hint),
or USD per unit converted with ``fx.USD`` (``usd``: the broker readers' rates).

**Classification** (:func:`esma_class_from`: the class and what gave it, the breakdown's ``class
from`` column). Crypto, gold and commodity classes take their caps (the class column's, else the
symbol's: XAUUSD gold, BTCUSD crypto). A currency pair (type fx or class fx / fx_major, with a symbol
of two ISO 4217 codes of ``[currencies] codes``: USDRUB; or a CFD whose class is blank, with a symbol
of two ``quoted`` codes such as EURUSD or EUR.USD, or a CFD whose underlying is one: EURUSD.DEC26 on
EURUSD; :func:`~xlmargin.fx_rates.row_pair`, the test the risk view shares) is major when
both its currencies are major, else non-major: the pair decides, and a class that contradicts it
(fx_major on AUDUSD, equity on an fx row) is an :class:`InputError` naming the row and the ``class``
column, never a looser or a silently different cap; so is a blank-class CFD on two ISO codes not both
quoted (USDRUB, or a share's ticker spelling two codes: :func:`~xlmargin.fx_rates.undeclared_pair`),
which must say fx or equity. Otherwise a class given in the ``class`` column
wins over the symbol: it maps through ``[classes]`` of esma.toml (equity -> individual equity, bonds
-> other, index classes -> non-major index), and only an index class is a major index when the
symbol or underlying is on the major index list (UK100, DE40, US500, ...): a stock CFD of class
equity on the ticker COMP, CAC or DAX (or a CFD of class equity on EURUSD) is an individual equity
at 5:1. A row whose class is blank is a major index when its symbol or underlying, or the part of
it before a separator (a broker's suffix: US500.cash, DE40-cash, UK100.), is on that list, a
non-major index when it is on ``[other_indices]`` (HK50, US2000, ES35, ...: 10:1), else gold or
another commodity when it is a broker's commodity CFD name of ``[commodity_cfds]`` (GOLD 20:1; WTI,
USOIL, SILVER 10:1), else, on a
futures root of ``[futures]`` (a symbol spelling one with a month code, GCZ6; an underlying other than
the symbol naming or spelling one, GC), takes the class of the future's underlying (ESMA Q&A 1984:
gold, a major index, another commodity ...), else takes the symbol table's class, else is read as
an individual equity (5:1, or the ``leverage.individual_equity`` given), which the result's
warnings say (:data:`ASSUMED_EQUITY`).

**A broker's marks** (``[decorations]``, :mod:`xlmargin.esma_names`) are taken off a name before it
is read: ``[GERMANY40]`` is the DAX (Admiral Markets' index CFDs), and ``#AAPL``, ``#WTI`` are CFDs
on shares, ETFs or bonds (Admiral's mark, margined 1:5), read as individual equities without the
blank-class warning (a fund keeps its class: ``#QQQ`` is a fund unit).

**A CFD on a bond** (a class of ``[bond_cfds]`` in the class column, on no futures root) is read as a
bond row is: quantity face, price per 100 of face, notional ``|qty| × price / 100 × multiplier``. A
CFD on a bond future (ZN, ZB ...) is priced as the future, in its points.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from xlmargin import rules
from xlmargin.errors import InputError, MissingDataError, Problem, UnsupportedError, a_or_an
from xlmargin.esma_names import broker_names, listed_commodity
from xlmargin.esma_notional import converted_notional, pair_of, per_face
from xlmargin.fx_rates import (
    FX_RATES,
    PAIR_ASSET_CLASSES,
    QUOTED_LIKE_PAIRS,
    one_rate_per_pair_currency,
    read_rates,
    undeclared_pair,
    undeclared_pair_problem,
)
from xlmargin.money import cents
from xlmargin.params import AS_OF, Param, today_if_missing, with_defaults
from xlmargin.positions import Portfolio, Position
from xlmargin.positions.infer import SHOWN_ROWS, rows_text
from xlmargin.symbols import currency_pair, funds, listed_future, listed_index
from xlmargin.unconfirmed import overrides, unconfirmed_params

RETAIL_TYPES = ("cfd", "fx")
PAIR_CLASSES = ("major_fx", "non_major_fx")


def _rules() -> rules.RuleSet:
    return rules.load("esma")


DEFAULT_ACCOUNT_CURRENCY = str(_rules().get("account.default_currency"))
"""The account currency of the ESMA functions when none is given (ESMA_MARGIN, ESMA_BREAKDOWN,
MAX_NOTIONAL's esma regime), ``[account]`` of ``rules/esma.toml``: the caps are an EU retail rule."""


@cache  # the rule file is loaded once (rules.load): its code lists are read once, not once per row
def _codes(table: str, key: str = "codes") -> tuple[str, ...]:
    return tuple(str(c) for c in _rules()[table][key])


@cache
def _code_set(table: str, key: str = "codes") -> frozenset[str]:
    return frozenset(_codes(table, key))


def esma_classes() -> tuple[str, ...]:
    """The ESMA classes of ``rules/esma.toml``, in the order the file lists them."""
    return tuple(k for k in _rules()["leverage"] if k not in ("source", "confidence", "notes"))


def _build_params() -> tuple[Param, ...]:
    leverage = _rules()["leverage"]
    params: list[Param] = [AS_OF, FX_RATES]
    for ccy in _codes("currencies"):
        params.append(
            Param(
                f"fx.{ccy}",
                "number",
                None,
                f"account-currency units per {ccy} (e.g. fx.{ccy}=1.08), for positions in {ccy}",
                minimum=0.0,
                positive=True,
            )
        )
    percentages = _rules()["percentages"]
    for name in esma_classes():  # per class: a broker's tighter leverage, or a margin rate
        cap, legal, label = float(leverage[name]), float(percentages[name]), name.replace("_", " ")
        params.append(
            Param(
                f"leverage.{name}",
                "number",
                None,
                f"maximum leverage for {label} (a broker may ask more margin); "
                f"at most the ESMA cap {cap:g}:1",
                minimum=1.0,
                maximum=cap,
            )
        )
        params.append(
            Param(
                f"margin_rate.{name}",
                "number",
                None,
                f"initial margin for {label} as a fraction of the notional (3.33% or 0.0333), instead of "
                f"1/leverage; at least the Decision's {100 * legal:g}%",
                minimum=legal,
                maximum=1.0,
                rate=True,
            )
        )
    return tuple(params)


ESMA_PARAMS: tuple[Param, ...] = _build_params()
"""Every parameter of the ESMA (and US forex) functions: the valuation date, how the table's
``fx_rate`` reads (``fx_rates``), ``fx.<CCY>`` rates, ``leverage.<class>`` caps a broker may
tighten, and ``margin_rate.<class>``, the same as a percentage (at least the Decision's:
``margin_rate.major_fx=3.33%`` is the legal minimum, 1/30.03)."""


@dataclass(frozen=True)
class EsmaSettings:
    """FX rates to the account currency (``fx_rates[CCY]`` = account units per CCY), how the table's
    ``fx_rate`` column reads (``reading``: the ``fx_rates`` parameter, ``account`` or ``usd``,
    :func:`~xlmargin.fx_rates.read_rates`) and the leverage cap of each ESMA class (the rule file's,
    or a lower one the user gives)."""

    as_of: dt.date
    fx_rates: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    leverage: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({k: float(_rules()["leverage"][k]) for k in esma_classes()})
    )
    reading: str = "account"


def esma_settings(params: Mapping[str, Any], today: dt.date) -> EsmaSettings:
    """Settings from ``read_params(range, ESMA_PARAMS)`` output; ``as_of`` defaults to ``today``."""
    values = with_defaults(params, ESMA_PARAMS)  # unknown names are an error, fx.<CCY> of 0 too
    rates = {
        name.removeprefix("fx."): float(v)
        for name, v in params.items()
        if name.startswith("fx.") and v is not None
    }
    caps = {k: float(_rules()["leverage"][k]) for k in esma_classes()}
    for name, value in params.items():
        if name.startswith("leverage.") and value is not None:
            caps[name.removeprefix("leverage.")] = float(value)
    both = []
    for name, value in params.items():
        if name.startswith("margin_rate.") and value is not None:
            rule_class = name.removeprefix("margin_rate.")
            if params.get(f"leverage.{rule_class}") is not None:
                both.append(Problem(f"give leverage.{rule_class} or {name}, not both", None, name))
            caps[rule_class] = 1.0 / float(value)  # a margin rate is a leverage's reciprocal
    if both:
        raise InputError(both)
    return EsmaSettings(
        as_of=today_if_missing(dict(params), today),
        fx_rates=MappingProxyType(rates),
        leverage=MappingProxyType(caps),
        reading=str(values["fx_rates"]),
    )


NFA_PARAMS: tuple[Param, ...] = tuple(s for s in unconfirmed_params(_rules()) if s.name.startswith("nfa."))
"""The unconfirmed [L] rates of esma.toml's [nfa] (2% / 5%) as parameters (the account view's
``fx_rule = nfa``): an [L] term of another table of the file would not be the NFA rule's."""


@cache
def esma_rules(given: tuple[tuple[str, Any], ...] = ()) -> rules.RuleSet:
    """esma.toml with the given [L] terms (name, value) of :data:`NFA_PARAMS` overriding its own."""
    return _rules().with_overrides(overrides(_rules(), dict(given))) if given else _rules()


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetailLine:
    """One position: its class, notional in the account currency, and initial margin.

    ``margin = notional / max_leverage`` (ESMA) or ``notional × margin_rate`` (US forex);
    ``fx_rate`` is the account-currency units per unit of ``currency`` that converted it;
    ``class_from`` says where ``rule_class`` comes from (:func:`esma_class_from`).
    """

    row: int
    symbol: str
    type: str
    rule_class: str
    class_from: str  # what gave the class: the class column, or what a blank class was read from
    currency: str
    notional: float
    fx_rate: float
    max_leverage: float
    margin_rate: float
    margin: float


@dataclass(frozen=True)
class EsmaResult:
    """Initial margin per position and in total, in the account currency.

    ``close_out_level`` is the equity at which the provider must close positions (ESMA: 50% of the
    total initial margin); ``None`` for the US rule, which has none.
    """

    regime: str  # "esma" | "nfa"
    account_currency: str
    lines: tuple[RetailLine, ...]
    total: float
    close_out_level: float | None
    gross_notional: float
    exact: float  # ``total`` before rounding (each line's margin and the total are in cents)
    warnings: tuple[str, ...] = ()  # rows whose blank class was read as an equity

    @property
    def requirement(self) -> float:
        return self.total

    @property
    def effective_leverage(self) -> float:
        """Gross notional over total initial margin (0 for an empty book)."""
        return self.gross_notional / self.total if self.total > 0 else 0.0

    def table(self) -> list[list[Any]]:
        """One row per position, then the totals (and the close-out level), header first."""
        ccy = self.account_currency
        rows: list[list[Any]] = [
            [
                "row",
                "symbol",
                "type",
                "class",
                "currency",
                f"notional ({ccy})",
                f"fx rate ({ccy} per unit)",
                "leverage used",
                "margin rate (%)",
                f"initial margin ({ccy})",
                "class from",
            ]
        ]
        for line in self.lines:
            rows.append(
                [
                    line.row,
                    line.symbol,
                    line.type,
                    line.rule_class,
                    line.currency,
                    cents(line.notional),
                    round(line.fx_rate, 8),
                    round(line.max_leverage, 4),
                    round(100.0 * line.margin_rate, 6),
                    cents(line.margin),
                    line.class_from,
                ]
            )
        rows.append(
            [
                "total",
                "",
                "",
                "",
                "",
                cents(self.gross_notional),
                "",
                round(self.effective_leverage, 4),
                "",
                cents(self.total),
                "",
            ]
        )
        if self.close_out_level is not None:
            fraction = float(_rules().get("close_out.fraction"))
            rows.append(
                [
                    f"margin close-out level ({fraction:.0%} of initial margin)",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    cents(self.close_out_level),
                    "",
                ]
            )
        return rows


# --- classification ----------------------------------------------------------------------------------


ASSUMED_EQUITY = "assumed: blank class read as equity"
"""``class_from`` of a row whose class is blank and whose symbol nothing recognises: margined as an
individual equity (the strictest cap short of crypto), and :func:`esma_margin` warns of it."""


def esma_class(p: Position) -> str:
    """The ESMA class of a position (:func:`esma_class_from`)."""
    return esma_class_from(p)[0]


def esma_class_from(p: Position) -> tuple[str, str]:
    """The ESMA class of a position and what gave it, tested in this order (module docstring,
    margin-rules.md §5):

    Names are read without a broker's marks (:func:`~xlmargin.esma_names.broker_names`:
    ``[GERMANY40]`` is GERMANY40).

    0. a blank class on a fund of ``symbols.toml [funds]`` (the symbol, else underlying: SPY, GLD, UUP)
       is a fund unit, ``[funds] esma_class`` (5:1), whatever the fund holds; a blank class on a name
       a broker marks as a share, ETF or bond CFD (``#AAPL``, ``[decorations]``) is an individual
       equity (5:1, no warning);
    1. a crypto, gold or commodity class (given or the symbol's) takes its own cap;
    2. a currency pair of two known codes (an fx row, an FX class, or a CFD with a blank class whose
       symbol, else underlying, reads as one: :func:`~xlmargin.fx_rates.row_pair`): ``major_fx``
       when both currencies are major, else ``non_major_fx``, whatever the class column says
       (:func:`esma_margin` refuses a class that contradicts the pair: :func:`class_problem`);
    3. a class given in the class column: through ``[classes]``, an index class becoming
       ``major_index`` when the symbol or underlying is a major index alias (``[major_indices]``)
       or a futures root on one (ESZ6);
    4. a blank class: ``major_index`` on a major index alias, ``non_major_index`` on a symbol of
       ``[other_indices]`` (the symbol or underlying, or its part before a separator), else the
       class of a broker's commodity CFD name (``[commodity_cfds]``: GOLD, WTI, USOIL), else the
       class of a futures root's underlying (``[futures]``, :func:`~xlmargin.symbols.listed_future`),
       else the symbol table's class through ``[classes]``, else an individual equity
       (:data:`ASSUMED_EQUITY`).
    """
    classes = _rules()["classes"]
    blank = not p.class_given
    names, share_mark = broker_names(p.symbol, p.underlying)  # '[GERMANY40]' -> GERMANY40, '#AAPL' -> AAPL
    fund = next((name for name in names if name in funds()), None) if blank else None
    if fund is not None:
        return str(_rules().get("funds.esma_class")), f"inferred: {fund} is a fund (symbols.toml [funds])"
    if blank and share_mark:  # the broker's mark of a share, ETF or bond CFD (Admiral's '#AAPL', '#WTI')
        return str(classes["equity"]), f"inferred: '{share_mark}' marks a share CFD [decorations]"
    if p.asset_class in QUOTED_LIKE_PAIRS:
        return str(classes[p.asset_class]), _built_in(p) if blank else "class column"
    pair = pair_of(p)
    if pair is not None:
        return ("major_fx" if _is_major(pair) else "non_major_fx"), _pair_from(p, pair)
    major = _listed(names, "major_indices")
    if major is not None and (blank or p.asset_class in _index_classes()):
        return "major_index", f"inferred: {major}" if blank else f"class column; {major}"
    future = listed_future(*names)
    if not blank:
        if future is not None and future[1] == "major_index" and p.asset_class in _index_classes():
            return "major_index", f"class column; {future[0]}"
        found = "class column; price per 100 of face [bond_cfds]" if per_face(p) else "class column"
        return str(classes.get(p.asset_class, "other")), found
    other = _listed(names, "other_indices")
    if other is not None:
        return "non_major_index", f"inferred: {other}"
    commodity = listed_commodity(names)
    if commodity is not None:  # a broker's commodity CFD name: GOLD, WTI, USOIL ...
        return commodity[1], f"inferred: {commodity[0]}"
    if future is not None:  # a CFD on a future takes its underlying's class (ESMA Q&A 1984)
        return future[1], f"inferred: {future[0]}"
    if p.asset_class != "equity":  # the symbol table's class (symbols.toml), not the reader's default
        return str(classes.get(p.asset_class, "other")), _built_in(p)
    return str(classes["equity"]), ASSUMED_EQUITY


def _listed(names: tuple[str, str], table: str) -> str | None:
    """'HK50 = HANG_SENG [other_indices]' when the symbol or underlying (without a broker's marks)
    names an index of that table of esma.toml (:func:`~xlmargin.symbols.listed_index`), else None."""
    found = listed_index(names, table)
    return None if found is None else found[0]


def _built_in(p: Position) -> str:
    return f"inferred: {p.asset_class} (symbols.toml)"


def _pair_from(p: Position, pair: tuple[str, str]) -> str:
    """What made a row a currency pair: its type, its FX class, or (a blank class) its symbol."""
    name = "/".join(pair)
    if p.class_given:
        return f"class column: pair {name}"
    if p.type == "fx":
        return f"type fx: pair {name}"
    if currency_pair(p.symbol) is None:  # a CFD on the pair's future or forward: its underlying's pair
        return f"inferred: underlying {p.underlying} = pair {name} [currencies]"
    return f"inferred: pair {name} [currencies]"


def _assumed_equity_warning(lines: tuple[RetailLine, ...]) -> tuple[str, ...]:
    """One warning naming the rows whose blank class was read as an equity (:data:`ASSUMED_EQUITY`),
    quoting the cap they were margined at (the settings': ``leverage.individual_equity``)."""
    assumed = [line for line in lines if line.class_from == ASSUMED_EQUITY]
    if not assumed:
        return ()
    cap = assumed[0].max_leverage
    symbols = ", ".join(dict.fromkeys(line.symbol for line in assumed[:SHOWN_ROWS]))
    return (
        f"{rows_text([line.row for line in assumed])} ({symbols}): the class is blank and the symbol is "
        f"not a known index or currency pair, so ESMA margins it as an individual equity ({cap:g}:1, "
        f"{100 / cap:.4g}%); give its class (broad_index for an index, fx for a currency pair) if it is "
        "not a share",
    )


def class_problem(p: Position) -> Problem | None:
    """What is wrong with the class column of a currency-pair row, or None: a class given on a pair
    of two known codes must be an FX class, and ``fx_major`` only on a pair of two major currencies
    (margin-rules.md §5: a non-major pair is capped at 20:1, never 30:1). The pair decides; a class
    that contradicts it is the user's data being wrong, so it is refused rather than margined at a
    cap the class or the pair would give alone."""
    pair = pair_of(p)
    if pair is None:
        return _unread_pair(p)
    if not p.class_given:
        return None
    name = "".join(pair)
    if p.asset_class not in PAIR_ASSET_CLASSES:
        return Problem(
            f"class {p.asset_class} contradicts '{p.symbol}', {a_or_an(p.type)} row on the currency pair "
            f"{name}: give class fx or leave it blank",
            p.row,
            "class",
        )
    if p.asset_class == "fx_major" and not _is_major(pair):
        minor = " and ".join(c for c in pair if c not in _code_set("major_currencies"))
        cap = float(_rules().get("leverage.non_major_fx"))
        return Problem(
            f"class fx_major contradicts '{p.symbol}': {minor} is not a major currency "
            f"({', '.join(_codes('major_currencies'))}), so {name} is a non-major pair (ESMA {cap:g}:1); "
            "give class fx or leave it blank",
            p.row,
            "class",
        )
    return None


def _unread_pair(p: Position) -> Problem | None:
    """The refusal of a CFD with a blank class on a symbol of two ISO codes not both quoted
    (:func:`~xlmargin.fx_rates.undeclared_pair`: USDRUB, or a share's ticker), else None."""
    pair = undeclared_pair(p.type, p.asset_class, p.class_given, p.symbol, p.underlying)
    return None if pair is None else undeclared_pair_problem(p.symbol, pair, p.row)


def _is_major(pair: tuple[str, str]) -> bool:
    major = _code_set("major_currencies")
    return pair[0] in major and pair[1] in major


@cache
def _index_classes() -> frozenset[str]:
    """The position classes ``[classes]`` maps to a non-major index: a major index alias makes them
    major (the class says an index; the alias says which)."""
    return frozenset(str(c) for c, esma in _rules()["classes"].items() if esma == "non_major_index")


# --- the engines -----------------------------------------------------------------------------------


def esma_margin(portfolio: Portfolio, account_currency: str, settings: EsmaSettings) -> EsmaResult:
    """ESMA initial margin of a book of CFDs and rolling spot FX, and its margin close-out level."""
    account = _account_currency(account_currency)

    def terms(p: Position) -> tuple[str, str, float, float]:
        rule_class, found = esma_class_from(p)
        leverage = float(settings.leverage[rule_class])
        return rule_class, found, leverage, 1.0 / leverage

    lines, total, gross, exact = _margin(portfolio, account, settings, "esma", terms, class_problem)
    fraction = float(_rules().get("close_out.fraction"))
    close_out = cents(fraction * total)
    warnings = _assumed_equity_warning(lines)
    return EsmaResult("esma", account, lines, total, close_out, gross, exact, warnings)


def nfa_margin(
    portfolio: Portfolio, account_currency: str, settings: EsmaSettings, rule_set: rules.RuleSet | None = None
) -> EsmaResult:
    """US retail forex security deposit: 2% of the notional for pairs of two major currencies, 5% for
    every other pair (CFTC 5.9 / NFA; confidence L). Only currency pairs are accepted. ``rule_set``:
    esma.toml with the user's overrides of its [L] rates (the account view's ``nfa.major_pct``)."""
    account = _account_currency(account_currency)
    nfa = (rule_set or _rules())["nfa"]
    major = tuple(str(c) for c in nfa["major_codes"])

    def terms(p: Position) -> tuple[str, str, float, float]:
        base, quote = pair_of(p) or ("", "")
        is_major = base in major and quote in major
        rate = float(nfa["major_pct"] if is_major else nfa["other_pct"])
        return ("nfa_major" if is_major else "nfa_other"), _pair_from(p, (base, quote)), 1.0 / rate, rate

    unread = [found for p in portfolio if p.type in RETAIL_TYPES and (found := _unread_pair(p)) is not None]
    if unread:
        raise InputError(unread)
    unsupported = [
        Problem(
            f"the US forex rule covers currency pairs; '{p.symbol}' ({p.type}, class {esma_class(p)}) is not "
            "one (CFDs are not offered to US retail customers)",
            p.row,
            "type",
        )
        for p in portfolio
        if p.type in RETAIL_TYPES and not (pair_of(p) and p.asset_class not in QUOTED_LIKE_PAIRS)
    ]
    if unsupported:
        raise UnsupportedError(unsupported)
    lines, total, gross, exact = _margin(portfolio, account, settings, "nfa", terms)
    return EsmaResult("nfa", account, lines, total, None, gross, exact)


def _account_currency(value: str) -> str:
    code = str(value or "").strip().upper()
    if code not in _code_set("currencies"):
        raise InputError(
            Problem(f"'{value}' is not a known currency code (e.g. EUR, USD, GBP)", None, "account_currency")
        )
    return code


def _margin(
    portfolio: Portfolio,
    account: str,
    settings: EsmaSettings,
    regime: str,
    terms: Callable[[Position], tuple[str, str, float, float]],
    check: Callable[[Position], Problem | None] = lambda p: None,
) -> tuple[tuple[RetailLine, ...], float, float, float]:
    """Lines, total margin (the lines' cents added), gross notional and the total before rounding;
    ``terms`` gives a row's (class, what gave it, leverage, margin rate), ``check`` what is wrong
    with a row the rule refuses (an :class:`InputError`, with the other rows'). The table's rates
    are read as ``settings.reading`` says, the account view's one reading
    (:func:`~xlmargin.fx_rates.read_rates`), a USD-base pair's quote currency at one rate
    (:func:`~xlmargin.fx_rates.one_rate_per_pair_currency`)."""
    one_rate_per_pair_currency(portfolio, account, settings.reading, settings.fx_rates)
    portfolio = read_rates(portfolio, account, settings.reading, settings.fx_rates)
    unsupported: list[Problem] = []
    bad: list[Problem] = []
    missing: list[Problem] = []
    lines = []
    exact: list[float] = []
    for p in portfolio:
        if p.type not in RETAIL_TYPES:
            rule = "ESMA leverage caps" if regime == "esma" else "the US forex rule"
            unsupported.append(
                Problem(
                    f"{rule} apply to CFDs and rolling spot FX; {a_or_an(p.type)} is neither", p.row, "type"
                )
            )
            continue
        refused = check(p)
        if refused is not None:
            bad.append(refused)
            continue
        converted = converted_notional(p, account, settings.fx_rates, settings.reading, bad, missing)
        if converted is None:
            continue
        currency, notional, rate = converted
        rule_class, found, leverage, margin_rate = terms(p)
        lines.append(
            RetailLine(
                p.row,
                p.symbol,
                p.type,
                rule_class,
                found,
                currency,
                notional,
                rate,
                leverage,
                margin_rate,
                cents(notional * margin_rate),
            )
        )
        exact.append(notional * margin_rate)
    for kind, problems in ((UnsupportedError, unsupported), (InputError, bad), (MissingDataError, missing)):
        if problems:
            raise kind(problems)
    total = cents(sum(line.margin for line in lines))
    return tuple(lines), total, sum(line.notional for line in lines), sum(exact)


__all__ = [
    "ASSUMED_EQUITY",
    "DEFAULT_ACCOUNT_CURRENCY",
    "ESMA_PARAMS",
    "NFA_PARAMS",
    "EsmaResult",
    "EsmaSettings",
    "RetailLine",
    "class_problem",
    "currency_pair",
    "esma_class",
    "esma_class_from",
    "esma_classes",
    "esma_margin",
    "esma_rules",
    "esma_settings",
    "nfa_margin",
]
