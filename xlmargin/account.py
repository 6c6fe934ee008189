"""The account view: one requirement per segment, added the way brokers add them.

Brokers keep separate segments and sum their requirements (margin-rules.md §3.2: IBKR keeps
futures in the commodities segment under SPAN and securities in the securities segment; EU CFDs
and spot FX sit under the ESMA caps):

- **securities** (stock, etf, option, bond, cash): Regulation T strategy-based margin on the chosen
  basis, or portfolio margin (FINRA 4210(g)), by the ``securities`` choice;
- **futures** (future, future_option): SPAN (:mod:`xlmargin.span`), maintenance or initial;
- **fx / cfd** (fx, cfd): the ESMA leverage caps for EU retail, or the US retail forex deposit
  (NFA/CFTC, 2% / 5%), by the ``fx_rule`` choice.

``total = Σ segment requirements``, in the account currency. Every position type belongs to exactly
one segment, and a position a segment's engine cannot margin is an error naming its row, so no
position is dropped. Reg T, portfolio margin and SPAN compute in US dollars; for another account
currency they are converted with the ``fx.USD`` parameter. A security priced in another currency
is converted to dollars first with its ``fx_rate`` (account-currency units per unit, so divided by
``fx.USD`` in another account currency: :func:`securities_in_usd`).

Every segment, and every path that converts as the view does, reads the table's rates through one
function, :func:`~xlmargin.fx_rates.read_rates` (:func:`account_rates`; the ESMA/NFA engine calls
it with the same settings, as ESMA_MARGIN does): as account-currency units per unit
(``fx_rates=account``, the default), or as USD per unit (``fx_rates=usd``: the dollar engines'
reading and the broker readers'), converted with ``fx.USD``, the one rate between the two.

On the maintenance basis the ESMA segment shows the *margin close-out level* (50% of the initial
margin: where the provider must start closing positions), the ESMA counterpart of a maintenance
requirement; the US forex deposit is the same on both bases. Portfolio margin has one regulatory
figure; its initial is the house initial multiple when that layer is on.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from xlmargin.dollars import at_dollar_rate
from xlmargin.errors import MissingDataError, Problem, UnsupportedError
from xlmargin.esma import (
    DEFAULT_ACCOUNT_CURRENCY,
    ESMA_PARAMS,
    NFA_PARAMS,
    EsmaResult,
    EsmaSettings,
    esma_margin,
    esma_rules,
    esma_settings,
    nfa_margin,
)
from xlmargin.fx_rates import FX_RATES, one_rate_per_pair_currency, read_rates, usd_per_unit
from xlmargin.house_bonds import (
    HOUSE_BONDS,
    HOUSE_OPTIONS,
    REGT_UNCONFIRMED,
    given_terms,
    house_options,
    house_terms,
    regt_rules,
)
from xlmargin.instruments import ENGINE_CURRENCY, PER_FACE, in_usd
from xlmargin.money import cents
from xlmargin.params import AS_OF, RATE, Param, today_if_missing, with_defaults
from xlmargin.pm import PM_PARAMS, PMSettings, pm_requirement, pm_settings
from xlmargin.positions import Portfolio
from xlmargin.positions.model import OPTION_TYPES
from xlmargin.regt import RegTResult, regt_margin, with_minimum_equity
from xlmargin.rules import RuleSet
from xlmargin.span import SPAN_PARAMS, SpanSettings, futures_margin, span_settings

BASES = ("initial", "maintenance")
SECURITIES_RULES = ("regt", "pm")
FX_RULES = ("esma", "nfa")
SEGMENTS: dict[str, tuple[str, ...]] = {
    "securities": ("stock", "etf", "option", "bond", "cash"),
    "futures": ("future", "future_option"),
    "fx/cfd": ("fx", "cfd"),
}

_OWN: tuple[Param, ...] = (
    AS_OF,
    RATE,
    Param(
        "basis",
        "choice",
        "initial",
        "initial (default) or maintenance: Reg T basis, SPAN figure, and for ESMA "
        "the initial margin or the 50% close-out level",
        choices=BASES,
    ),
    Param(
        "securities",
        "choice",
        "regt",
        "how securities are margined: regt (Reg T, default) or pm (portfolio margin)",
        choices=SECURITIES_RULES,
    ),
    Param(
        "fx_rule",
        "choice",
        "esma",
        "the rule for spot FX and CFDs: esma (EU retail caps, default) or nfa (US retail forex, 2%/5%)",
        choices=FX_RULES,
    ),
    Param(
        "account_currency",
        "currency",
        None,
        "the currency of the account (ESMA margins are in it; USD segments are converted with fx.USD); "
        f"blank: {ENGINE_CURRENCY}, but {DEFAULT_ACCOUNT_CURRENCY} for MAX_NOTIONAL's esma regime, as for "
        "ESMA_MARGIN",
    ),
    FX_RATES,
    Param(
        "equity",
        "number",
        None,
        "account equity in the account currency (converted with fx.USD in another currency than USD); "
        "when given, the securities segment checks its minimum: Reg T's FINRA 4210(b)(2) minimum to trade "
        "on margin ($2,000, or the purchases' cost if less; initial basis) or portfolio margin's 4210(g) "
        "eligibility ($100,000), each a warning when not met",
    ),
    HOUSE_BONDS,
    HOUSE_OPTIONS,  # the securities segment under Reg T
    *REGT_UNCONFIRMED,  # the securities segment under Reg T
    *NFA_PARAMS,  # the fx / cfd segment under fx_rule = nfa
)


def _account_params() -> tuple[Param, ...]:
    params = {p.name: p for p in _OWN}
    for spec in (*SPAN_PARAMS, *ESMA_PARAMS, *PM_PARAMS):
        if spec.name not in params and spec.name != "basis":
            params[spec.name] = spec
    return tuple(params.values())


ACCOUNT_PARAMS: tuple[Param, ...] = _account_params()
"""Every parameter of the account view: its own choices, then the SPAN, ESMA and portfolio-margin ones."""


@dataclass(frozen=True)
class AccountSettings:
    """The segment choices and each engine's settings, all at one valuation date."""

    as_of: dt.date
    basis: str
    securities: str
    fx_rule: str
    account_currency: str
    span: SpanSettings
    esma: EsmaSettings
    pm: PMSettings
    regt_terms: tuple[tuple[str, Any], ...] = ()  # the unconfirmed [L] terms of regt.toml given
    nfa_terms: tuple[tuple[str, Any], ...] = ()  # those of esma.toml ([nfa]) given
    house_options: str = str(HOUSE_OPTIONS.default)  # Reg T's house rates for naked options

    @property
    def regt_rules(self) -> RuleSet:
        """The Reg T rule set of the ``house.bonds`` parameter (held, with portfolio margin's bond
        lines, in ``pm.house_bonds``), of ``house.options`` and the [L] terms given (``regt_terms``):
        what every path margining these settings under Reg T passes the engine (the securities
        segment, the decisions' regt regimes, MAX_NOTIONAL)."""
        return regt_rules(self.pm.house_bonds, self.regt_terms, self.house_options)


