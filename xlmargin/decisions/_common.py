"""What every decision shares: its settings, a book with trades added, one requirement per regime.

Regimes: ``regt`` (Reg T initial), ``regt_maintenance``, ``pm`` (portfolio margin, the regulatory
figure), ``futures`` (SPAN on the ``basis`` parameter), ``account`` (the account view) and ``risk``
(the house risk view: the worst loss over the scenario library, not a regulation). Each figure is
the regime's own engine run on the book; nothing is re-derived here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from xlmargin.account import (
    ACCOUNT_PARAMS,
    BASES,
    AccountSettings,
    account_margin,
    account_rates,
    pm_in_usd,
    usd_rate,
)
from xlmargin.capacity import CUSHION, capacity_settings
from xlmargin.cells import LARGEST
from xlmargin.decisions.names import IMPACT_REGIMES
from xlmargin.errors import InputError, Problem, XlMarginError
from xlmargin.instruments import ENGINE_CURRENCY, unit_values, usd_rates
from xlmargin.params import Param
from xlmargin.pm import PMSettings, pm_requirement
from xlmargin.positions import NO_POSITIONS, Portfolio
from xlmargin.positions.marks import SAME_MARK, SAME_MARK_ABS, marks_differ
from xlmargin.positions.reader import factorize
from xlmargin.pricing import rows_implied_volatility
from xlmargin.regt import regt_margin
from xlmargin.span import futures_margin
from xlmargin.stress import STRESS_PARAMS, StressSettings, risk_margin, stress_settings

REGIMES = IMPACT_REGIMES
LABELS = {
    "regt": "Reg T initial",
    "regt_maintenance": "Reg T maintenance",
    "pm": "portfolio margin",
    "futures": "futures (SPAN)",
    "account": "account view",
    "risk": "risk view: worst stress loss",
}

TIME_LIMIT = Param(
    "time_limit",
    "number",
    20.0,
    "seconds the hedge optimiser and the liquidation plan may search; when hit, the best plan found "
    "is returned with its optimality gap",
    minimum=0.1,
    maximum=3600.0,
)


PLAN_BY = Param(
    "plan_by",
    "choice",
    "notional",
    "what the liquidation plan minimises: notional (default: the value closed) or trades (the number "
    "of positions touched, then the value)",
    choices=("notional", "trades"),
)


BASIS = Param(
    "basis",
    "choice",
    None,
    "initial or maintenance: the Reg T basis (MARGIN_CONTRIBUTION's regt, and the distance to a margin "
    "call and the liquidation plan under regt), the SPAN figure, and for ESMA the initial margin or the "
    "50% close-out level; blank: initial for what-if, the hedge and contribution, maintenance for "
    "MARGIN_CALL_MOVE and LIQUIDATION_PLAN (a margin call comes from maintenance, FINRA 4210(c): a fall "
    "below Reg T's initial 50% restricts the account, it does not call it)",
    choices=BASES,
)
"""The decisions' ``basis``: the account view's choice, blank being each decision's own default
(:func:`call_measure`)."""


def _params() -> tuple[Param, ...]:
    params = {p.name: p for p in (CUSHION, TIME_LIMIT, PLAN_BY, *ACCOUNT_PARAMS)}
    params["basis"] = BASIS
    for spec in STRESS_PARAMS:
        params.setdefault(spec.name, spec)
    return tuple(params.values())


DECISION_PARAMS: tuple[Param, ...] = _params()
"""The cushion, time limit and liquidation goal, then every parameter of the account and risk views."""

_ACCOUNT_NAMES = frozenset(p.name for p in (CUSHION, *ACCOUNT_PARAMS))
_STRESS_NAMES = frozenset(p.name for p in STRESS_PARAMS)


@dataclass(frozen=True)
class DecisionSettings:
    """Every engine's settings (the account view's and the risk view's), the cushion and time limit."""

    account: AccountSettings
    stress: StressSettings
    cushion: float = 0.0
    time_limit: float = float(TIME_LIMIT.default)
    plan_by: str = str(PLAN_BY.default)
    basis: str | None = None  # the basis parameter as given (None: blank, each decision's default)

    @property
    def as_of(self) -> dt.date:
        return self.account.as_of

    @cached_property
    def pm(self) -> PMSettings:
        """Portfolio margin's settings with the ``equity`` in US dollars, as the account view
        converts it (:func:`~xlmargin.account.pm_in_usd`): found once per settings, and what every
        decision gives the portfolio-margin engine, so that its $100,000 eligibility check compares
        dollars with dollars in an account kept in another currency."""
        return pm_in_usd(self.account)