def account_settings(params: Mapping[str, Any], today: dt.date) -> AccountSettings:
    """Settings from ``read_params(range, ACCOUNT_PARAMS)`` output; ``as_of`` defaults to ``today``."""
    values = with_defaults(params, ACCOUNT_PARAMS)
    as_of = today_if_missing(values, today)
    basis = str(values["basis"])
    _, regt_terms = house_terms(values)  # a house table's [L] term under another house refused

    def subset(specs: tuple[Param, ...]) -> dict[str, Any]:
        return {p.name: values[p.name] for p in specs if p.name in values and p.name != "basis"} | {
            "as_of": as_of
        }

    return AccountSettings(
        as_of=as_of,
        basis=basis,
        securities=str(values["securities"]),
        fx_rule=str(values["fx_rule"]),
        account_currency=given_currency(values.get("account_currency")) or ENGINE_CURRENCY,
        span=span_settings(subset(SPAN_PARAMS) | {"basis": basis}, as_of),
        esma=esma_settings(subset(ESMA_PARAMS), as_of),
        pm=pm_settings(subset(PM_PARAMS), as_of),
        regt_terms=regt_terms,
        nfa_terms=given_terms(values, NFA_PARAMS),
        house_options=house_options(values),
    )


def given_currency(value: Any) -> str | None:
    """The ``account_currency`` parameter as a code, None when blank."""
    text = "" if value is None else str(value).strip().upper()
    return text or None


@dataclass(frozen=True)
class SegmentLine:
    """One segment: its rule, the rows it margined, and its requirement in the account currency.

    ``fx_rate`` converted the engine's currency to the account currency (1 when they agree);
    ``gross_notional`` is the segment's gross notional in the account currency; ``exact`` is the
    requirement before the engine rounds it to the cent (Reg T rounds each strategy group, portfolio
    margin its account figures), what a search along a path compares.
    """

    segment: str
    regime: str
    rows: tuple[int, ...]
    requirement: float
    fx_rate: float
    gross_notional: float
    detail: Any  # the engine's own result (RegTResult, PMResult, SpanResult, EsmaResult), None when empty
    exact: float