def decision_settings(params: Mapping[str, Any], today: dt.date) -> DecisionSettings:
    """Settings from ``read_params(range, DECISION_PARAMS)`` output; ``as_of`` defaults to ``today``."""
    values = dict(params)
    limit = values.get("time_limit")
    plan_by = values.get("plan_by")
    basis = values.get("basis")  # blank: the account view's default (initial), and see call_measure
    capacity = capacity_settings({k: v for k, v in values.items() if k in _ACCOUNT_NAMES}, today)
    stress = stress_settings(
        {k: v for k, v in values.items() if k in _STRESS_NAMES} | {"as_of": capacity.account.as_of}, today
    )
    return DecisionSettings(
        account=capacity.account,
        stress=stress,
        cushion=capacity.cushion,
        time_limit=float(TIME_LIMIT.default if limit is None else limit),
        plan_by=str(PLAN_BY.default if plan_by is None else plan_by),
        basis=None if basis is None else str(basis),
    )


def above_zero(value: Any, what: str, column: str) -> float:
    """``value`` when it is a finite number above 0 (an equity, a budget) and at most the largest
    amount a table cell may hold (:data:`xlmargin.cells.LARGEST`); otherwise one line naming
    ``column``: an infinite equity would meet every call and leave no figure to show, and a figure
    beyond 1e15 cannot be rounded to the cent."""
    plain = isinstance(value, int | float) and not isinstance(value, bool)
    number = float(value) if plain else math.nan
    if 0 < number <= LARGEST:
        return number
    if LARGEST < number < math.inf:
        raise InputError(Problem(f"{what} must be at most {LARGEST:.0e}, got {number:g}", None, column))
    rule = "a finite number above 0" if math.isinf(number) else "above 0"
    shown = f"{number:g}" if plain else repr(value)
    raise InputError(Problem(f"{what} must be {rule}, got {shown}", None, column))


def in_table(name: str, error: XlMarginError, joined: bool = False) -> XlMarginError:
    """``error`` with each problem's column prefixed by table ``name`` ("trades quantity"), so a
    row number of the trades or candidates is not read as one of the positions'. With ``joined``
    the error is about the positions with that table's rows joined under negative row numbers
    (:func:`trade_union`'s ``mark``): only those problems are renamed, at their own row."""

    def named(p: Problem) -> Problem:
        if joined and (p.row is None or p.row > 0):
            return p
        row = None if p.row is None else abs(p.row)
        message = f"the {name} table has a header but no rows" if p.message == NO_POSITIONS else p.message
        return Problem(message, row, f"{name} {p.column}" if p.column else name)

    return type(error)([named(p) for p in error.problems])


def check_regime(regime: str, allowed: tuple[str, ...] = REGIMES) -> str:
    if regime not in allowed:
        raise InputError(
            Problem(f"regime must be one of {', '.join(allowed)}, got '{regime}'", None, "regime")
        )
    return regime


def engine_result(regime: str, settings: DecisionSettings) -> Callable[[Portfolio], Any]:
    """book → the regime's own engine's result (its figures and its warnings: module docstring)."""
    account = settings.account
    results: dict[str, Callable[[Portfolio], Any]] = {
        "regt": lambda p: regt_margin(p, basis="initial", rules=account.regt_rules),
        "regt_maintenance": lambda p: regt_margin(p, basis="maintenance", rules=account.regt_rules),
        "pm": lambda p: pm_requirement(p, settings.pm),
        "futures": lambda p: futures_margin(p, account.span),
        "account": lambda p: account_margin(p, account),
        "risk": lambda p: risk_margin(p, settings.stress),
    }
    return results[check_regime(regime)]


_FIGURE = {  # the result's attribute holding the requirement rounded to the cent; ``exact`` before
    "regt": "total",
    "regt_maintenance": "total",
    "pm": "requirement",
    "futures": "requirement",
    "account": "total",
    "risk": "requirement",
}


def engine(regime: str, settings: DecisionSettings, exact: bool = False) -> Callable[[Portfolio], float]:
    """book → the regime's requirement, by the regime's own engine (module docstring); with
    ``exact``, before the engine rounds it to the cent (what a search along a path compares)."""
    result = engine_result(regime, settings)
    return lambda p: figure(regime, result(p), exact)


def figure(regime: str, result: Any, exact: bool = False) -> float:
    """The requirement of ``regime``'s engine ``result``: rounded to the cent, or with ``exact`` before."""
    return float(getattr(result, "exact" if exact else _FIGURE[regime]))


def warnings_of(regime: str, result: Any, after: str = "", skip: Iterable[str] = ()) -> tuple[str, ...]:
    """The warnings of ``regime``'s engine ``result`` (portfolio margin's eligibility and unconfirmed
    offsets, Reg T's pairing notes, the account view's segments', the risk view's; None: an empty
    book, no warning), each naming the regime (:data:`LABELS`) and ``after`` (", after the trades")
    where it is about another book; those of ``skip`` (said of the book before) left out."""
    said = set(skip)
    texts = [w for w in getattr(result, "warnings", ()) if w not in said]
    return tuple(f"{LABELS[regime]}{after}: {text}" for text in texts)


def regime_warnings(regime: str, portfolio: Portfolio, settings: DecisionSettings) -> tuple[str, ...]:
    """The warnings of ``regime``'s engine on ``portfolio`` (:func:`warnings_of`); none for an empty book."""
    return warnings_of(regime, engine_result(regime, settings)(portfolio)) if len(portfolio) else ()


@dataclass(frozen=True)
class Measure:
    """What a margin call is measured against under a regime (:func:`call_measure`)."""

    regime: str  # the engine's regime: regt_maintenance for regt on the maintenance basis
    settings: DecisionSettings  # the futures and account views on that basis
    label: str  # what the figures are, as the tables name them
    basis: str | None  # initial or maintenance; None where the regime has one figure (pm, risk)


def call_measure(regime: str, settings: DecisionSettings) -> Measure:
    """The requirement a margin call is measured against, and cured to, under ``regime``: the
    maintenance requirement wherever the regime has one (Reg T, SPAN, the account view), unless the
    ``basis`` parameter says initial. A call comes from maintenance (FINRA 4210(c): 25% of a long
    position's value; SPAN's maintenance level); a fall below Reg T's initial 50% restricts the
    account, it does not call it, and a maintenance call is met by bringing the equity back to the
    maintenance requirement. Portfolio margin's regulatory figure is its maintenance requirement
    (its initial is a house multiple, not a call level) and the risk view has one figure."""
    check_regime(regime)
    basis = settings.basis or "maintenance"
    if regime in ("regt", "regt_maintenance"):
        measured = "regt" if regime == "regt" and basis == "initial" else "regt_maintenance"
        return Measure(measured, settings, LABELS[measured], basis if regime == "regt" else "maintenance")
    if regime not in ("futures", "account"):
        return Measure(regime, settings, LABELS[regime], None)
    account = settings.account
    if account.basis != basis:
        account = replace(account, basis=basis, span=replace(account.span, basis=basis))
        settings = replace(settings, account=account)
    return Measure(regime, settings, f"{LABELS[regime]} ({basis})", basis)