@dataclass(frozen=True)
class SecuritiesFigures:
    """The portfolio-margin requirement of a securities segment on ``basis`` (the initial figure or
    the maintenance requirement), to the cent and exact, as a caller computed it: the batch prices
    many accounts' securities once and finds each account's figures with numpy
    (:func:`xlmargin.batch.pm.account_figures`). A :class:`SegmentLine` made from it holds it as
    its ``detail``; :func:`account_margin` uses it only on the same basis."""

    requirement: float
    exact: float
    basis: str
    warnings: tuple[str, ...] = ()  # portfolio margin's, as its result gives them for the book alone


@dataclass(frozen=True)
class AccountResult:
    """The account requirement: ``total = Σ lines.requirement`` in ``account_currency``, each line
    and the total in cents, and
    ``exact = Σ lines.exact``, the same before the engines' cent rounding: the figure capacity and
    margin-call searches compare, since a sum of rounded segments moves in cent steps and lets a
    search stop cents to either side of the crossing."""

    basis: str
    account_currency: str
    lines: tuple[SegmentLine, ...]
    total: float
    exact: float

    @property
    def requirement(self) -> float:
        return self.total

    @property
    def gross_notional(self) -> float:
        return sum(line.gross_notional for line in self.lines)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The segment engines' warnings (Reg T's pairing and currency notes, portfolio margin's),
        each once, in segment order."""
        found = (w for line in self.lines for w in getattr(line.detail, "warnings", ()))
        return tuple(dict.fromkeys(found))

    def table(self) -> list[list[Any]]:
        """Segment, regime, number of positions and requirement per segment, then the total; header first."""
        rows: list[list[Any]] = [["segment", "regime", "positions", f"requirement ({self.account_currency})"]]
        for line in self.lines:
            rows.append([line.segment, line.regime, len(line.rows), cents(line.requirement)])
        rows.append(
            [
                f"total ({self.basis})",
                "",
                sum(len(line.rows) for line in self.lines),
                cents(self.total),
            ]
        )
        return rows


def securities_notional(portfolio: Portfolio) -> float:
    """Gross notional of a securities book in its price currency: |qty| × price × multiplier for stocks
    and funds, |qty| × price / 100 for bonds (price per 100 of face), |qty| × underlying price ×
    multiplier for options (the exposure they control); cash has none. Each row's figure from the
    columns, added in row order (the sum a loop over the rows makes, to the last bit)."""
    a = portfolio.arrays
    q, price, multiplier = a["quantity"], a["price"], a["multiplier"]
    kind = _row_kinds(portfolio)
    with np.errstate(invalid="ignore"):  # a cash row's blank price: its figure is not used
        each = np.where(
            kind == "bond",
            np.abs(q) * price / PER_FACE,
            np.where(
                kind == "option",
                np.abs(q) * a["underlying_price"] * multiplier,
                np.abs(q * price * multiplier),
            ),
        )
    return sum(np.where(kind == "cash", 0.0, each).tolist(), 0.0)


def _row_kinds(portfolio: Portfolio) -> np.ndarray:
    """Each row's kind for :func:`securities_notional`: "cash", "bond", "option" or "other" (one test
    per distinct type)."""
    codes, types = portfolio.codes("type")
    names = ["cash" if t == "cash" else "bond" if t == "bond" else "option" if t in OPTION_TYPES else "other"
             for t in types]  # fmt: skip
    return np.array(names, dtype=object)[codes]


def account_margin(
    portfolio: Portfolio,
    settings: AccountSettings,
    *,
    securities: RegTResult | SecuritiesFigures | None = None,
) -> AccountResult:
    """Each segment's requirement under its rule, and their sum (see the module docstring).

    ``securities``: the securities segment's figures when the caller has them already (the batch
    values many accounts' securities at once): a Reg T result where Reg T margins securities
    (:func:`xlmargin.regt.regt_margins`), :class:`SecuritiesFigures` where portfolio margin does
    (figures of the rule not in use, or of another basis, are ignored)."""
    kinds, rows_of = portfolio.arrays["type"], portfolio.arrays["row"]
    type_codes, type_names = portfolio.codes("type")  # each type tested once, not each row
    segment_of = {t: name for name, types in SEGMENTS.items() for t in types}
    orphan = np.array([t not in segment_of for t in type_names], dtype=bool)[type_codes]
    orphans = [
        Problem(f"no account segment margins a '{kinds[i]}'", int(rows_of[i]), "type")
        for i in np.flatnonzero(orphan)
    ]
    if orphans:
        raise UnsupportedError(orphans)
    account = settings.account_currency
    one_rate_per_pair_currency(portfolio, account, settings.esma.reading, settings.esma.fx_rates)
    lines = []
    for segment, types in SEGMENTS.items():
        mask = np.array([t in types for t in type_names], dtype=bool)[type_codes]
        regime = _regime(segment, settings)
        if not mask.any():
            lines.append(SegmentLine(segment, regime, (), 0.0, 1.0, 0.0, None, 0.0))
            continue
        book = portfolio if mask.all() else portfolio.select(mask)  # (a book of one segment: no copy)
        rows = tuple(book.arrays["row"].tolist())
        if segment == "fx/cfd":
            fx_result = retail_margin(book, settings)
            requirement, exact = fx_result.total, fx_result.exact
            if settings.basis == "maintenance" and fx_result.close_out_level is not None:
                requirement = fx_result.close_out_level
                exact *= fx_result.close_out_level / fx_result.total if fx_result.total else 0.0
            lines.append(
                SegmentLine(
                    segment, regime, rows, requirement, 1.0, fx_result.gross_notional, fx_result, exact
                )
            )
            continue
        detail: Any
        if segment == "securities":
            book = securities_in_usd(book, settings)
        if segment == "futures":
            detail = futures_margin(futures_in_usd(book, settings), settings.span)
            requirement, notional = detail.requirement, detail.gross_notional
            exact = detail.exact
        elif settings.securities == "pm":
            if isinstance(securities, SecuritiesFigures) and securities.basis == settings.basis:
                detail, requirement, exact = securities, securities.requirement, securities.exact
            else:
                detail = pm_requirement(book, pm_in_usd(settings))
                initial = settings.basis == "initial"
                requirement = detail.initial if initial else detail.requirement
                exact = detail.initial_exact if initial else detail.exact
            notional = securities_notional(book)
        else:
            detail = securities if isinstance(securities, RegTResult) else None
            equity = equity_in_usd(settings)  # the one equity parameter: Reg T's 4210(b)(2), PM's 4210(g)
            if detail is None or (detail.basis, detail.net_of_proceeds) != (settings.basis, False):
                detail = regt_margin(  # this basis, FINRA's gross, the house bond table chosen
                    book, basis=settings.basis, equity=equity, rules=settings.regt_rules
                )
            elif equity is not None and detail.minimum_equity is None:  # the batch's, paired without it
                detail = with_minimum_equity(detail, book, equity, settings.regt_rules)
            requirement, exact, notional = detail.total, detail.exact, securities_notional(book)
        rate = usd_rate(settings)  # (after the rows' rates are read: their error first)
        line = SegmentLine(
            segment, regime, rows, cents(requirement * rate), rate, notional * rate, detail, exact * rate
        )
        lines.append(line)
    return AccountResult(
        settings.basis,
        account,
        tuple(lines),
        cents(sum(line.requirement for line in lines)),
        sum(line.exact for line in lines),
    )


def securities_in_usd(book: Portfolio, settings: AccountSettings) -> Portfolio:
    """The securities rows in US dollars, as Reg T and portfolio margin compute
    (:func:`~xlmargin.instruments.in_usd`), at the account's rates (:func:`account_rates`): in
    account-currency units per unit, so divided by ``fx.USD`` in another account currency."""
    return in_usd(account_rates(book, settings), per_usd=usd_rate(settings))


def futures_in_usd(book: Portfolio, settings: AccountSettings) -> Portfolio:
    """The futures rows as SPAN reads them in the account view: its rates read as every segment
    reads them (:func:`account_rates`), a dollar row's rate ``fx.USD`` restated to 1 and any other
    refused, as the securities segment refuses it (:func:`~xlmargin.dollars.at_dollar_rate`)."""
    return at_dollar_rate(account_rates(book, settings), usd_rate(settings))


def retail_margin(book: Portfolio, settings: AccountSettings) -> EsmaResult:
    """The FX/CFD segment: the ESMA caps or the US forex deposit (the ``fx_rule`` choice) in the
    account currency, its rates read as every segment reads them: the engine reads them with the
    view's ``fx_rates`` and ``fx.<CCY>`` (``settings.esma``) through :func:`account_rates`' one
    function (:func:`~xlmargin.fx_rates.read_rates`)."""
    if settings.fx_rule == "nfa":
        return nfa_margin(book, settings.account_currency, settings.esma, esma_rules(settings.nfa_terms))
    return esma_margin(book, settings.account_currency, settings.esma)


def account_rates(book: Portfolio, settings: AccountSettings) -> Portfolio:
    """``book`` with each ``fx_rate`` as the account view reads it, account-currency units per unit
    of the row's currency: the one reading of its segments (securities, futures, FX/CFD) and of every
    path that converts as it does (the contribution, the hedge's account objective, the what-if's
    and the margin call's money rates), and of the ESMA functions
    (:func:`~xlmargin.fx_rates.read_rates`, the ``fx_rates`` parameter: ``account`` reads the rates
    as given, refusing one only a table of USD per unit has with a hint to give ``fx_rates=usd``;
    ``usd`` reads them as USD per unit, converted with ``fx.USD``; blank rates filled from
    ``fx.<CCY>``)."""
    return read_rates(book, settings.account_currency, settings.esma.reading, settings.esma.fx_rates)


def rates_in_usd(book: Portfolio, settings: AccountSettings) -> Portfolio:
    """``book`` with its rates read as the account view reads them (:func:`account_rates`), then
    restated in USD per unit with ``fx.USD`` (:func:`~xlmargin.fx_rates.usd_per_unit`), prices and
    currencies kept: what an account path gives the risk view, which reads USD per unit and keeps
    each row's currency leg (the margin call's stress scenario), the same under either ``fx_rates``."""
    return usd_per_unit(account_rates(book, settings), usd_rate(settings))


def usd_rate(settings: AccountSettings) -> float:
    """Account-currency units per US dollar: 1 for a USD account, else the fx.USD parameter."""
    if settings.account_currency == ENGINE_CURRENCY:
        return 1.0
    rate = settings.esma.fx_rates.get(ENGINE_CURRENCY)
    if rate is None or not math.isfinite(rate):
        raise MissingDataError(
            Problem(
                f"the Reg T, portfolio-margin and SPAN requirements are in {ENGINE_CURRENCY}; give "
                f"fx.{ENGINE_CURRENCY} ({settings.account_currency} per {ENGINE_CURRENCY}) to add them to a "
                f"{settings.account_currency} account",
                None,
                "params",
            )
        )
    return rate


def equity_in_usd(settings: AccountSettings) -> float | None:
    """The ``equity`` parameter, given in the account currency like every figure of the view, in US
    dollars as the minimums it is compared with are (Reg T's $2,000, portfolio margin's $100,000):
    divided by ``fx.USD`` in another account currency (:func:`usd_rate`, the same error when it is
    missing). None when not given."""
    equity = settings.pm.equity
    return None if equity is None else equity / usd_rate(settings)


def pm_in_usd(settings: AccountSettings) -> PMSettings:
    """Portfolio margin's settings with the ``equity`` in US dollars (:func:`equity_in_usd`), as
    its FINRA 4210(g) eligibility check compares it with $100,000: what every caller of the engine
    on the account's securities passes (the account view, capacity, the decisions)."""
    equity = settings.pm.equity
    return settings.pm if equity is None else replace(settings.pm, equity=equity_in_usd(settings))


def _regime(segment: str, settings: AccountSettings) -> str:
    if segment == "securities":
        if settings.securities == "pm":
            return "portfolio margin (FINRA 4210(g))"
        return f"Reg T {settings.basis}"
    if segment == "futures":
        return f"SPAN {settings.basis}"
    if settings.fx_rule == "nfa":
        return "US retail forex deposit (NFA 2%/5%)"
    return "ESMA initial margin" if settings.basis == "initial" else "ESMA margin close-out level (50%)"


__all__ = [
    "ACCOUNT_PARAMS",
    "ENGINE_CURRENCY",
    "SEGMENTS",
    "AccountResult",
    "AccountSettings",
    "SecuritiesFigures",
    "SegmentLine",
    "account_margin",
    "account_rates",
    "account_settings",
    "equity_in_usd",
    "futures_in_usd",
    "given_currency",
    "pm_in_usd",
    "rates_in_usd",
    "retail_margin",
    "securities_in_usd",
    "securities_notional",
    "usd_rate",
]