def with_equity(settings: DecisionSettings, equity: float, regime: str) -> DecisionSettings:
    """``settings`` whose ``equity`` parameter (what the engines check: portfolio margin's FINRA
    4210(g) eligibility, the account view's minimums) is the decision's ``equity`` argument, in the
    currency of ``regime``'s figures (:func:`currency_of`), so that their warnings speak of the equity
    the decision measures. The parameter is in the account currency: a dollar figure is converted
    with ``fx.USD`` (without it, in another account currency, the parameter is left as given). An
    ``equity`` parameter that differs from the argument is refused: two equities for one account,
    one of them silently unused."""
    account = settings.account
    in_account: float | None = equity
    if currency_of(regime, settings) != account.account_currency:
        try:
            in_account = equity * usd_rate(account)
        except XlMarginError:
            in_account = None  # no fx.USD: the engines check the parameter, if given, as before
    given = account.pm.equity
    if given is None:
        if in_account is None:
            return settings
        return replace(settings, account=replace(account, pm=replace(account.pm, equity=in_account)))
    if in_account is None or math.isclose(given, in_account, rel_tol=1e-9, abs_tol=0.005):
        return settings
    money = account.account_currency
    raise InputError(
        Problem(
            f"equity is given twice: {in_account:,.2f} {money} as the equity argument and {given:,.2f} "
            f"{money} as the equity parameter; leave the parameter out (the argument is the equity every "
            "figure and check reads)",
            None,
            "equity",
        )
    )


def requirement(regime: str, portfolio: Portfolio, settings: DecisionSettings) -> float:
    """The regime's requirement of ``portfolio``; an empty book needs nothing."""
    if len(portfolio) == 0:
        return 0.0
    return engine(regime, settings)(portfolio)


# --- books ---------------------------------------------------------------------------------------

# Two rows hold the same contract when these fields agree (the quantity and marks may differ).
CONTRACT_KEY = ("type", "symbol", "underlying", "right", "strike", "expiry", "multiplier", "style")


def contract_keys(portfolio: Portfolio, rows: np.ndarray | None = None) -> list[tuple[Any, ...]]:
    """Each row's :data:`CONTRACT_KEY` as a tuple (of the ``rows`` given, by index, else of every
    row); a field the row does not have (NaN) is None."""
    a = portfolio.arrays
    columns = (_key_column(a[name] if rows is None else a[name][rows]) for name in CONTRACT_KEY)
    return list(zip(*columns, strict=True))


def _key_column(values: np.ndarray) -> list[Any]:
    if values.dtype.kind != "f":
        return values.tolist()
    cells = values.astype(object)
    cells[np.isnan(values)] = None
    return cells.tolist()


def with_quantities(portfolio: Portfolio, quantity: np.ndarray) -> Portfolio:
    """The same rows with new quantities; rows whose quantity is zero are dropped. The text
    columns' codes are kept (:meth:`Portfolio.codes`), so an engine does not find them again."""
    arrays = dict(portfolio.arrays)
    arrays["quantity"] = np.asarray(quantity, dtype=np.float64)
    keep = arrays["quantity"] != 0.0
    codes = {name: _selected(portfolio.codes(name), keep) for name in portfolio.coded()}
    return Portfolio({k: v[keep] for k, v in arrays.items()}, portfolio.as_of, codes=codes)


def _selected(
    coded: tuple[np.ndarray, tuple[Any, ...]], keep: np.ndarray
) -> tuple[np.ndarray, tuple[Any, ...]]:
    codes, values = coded
    return codes[keep], values


def concatenate(first: Portfolio, second: Portfolio) -> Portfolio:
    """The rows of both books, ``first``'s then ``second``'s (row numbers kept); the codes of
    ``first``'s coded text columns are extended by ``second``'s (:func:`joined_codes`), not found
    again over every row. With ``second`` empty, ``first`` itself: trades that all net against
    held rows then leave the book as it was priced (the engines' last-book memos still apply)."""
    if first.as_of != second.as_of:
        raise InputError(Problem(f"the books are valued on {first.as_of} and {second.as_of}", None, "as_of"))
    if len(second) == 0:
        return first
    arrays = {k: np.concatenate([first.arrays[k], second.arrays[k]]) for k in first.arrays}
    codes = {name: joined_codes(first.codes(name), second.codes(name)) for name in first.coded()}
    return Portfolio(arrays, first.as_of, codes=codes)


def joined_codes(
    first: tuple[np.ndarray, tuple[Any, ...]], second: tuple[np.ndarray, tuple[Any, ...]]
) -> tuple[np.ndarray, tuple[Any, ...]]:
    """The codes of a column made of ``first``'s rows then ``second``'s, from each part's (codes,
    distinct values): ``first``'s values keep their codes and ``second``'s values that ``first``
    lacks are added after them, equal values compared as :func:`factorize` compares them."""
    codes, values = first
    more_codes, more_values = second
    index, distinct = factorize([*values, *more_values])  # values are distinct: index[:n] is 0..n-1
    return np.concatenate([codes, index[len(values) :][more_codes]]), tuple(distinct)


def with_trades(portfolio: Portfolio, trades: Portfolio) -> Portfolio:
    """The book after ``trades``: a trade on a contract the book holds (same :data:`CONTRACT_KEY`)
    changes that row's quantity, the first trade of any other contract opens a row and the later
    trades of that contract change it; rows netted to zero are dropped."""
    union, _, after = trade_union(portfolio, trades)
    return with_quantities(union, after)


def held_rows(portfolio: Portfolio, trades: Portfolio) -> np.ndarray:
    """Per trade, the index of the book's row holding its contract (the first, same
    :data:`CONTRACT_KEY`), or -1 where the book does not hold it."""
    # only the book's rows whose symbol and strike (both in the key) are among the trades' can hold
    # a traded contract: the full keys are built for those few rows only
    a, t = portfolio.arrays, trades.arrays
    traded = set(t["symbol"].tolist())
    symbol_codes, symbols = portfolio.codes("symbol")  # found once per book, not once per call
    symbol = np.fromiter(map(traded.__contains__, symbols), bool, len(symbols))[symbol_codes]
    strike = np.isin(a["strike"], t["strike"]) | (np.isnan(a["strike"]) & np.isnan(t["strike"]).any())
    rows = np.flatnonzero(symbol & strike)
    index: dict[tuple[Any, ...], int] = {}
    for i, key in zip(rows.tolist(), contract_keys(portfolio, rows), strict=True):
        index.setdefault(key, i)
    return np.array([index.get(key, -1) for key in contract_keys(trades)], dtype=np.intp)


def opening_trades(trades: Portfolio, held: np.ndarray) -> np.ndarray:
    """Per trade on a contract the book does not hold (``held`` < 0, :func:`held_rows`), the index
    of the first trade of that contract, whose row the later ones net into (the trade itself when it
    is that first); -1 for a trade on a held contract."""
    first = np.full(len(trades), -1, dtype=np.intp)
    new = np.flatnonzero(held < 0)
    opener: dict[tuple[Any, ...], int] = {}
    for j, key in zip(new.tolist(), contract_keys(trades, new), strict=True):
        first[j] = opener.setdefault(key, j)
    return first


_MARK_USED = "the book's price is used, as margin values a held position at its mark, not at a trade's price"
_FIRST_USED = (
    "the book does not hold it, so its trades make one row at the first one's price, as a trade on a "
    "held contract takes the book's price"
)


def price_conflicts(portfolio: Portfolio, trades: Portfolio, table: str = "trades") -> tuple[str, ...]:
    """A warning per trade whose price differs from the price of the row it nets into, naming both
    rows and prices (``table`` names the trades' rows: "trades", "candidates"). A trade on a held
    contract nets into the book's row, which keeps the book's price: margin values a position at its
    mark, not at what it was bought or sold for. Trades of a contract the book does not hold make one
    row, at the first trade's price, as they would once the first is held. Prices agree within the
    tolerance by which the reader holds a book's rows of one contract to one price
    (:data:`~xlmargin.positions.marks.SAME_MARK`): a book's rows never differ, a trade may."""
    held = held_rows(portfolio, trades)
    first = opening_trades(trades, held)
    rows = trades.arrays["row"]
    out = []
    for j in np.argsort(rows, kind="stable").tolist():  # in row order (a hedge's candidates are not)
        if held[j] >= 0:
            into, i, name, used = portfolio, int(held[j]), "positions", _MARK_USED
        elif first[j] != j:
            into, i, name, used = trades, int(first[j]), table, _FIRST_USED
        else:
            continue  # the first trade of a contract the book does not hold: a row of its own
        price, mark = float(trades.arrays["price"][j]), float(into.arrays["price"][i])
        if (
            math.isnan(price)
            or math.isnan(mark)
            or math.isclose(price, mark, rel_tol=SAME_MARK, abs_tol=SAME_MARK_ABS)
        ):
            continue
        out.append(
            f"{table} row {int(rows[j])}: price {price:,.10g} differs from {mark:,.10g} on {name} row "
            f"{int(into.arrays['row'][i])}, the same contract ({trades.arrays['symbol'][j]}); {used}"
        )
    return tuple(out)


_BOOK_UNDERLYING = (
    "the book's underlying price is used: one underlying has one price, as the positions reader holds a "
    "book's options on it to one"
)
_FIRST_UNDERLYING = (
    "the book holds no option on it, so its options take the first one's underlying price: one "
    "underlying has one price"
)


def book_underlyings(
    portfolio: Portfolio, trades: Portfolio, table: str, rate: float
) -> tuple[Portfolio, dict[int, str]]:
    """``trades`` with each option's (type ``option``) ``underlying_price`` the book's for its
    underlying (its first option row on it: the positions reader holds a book's options on one
    underlying to one price, :func:`~xlmargin.positions.marks.mark_problems`), or where the book holds
    no option on it, the first such trade's (in row order), as :func:`price_conflicts` treats a trade's
    price; and per trade (index) that gave another, a warning naming both rows and prices (``table``
    names the trades' rows). Options on futures are left out, as the reader leaves them out: their
    ``underlying`` is the future's root, and two contract months have two prices.

    A trade's premium and its underlying price are one quote: a moved option that gives a premium
    and no volatility first takes the volatility its premium implies at its own underlying price
    (:func:`~xlmargin.pricing.implied_volatility`, as portfolio margin implies a book's, at ``rate``),
    which it keeps at the new price (sticky strike), and the warning says so. Its premium stays (Reg
    T charges the premium the trade gives). One no volatility reproduces at its own quote either is
    moved without one, and the engines that price it refuse its premium at the new price as before."""
    kind, underlying, rows = trades.arrays["type"], trades.arrays["underlying"], trades.arrays["row"]
    options = np.flatnonzero(kind == "option")
    if not len(options):
        return trades, {}
    first: dict[Any, int] = {}
    if len(portfolio):
        wanted = set(underlying[options].tolist())
        type_codes, types = portfolio.codes("type")
        codes, names = portfolio.codes("underlying")
        held = np.array([t == "option" for t in types], dtype=bool)[type_codes]
        held &= np.fromiter(map(wanted.__contains__, names), bool, len(names))[codes]
        for i in np.flatnonzero(held).tolist():
            first.setdefault(portfolio.arrays["underlying"][i], i)
    given = trades.arrays["underlying_price"]
    price = given.copy()
    opened: dict[Any, int] = {}
    notes: dict[int, str] = {}
    for j in options[np.argsort(rows[options], kind="stable")].tolist():
        name = underlying[j]
        if name in first:
            into, i, whose, used = portfolio, first[name], "positions", _BOOK_UNDERLYING
        elif name in opened:
            into, i, whose, used = trades, opened[name], table, _FIRST_UNDERLYING
        else:
            opened[name] = j
            continue
        mark = into.arrays["underlying_price"][i : i + 1]
        if marks_differ(given[j : j + 1], mark)[0]:
            price[j] = mark[0]
            shown = [f"{v:,.10g}" if math.isfinite(v) else "blank" for v in (float(given[j]), float(mark[0]))]
            notes[j] = (
                f"{table} row {int(rows[j])}: underlying_price {shown[0]} differs from {shown[1]} on {whose} "
                f"row {int(into.arrays['row'][i])}, an option on the same underlying ({name}); {used}"
            )
    if not notes:
        return trades, {}
    volatility = _sticky_strike(trades, np.array(sorted(notes)), rate, notes)
    kept = {name: trades.codes(name) for name in trades.coded()}
    arrays = {**trades.arrays, "underlying_price": price, "volatility": volatility}
    return Portfolio(arrays, trades.as_of, trades.warnings, kept), notes


def _sticky_strike(trades: Portfolio, moved: np.ndarray, rate: float, notes: dict[int, str]) -> np.ndarray:
    """The trades' ``volatility`` column with, for each ``moved`` option that gives a premium and no
    volatility, the volatility its premium implies at its own underlying price (NaN where none does,
    or once expired: its value is then intrinsic at any volatility), its warning in ``notes`` saying
    so (:func:`book_underlyings`)."""
    a = trades.arrays
    volatility = a["volatility"].copy()
    need = moved[np.isnan(volatility[moved]) & (a["expiry_years"][moved] > 0.0)]
    if not len(need):
        return volatility
    sigma = rows_implied_volatility(a, need, rate, strict=False)
    for j, vol in zip(need.tolist(), sigma.tolist(), strict=True):
        if math.isnan(vol):
            continue  # its own quote is no price either: the engines' error on its premium stands
        volatility[j] = vol
        notes[j] += (
            f"; its volatility {vol:.4%} is implied from its premium {float(a['price'][j]):,.10g} at its own "
            f"underlying price {float(a['underlying_price'][j]):,.10g} and kept at the new price (sticky "
            "strike), the premium unchanged"
        )
    return volatility


def trade_union(
    portfolio: Portfolio, trades: Portfolio, mark: bool = False
) -> tuple[Portfolio, np.ndarray, np.ndarray]:
    """The book's rows then the trades that open a new row, with the quantities before and after
    the trades (a trade on a held contract changes that row's quantity, a later trade of a contract
    an earlier trade opens changes the opened row's: :func:`opening_trades`). With ``mark`` the opened
    rows keep their trades-table row numbers negated, so an engine's error can say whose row it is
    (:func:`in_table`)."""
    quantity, traded = portfolio.arrays["quantity"].copy(), trades.arrays["quantity"]
    held = held_rows(portfolio, trades)
    first = opening_trades(trades, held)
    new = held < 0
    np.add.at(quantity, held[~new], traded[~new])
    opens = first == np.arange(len(trades))
    opened = trades.select(opens)
    opened_quantity = np.zeros(len(opened))
    np.add.at(opened_quantity, (np.cumsum(opens) - 1)[first[new]], traded[new])
    if mark:
        opened = Portfolio({**opened.arrays, "row": -opened.arrays["row"]}, opened.as_of, opened.warnings)
    before = np.concatenate([portfolio.arrays["quantity"], np.zeros(len(opened))])
    after = np.concatenate([quantity, opened_quantity])
    return concatenate(portfolio, opened), before, after


WHOLE = ("stock", "etf", "option", "future_option", "future", "fx", "cfd")
"""The types traded in whole units (shares, contracts, units of a pair's base currency or of a CFD),
by the hedge's candidates and by the liquidation plan alike (a bond in pieces of its denomination)."""


def notional(portfolio: Portfolio) -> np.ndarray:
    """Per row, the value traded when one unit of quantity is closed, in US dollars (unsigned): the
    price × multiplier (bonds per 100 of face) converted as Reg T and portfolio margin convert it
    (:func:`~xlmargin.instruments.unit_values`), so the rows of a book in several currencies add up;
    the size a liquidation is measured in and a hedge's default cost."""
    return unit_values(portfolio)


def currency_of(regime: str, settings: DecisionSettings) -> str:
    """The currency of ``regime``'s figures: the account view's is the account currency, every other
    engine's (Reg T, portfolio margin, SPAN, the risk view) US dollars, as ``margin`` labels them."""
    return settings.account.account_currency if regime == "account" else ENGINE_CURRENCY


def money_rates(portfolio: Portfolio, regime: str, settings: DecisionSettings) -> np.ndarray:
    """Per row, what one unit of its currency is worth in the currency of ``regime``'s requirement:
    US dollars (the table's ``fx_rate`` read as PM and Reg T read it), or for ``account`` the
    account currency (the rate read as the account view reads it: :func:`account_rates`). A P&L
    in the rows' own currencies times these adds up to one figure an equity can be compared with."""
    if regime != "account":
        rates = usd_rates(portfolio)
        return np.ones(len(portfolio)) if rates is None else rates
    account = settings.account
    book = account_rates(portfolio, account)
    own = book.arrays["currency"] == account.account_currency
    if own.all():  # no rate needed: fx.USD may be missing
        return np.ones(len(portfolio))
    per_usd = usd_rate(account)  # 1 in a dollar account
    rates = usd_rates(book, per_usd)
    return np.where(own, 1.0, per_usd if rates is None else rates * per_usd)
