"""Rate-, currency- and futures-sensitive instruments: the pieces the cross-asset engines share.

Every function is vectorised over numpy arrays (scalars work too) and reads its numbers from the
``[instruments.*]`` tables of ``rules/stress.toml``; nothing here depends on a scenario.

Bonds (``type = bond``; price per 100 of face, quantity = face)
    Priced from a flat yield by discounting every remaining cash flow: a coupon ``coupon/f × 100``
    each period and 100 at maturity, ``f`` coupons a year (Treasuries: semi-annual), the first
    coupon ``w = f·T − (N − 1)`` periods away (street convention: the fractional period is
    discounted at ``(1 + y/f)^-w``). The quoted price is clean; accrued interest is linear,
    ``coupon/f × 100 × (1 − w)``. :func:`bond_price` is exact repricing, not a duration
    approximation, so a 300 bp move keeps its convexity. :func:`bond_yield` inverts it by a
    vectorised Newton solve with a bisection fallback.

    - :func:`bond_price`, :func:`bond_dirty_price`, :func:`accrued_interest`
    - :func:`bond_yield` (NaN where no yield inside the rule file's bracket reproduces the price)
    - :func:`bond_risk`: modified duration and convexity, by summing cash flows

Bond ETFs
    A fund is not repriced holding by holding: its return is the second-order approximation
    ``−D·Δy + ½·C·Δy²`` (:func:`duration_return`) with ``D`` and ``C`` from the bond-ETF table
    (:func:`bond_etf`); a credit fund adds its spread move to ``Δy``.

Curve
    :func:`curve_weights` spreads a maturity over the key-rate nodes (2y, 10y, 30y): linear between
    nodes, flat beyond the ends.

Futures
    :func:`future_spec` maps a futures symbol (``ESZ6``, ``6EH7``, ``ZN``) to its root's row of the
    futures table: the factor the price follows and the contract multiplier.

Currencies
    :func:`fx_pair` reads ``EURUSD``, ``EUR/USD``, ``EUR.USD``. A pair position (``type = fx``,
    quantity in base-currency units, price = quote currency per base unit) holds two legs: **+ the
    notional in the base currency and − the notional in the quote currency, both in USD**. So a long
    EURUSD and a short GBPUSD of the same notional net their dollar legs and leave EUR against GBP.
    :func:`currency_legs` gives the legs of every position; :func:`currency_exposures` sums them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from xlmargin import rules
from xlmargin._typing import FloatArray
from xlmargin.bond_cfds import per_face_rows
from xlmargin.dollars import (
    ENGINE_CURRENCY,
    MONEY_FIELDS,
    dollar_rate_problems,
    in_usd,
    needs_pair_price,
    needs_rate,
    pair_rate_problems,
    usd_rates,
)
from xlmargin.errors import InputError, MissingDataError, Problem, RuleError
from xlmargin.fx_rates import cfd_pairs, not_a_pair
from xlmargin.positions import Portfolio
from xlmargin.symbols import currency_codes, futures_root, pair_codes

PER_FACE = 100.0
"""Bond prices are quoted per 100 of face value."""
BOND_DENOMINATION = 1000.0
"""The least face a bond trades in when its row gives no ``denomination``: the usual minimum piece
of corporate and most government bonds (a bond's quantity is its face)."""

_TIME_TOL = 1e-9  # a maturity within this many periods of a coupon date is on it
_NEWTON_STEPS = 50
_BISECTION_STEPS = 200
_YIELD_TOL = 1e-13  # Newton stops when the yield moves less than this
_PRICE_TOL = 1e-9  # a solved yield must reprice within this (per 100 face)


def _table(name: str) -> Mapping[str, Any]:
    table: Mapping[str, Any] = rules.load("stress").get(f"instruments.{name}")
    return table


def _entries(table: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The rows of a rule table (its inline tables), without ``source``/``confidence``/``notes``."""
    return {k: v for k, v in table.items() if isinstance(v, Mapping)}


# --- bonds -----------------------------------------------------------------------------------------


def coupon_frequency() -> int:
    """Coupons a year for bonds (Treasuries: 2)."""
    return int(_table("bond")["coupon_frequency"])


def _schedule(maturity_years: FloatArray, f: int) -> tuple[FloatArray, FloatArray]:
    """(N coupons remaining, w periods to the next coupon in (0, 1])."""
    periods = np.maximum(maturity_years, 0.0) * f
    n = np.maximum(np.ceil(periods - _TIME_TOL), 1.0)
    return n, np.maximum(periods - (n - 1.0), 0.0)


def _annuity(g: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(Σ_{k<n} v^k, its derivative in v) for ``v = 1/(1 + g)``, accurate as g → 0.

    The sum is ``(1 − v^n)/(1 − v)`` computed with expm1/log1p (no cancellation for small g); the
    derivative, which only steers Newton's method, takes its limit ``n(n − 1)/2`` near g = 0.
    """
    v = 1.0 / (1.0 + g)
    s0, one_minus_v = _annuity_sum(g, n)
    near = np.abs(g) < 1e-6
    d = np.where(near, 1.0, one_minus_v)
    s1 = np.where(near, n * (n - 1.0) / 2.0, ((1.0 - v**n) - n * v ** (n - 1.0) * d) / (d * d))
    return s0, s1


def _annuity_sum(g: FloatArray, n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(Σ_{k<n} v^k, 1 − v) for ``v = 1/(1 + g)`` (see :func:`_annuity`)."""
    zero = g == 0.0
    one_minus_v = np.where(zero, 1.0, g / (1.0 + g))
    return np.where(zero, n, -np.expm1(-n * np.log1p(g)) / one_minus_v), one_minus_v


def _dirty(coupon: FloatArray, y: FloatArray, n: FloatArray, w: FloatArray, f: int) -> FloatArray:
    """Dirty price per 100: :func:`_dirty_and_slope`'s first figure, the same floats, without the
    derivative (four powers of an array fewer: what a stress repricing of many bonds needs)."""
    c = coupon / f * PER_FACE
    v = 1.0 / (1.0 + y / f)
    body = c * _annuity_sum(y / f, n)[0] + PER_FACE * v ** (n - 1.0)
    return v**w * body


def _dirty_and_slope(
    coupon: FloatArray, y: FloatArray, n: FloatArray, w: FloatArray, f: int
) -> tuple[FloatArray, FloatArray]:
    """Dirty price per 100 and its derivative in the yield."""
    c = coupon / f * PER_FACE
    v = 1.0 / (1.0 + y / f)
    s0, s1 = _annuity(y / f, n)
    body = c * s0 + PER_FACE * v ** (n - 1.0)
    dbody = c * s1 + PER_FACE * (n - 1.0) * v ** (n - 2.0)
    vw = v**w
    dirty = vw * body
    d_dv = w * v ** (w - 1.0) * body + vw * dbody
    return dirty, d_dv * (-v * v / f)


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    """The arguments as float arrays broadcast to one shape."""
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values)))


def bond_dirty_price(coupon: ArrayLike, yield_: ArrayLike, maturity_years: ArrayLike) -> FloatArray:
    """Price per 100 face with accrued interest, from a flat yield (decimal, compounded f times a year)."""
    c, y, t = (np.asarray(v, dtype=np.float64) for v in (coupon, yield_, maturity_years))
    f = coupon_frequency()
    n, w = _schedule(t, f)  # once per maturity given, however many yields it is priced at
    return _dirty(c, y, n, w, f)


def accrued_interest(coupon: ArrayLike, maturity_years: ArrayLike) -> FloatArray:
    """Accrued interest per 100 face: the elapsed fraction of the current coupon period × the coupon."""
    c, t = _arrays(coupon, maturity_years)
    f = coupon_frequency()
    _, w = _schedule(t, f)
    return c / f * PER_FACE * (1.0 - w)


def bond_price(coupon: ArrayLike, yield_: ArrayLike, maturity_years: ArrayLike) -> FloatArray:
    """Clean price per 100 face from a flat yield: full cash-flow repricing (see the module docstring)."""
    return bond_dirty_price(coupon, yield_, maturity_years) - accrued_interest(coupon, maturity_years)


def bond_yield(price: ArrayLike, coupon: ArrayLike, maturity_years: ArrayLike) -> FloatArray:
    """The flat yield (decimal) at which :func:`bond_price` equals ``price`` (clean, per 100).

    Vectorised Newton steps from a simple approximation, then bisection inside the rule file's
    yield bracket for any bond Newton did not settle. NaN where no yield in the bracket fits.
    """
    p, c, t = _arrays(price, coupon, maturity_years)
    f = coupon_frequency()
    low, high = float(_table("bond")["yield_low"]), float(_table("bond")["yield_high"])
    n, w = _schedule(t, f)
    target = p + c / f * PER_FACE * (1.0 - w)
    years = np.maximum(t, 1.0 / f)
    y = np.clip((c * PER_FACE + (PER_FACE - p) / years) / ((PER_FACE + p) / 2.0), low, high)
    with np.errstate(all="ignore"):
        for _ in range(_NEWTON_STEPS):
            dirty, slope = _dirty_and_slope(c, y, n, w, f)
            step = (dirty - target) / slope
            y = np.clip(y - step, low, high)
            if np.all(np.abs(step) < _YIELD_TOL):
                break
        settled = np.abs(_dirty_and_slope(c, y, n, w, f)[0] - target) < _PRICE_TOL
    if not np.all(settled):
        y = np.where(settled, y, _bisect(c, target, n, w, f, low, high))
    fits = (_dirty_and_slope(c, np.full_like(y, high), n, w, f)[0] <= target + _PRICE_TOL) & (
        _dirty_and_slope(c, np.full_like(y, low), n, w, f)[0] >= target - _PRICE_TOL
    )
    return np.where(fits & np.isfinite(p), y, np.nan)


def _bisect(
    c: FloatArray, target: FloatArray, n: FloatArray, w: FloatArray, f: int, low: float, high: float
) -> FloatArray:
    """Yields by bisection: the dirty price falls as the yield rises."""
    lo, hi = np.full_like(target, low), np.full_like(target, high)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        above = _dirty_and_slope(c, mid, n, w, f)[0] > target
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def bond_risk(
    coupon: ArrayLike, yield_: ArrayLike, maturity_years: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """(modified duration in years, convexity in years²) of the dirty price, by summing cash flows.

    ``D = Σ t·CF·v^(f·t+1) / P`` and ``C = Σ t·(t + 1/f)·CF·v^(f·t+2) / P`` with ``v = 1/(1 + y/f)``
    and ``t`` in years, so that ``ΔP/P ≈ −D·Δy + ½·C·Δy²``.
    """
    c, y, t = _arrays(coupon, yield_, maturity_years)
    f = coupon_frequency()
    n, w = _schedule(t, f)
    k = np.arange(int(n.max()) if n.size else 0, dtype=np.float64)
    live = k < n[..., None]
    times = (w[..., None] + k) / f
    flows = np.where(live, c[..., None] / f * PER_FACE, 0.0)
    flows = flows + np.where(k == (n[..., None] - 1.0), PER_FACE, 0.0)
    v = (1.0 / (1.0 + y / f))[..., None]
    pv = flows * v ** (f * times)
    price = pv.sum(axis=-1)
    duration = (times * pv * v).sum(axis=-1) / price
    convexity = (times * (times + 1.0 / f) * pv * v * v).sum(axis=-1) / price
    return duration, convexity


# --- bond ETFs and the curve ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BondEtf:
    """A bond fund's rate profile: modified duration, convexity (years², decimal Δy), curve maturity."""

    symbol: str
    duration: float
    convexity: float
    maturity_years: float
    spread_factor: str | None = None
    spread_beta: float = math.nan  # the yield's move per unit of the spread factor's ([L], the table's)


@cache
def bond_etfs() -> Mapping[str, BondEtf]:
    """Every fund of the bond-ETF table, by symbol."""
    return {
        sym: BondEtf(
            sym,
            float(row["duration"]),
            float(row["convexity"]),
            float(row["maturity_years"]),
            row.get("spread_factor"),
            float(row["spread_beta"]) if "spread_factor" in row else math.nan,
        )
        for sym, row in _entries(_table("bond_etfs")).items()
    }


def bond_etf(symbol: str) -> BondEtf | None:
    """The fund's row of the bond-ETF table, or None."""
    return bond_etfs().get(symbol.upper())


def duration_return(duration: ArrayLike, convexity: ArrayLike, dy: ArrayLike) -> FloatArray:
    """Price return ``−D·Δy + ½·C·Δy²`` for a yield move ``Δy`` in decimals (0.01 = 100 bp).

    A second-order Taylor approximation of the price, used for funds and futures, whose holdings
    are not repriced one by one.
    """
    d, c, dy_ = _arrays(duration, convexity, dy)
    return -d * dy_ + 0.5 * c * dy_ * dy_


@cache
def curve_tenors() -> tuple[tuple[str, float], ...]:
    """The key-rate nodes as (factor, maturity in years), shortest first."""
    nodes = _table("curve")["nodes"]
    return tuple(sorted(((str(k), float(v)) for k, v in nodes.items()), key=lambda kv: kv[1]))


def curve_weights(maturity_years: ArrayLike) -> FloatArray:
    """Weights of each maturity on the key-rate nodes (rows sum to 1; order of :func:`curve_tenors`)."""
    t = np.asarray(maturity_years, dtype=np.float64)
    nodes = np.array([m for _, m in curve_tenors()])
    eye = np.eye(len(nodes))
    return np.stack([np.interp(t, nodes, eye[j]) for j in range(len(nodes))], axis=-1)


# --- futures -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FutureSpec:
    """A futures root: what its price follows and how many dollars one point is worth.

    ``factor`` is a risk factor, ``"rates"`` (the price moves like a bond of ``duration``,
    ``convexity`` and curve ``maturity_years``) or ``"currency"`` (a long position in
    ``currency`` against USD, priced in USD per unit).
    """

    root: str
    name: str
    factor: str
    multiplier: float
    currency: str | None = None
    duration: float = math.nan
    convexity: float = 0.0
    maturity_years: float = math.nan


@cache
def futures_specs() -> Mapping[str, FutureSpec]:
    """Every root of the futures table."""
    out = {}
    for root, row in _entries(_table("futures")).items():
        out[root] = FutureSpec(
            root,
            str(row["name"]),
            str(row["factor"]),
            float(row["multiplier"]),
            row.get("currency"),
            float(row.get("duration", math.nan)),
            float(row.get("convexity", 0.0)),
            float(row.get("maturity_years", math.nan)),
        )
    return out


def future_root(symbol: str) -> str | None:
    """The known root of a futures symbol: ``ESZ6`` → ``ES``, ``6EH27`` → ``6E``, ``ZN`` → ``ZN``."""
    return futures_root(symbol, futures_specs())


def future_spec(symbol: str) -> FutureSpec | None:
    """The futures-table row for a symbol or root, or None when the root is unknown."""
    root = future_root(symbol)
    return None if root is None else futures_specs()[root]


# --- currencies ----------------------------------------------------------------------------------


@cache
def _currencies() -> tuple[str, Mapping[str, str], frozenset[str]]:
    table = _table("currencies")
    numeraire = str(table["numeraire"])
    factors = {str(k): str(v) for k, v in table["factors"].items()}
    # the currencies a pair row reads: these, the codes listed without a factor (XAG) and every ISO
    # code of esma.toml [currencies] (USDRUB), as ESMA reads a pair; a leg in one a factor does not
    # move is held constant, and the stress view says so
    known = frozenset({numeraire, *factors, *map(str, table["unmodelled"])}) | currency_codes(declared=True)
    if numeraire in factors:
        raise RuleError("stress.toml: the numeraire currency cannot have a risk factor")
    return numeraire, factors, known


def numeraire() -> str:
    """The currency the house risk view expresses every amount in (``stress.toml``; USD)."""
    return _currencies()[0]


def unit_values(portfolio: Portfolio) -> FloatArray:
    """Per row, the US-dollar value of one unit of quantity, unsigned: price × multiplier (a bond per
    100 of face, times its rate: :func:`in_usd` converts a bond's face, not its price) of the row as
    :func:`in_usd` converts it (its rates USD per unit); a currency pair's
    unit is ``multiplier`` units of its base currency, valued as :func:`currency_legs` values its
    base leg (its price is in the quote currency: USDJPY's unit is one dollar, EURJPY's needs the
    ``fx_rate`` of the yen), an ``fx`` row and a CFD on a pair (:func:`_row_pairs`) alike. Cash,
    which has no price, is 0. The size the decision tools measure a trade or a liquidation in,
    comparable across the rows of a mixed-currency book."""
    usd = in_usd(portfolio)
    a = usd.arrays
    kind, price, multiplier = a["type"], a["price"], a["multiplier"]
    usd_face = usd_rates(portfolio)  # a unit of a bond's own face is this many dollars of face
    with np.errstate(invalid="ignore"):
        per_face = price / PER_FACE * (1.0 if usd_face is None else usd_face)
        each = np.where(kind == "bond", per_face, price * multiplier / face_divisor(portfolio))
    problems: list[Problem] = []
    for i, pair in _row_pairs(portfolio, np.flatnonzero(kind == "fx")).items():
        # a pair row in_usd converted is priced in dollars now (its rate 1); any other keeps its rate
        converted = a["currency"][i] != portfolio.arrays["currency"][i]
        rate = 1.0 if converted else a["fx_rate"][i]
        symbol = str(a["symbol"][i])
        legs = _pair_legs(pair, symbol, multiplier[i], price[i], rate, int(a["row"][i]))
        if isinstance(legs, Problem):
            problems.append(legs)
        else:
            each[i] = legs[1]
    if problems:
        bad = [p for p in problems if p.column == "symbol"]
        raise InputError(bad) if bad else MissingDataError(problems)
    return np.abs(np.nan_to_num(each))


def _row_pairs(portfolio: Portfolio, fx_rows: np.ndarray) -> dict[int, FxPair | None]:
    """The rows valued as a currency pair, in row order, each with its pair: the ``fx`` rows
    (``fx_rows``; None where the symbol reads as no pair, which :func:`_pair_legs` refuses) and the
    CFDs on a pair (:func:`~xlmargin.fx_rates.cfd_pairs`, the test ESMA margins them by)."""
    symbols = portfolio.arrays["symbol"]
    found: dict[int, FxPair | None] = {i: fx_pair(str(symbols[i])) for i in fx_rows.tolist()}
    found |= {i: FxPair(*pair) for i, pair in cfd_pairs(portfolio).items()}
    return dict(sorted(found.items()))


def currency_factors() -> Mapping[str, str]:
    """Each currency a risk factor moves, with that factor (``[instruments.currencies] factors``)."""
    return MappingProxyType(_currencies()[1])


def known_currencies() -> frozenset[str]:
    """Every currency the risk view reads, moving it or holding it constant: the numeraire, those of
    ``[instruments.currencies]`` and every ISO 4217 code of esma.toml ``[currencies] codes``."""
    return _currencies()[2]


def currency_factor(currency: str) -> str | None:
    """The risk factor that moves one unit of ``currency`` in USD (None for USD and those held constant)."""
    return _currencies()[1].get(currency.upper())


@dataclass(frozen=True, slots=True)
class FxPair:
    """A currency pair: ``price`` units of ``quote`` buy one unit of ``base``."""

    base: str
    quote: str


def fx_pair(symbol: str) -> FxPair | None:
    """``EURUSD``, ``EUR/USD``, ``eur.usd`` → FxPair("EUR", "USD"); None unless both are known currencies
    (``[instruments.currencies]``, with every ISO code ESMA reads on an fx row: USDRUB is a pair)."""
    codes = pair_codes(symbol)
    if codes is None:
        return None
    known = _currencies()[2]
    base, quote = codes
    if base not in known or quote not in known or base == quote:
        return None
    return FxPair(base, quote)


@dataclass(frozen=True)
class CurrencyLegs:
    """Each position's currency legs: up to two (currency, USD amount) per position, row order.

    A currency of ``""`` is no leg. ``value_fx`` is the USD value of one unit of the position's own
    currency (1 for USD positions): what converts its local value and P&L into dollars.
    """

    ccy1: np.ndarray
    usd1: FloatArray
    ccy2: np.ndarray
    usd2: FloatArray
    value_fx: FloatArray


def currency_legs(portfolio: Portfolio) -> CurrencyLegs:
    """The currency legs of every position, in USD at today's rates.

    - ``type = fx``: + the notional in the base currency, − the notional in the quote currency
      (notional = quantity × multiplier base units). With a non-USD quote (EURJPY) the
      ``fx_rate`` column gives USD per unit of the quote currency. A CFD on a currency pair (the
      test ESMA margins it by, :func:`~xlmargin.fx_rates.row_pair`: EURUSD with a blank or FX
      class, EURUSD.DEC26 on EURUSD) the same, on that pair.
    - a currency future (6E, 6J…): + its notional in the currency, − the same in USD.
    - any other position priced in a currency other than USD (the ``currency`` column), cash
      included: its value, converted by ``fx_rate``, in that currency. Futures have no value, so
      no leg (``value_fx`` still converts their P&L).

    A USD-priced stock, bond or fund has no currency leg: USD is the numeraire. A dollar ETF (UUP)
    is a factor exposure (``usd``), not a leg. Raises :class:`InputError` for an ``fx`` row whose
    symbol is not a pair, or a row in the numeraire (named, or a blank currency read as it) at a
    rate other than 1 (:func:`~xlmargin.dollars.dollar_rate_problems`, as Reg T and PM refuse it),
    and :class:`MissingDataError` where a needed ``fx_rate`` is blank.
    """
    a = portfolio.arrays
    usd = numeraire()
    n = len(portfolio)
    ccy1 = np.full(n, "", dtype=object)
    ccy2 = np.full(n, "", dtype=object)
    usd1, usd2 = np.zeros(n), np.zeros(n)
    value_fx = np.ones(n)
    bad: list[tuple[int, Problem]] = []  # (position, problem): reported in row order
    contradictions = dollar_rate_problems(portfolio, 1.0, usd)
    if usd == ENGINE_CURRENCY:  # a USD-base pair's price and a row of its quote currency: one rate
        contradictions += pair_rate_problems(portfolio)
    if contradictions:
        index = {row: i for i, row in enumerate(a["row"].tolist())}
        bad += [(index.get(p.row, -1), p) for p in contradictions]
    missing: list[tuple[int, Problem]] = []
    kind, qty, price, mult = a["type"], a["quantity"], a["price"], a["multiplier"]
    currency, fx_rate, rows = a["currency"], a["fx_rate"], a["row"]
    currency_codes, currencies = portfolio.codes("currency")  # each currency compared once, not each cell
    foreign = np.array([c is not None and c != usd for c in currencies], dtype=bool)[currency_codes]
    type_codes, types = portfolio.codes("type")
    pair_or_future = np.array([t in ("fx", "future") for t in types], dtype=bool)[type_codes]
    pairs = _row_pairs(portfolio, np.flatnonzero(pair_or_future & (kind == "fx")))
    pair_or_future[list(pairs)] = True
    # Any other position in a foreign currency (a foreign stock, bond or fund, cash): one leg, its
    # local value in USD, computed for all such rows at once (a European book is thousands of them).
    held = foreign & ~pair_or_future
    unrated = np.flatnonzero(held & np.isnan(fx_rate))
    missing += [(int(i), needs_rate(str(currency[i]), int(rows[i]))) for i in unrated]
    rated = np.flatnonzero(held & ~np.isnan(fx_rate))
    if rated.size:
        value_fx[rated] = fx_rate[rated]
        ccy1[rated] = currency[rated]
        per = face_divisor(portfolio)[rated]
        local = _local_values(kind[rated], qty[rated], price[rated], mult[rated], per)
        usd1[rated] = local * value_fx[rated]
    for i in np.flatnonzero(pair_or_future):
        row = int(rows[i])
        legs: _Legs | Problem | None
        if int(i) in pairs:
            legs = _pair_legs(pairs[int(i)], str(a["symbol"][i]), qty[i] * mult[i], price[i], fx_rate[i], row)
        elif foreign[i] and np.isnan(fx_rate[i]):
            legs = needs_rate(str(currency[i]), row)
        else:  # a future
            value_fx[i] = fx_rate[i] if foreign[i] else 1.0
            legs = _future_legs(a, int(i), value_fx[i])
        if isinstance(legs, Problem):  # a symbol that is no pair is bad input; a blank rate, missing data
            (bad if legs.column == "symbol" else missing).append((int(i), legs))
        elif legs is not None:
            ccy1[i], usd1[i], ccy2[i], usd2[i] = legs
    if bad:
        raise InputError([problem for _, problem in sorted(bad, key=lambda found: found[0])])
    if missing:
        raise MissingDataError([problem for _, problem in sorted(missing, key=lambda found: found[0])])
    return CurrencyLegs(ccy1, usd1, ccy2, usd2, value_fx)


def face_divisor(portfolio: Portfolio) -> FloatArray:
    """Per row, what quantity × price × multiplier is divided by for its value: 100 for a CFD read
    as a bond (:func:`~xlmargin.bond_cfds.per_face`: face, price per 100 of face), else 1."""
    return np.where(per_face_rows(portfolio), PER_FACE, 1.0)


def _local_values(
    kind: np.ndarray, quantity: FloatArray, price: FloatArray, multiplier: FloatArray, per: FloatArray
) -> FloatArray:
    """Positions' values in their own currency (cash is its quantity; a bond is priced per 100 face,
    as a bond CFD is: ``per``, :func:`face_divisor`)."""
    return np.where(
        kind == "cash",
        quantity,
        np.where(kind == "bond", quantity * price / PER_FACE, quantity * price * multiplier / per),
    )


_Legs = tuple[str, float, str, float]  # (currency, USD amount) twice


def _pair_legs(
    pair: FxPair | None, symbol: str, units: float, price: float, fx_rate: float, row: int
) -> _Legs | Problem:
    """A pair row (``symbol``'s ``pair``, None when it reads as none): + its notional in the base
    currency, − the same in the quote currency (USD)."""
    usd = numeraire()
    if pair is None:
        return Problem(not_a_pair(symbol), row, "symbol")  # as the ESMA caps refuse it
    if pair.base != usd and np.isnan(price):
        return needs_pair_price(pair.base, pair.quote, row)
    if pair.quote == usd:
        amount = units * price
    elif pair.base == usd:
        amount = units
    elif np.isnan(fx_rate):
        return Problem(
            f"{pair.base}{pair.quote} needs the USD value of one {pair.quote} in the fx_rate column",
            row,
            "fx_rate",
        )
    else:
        amount = units * price * fx_rate
    return pair.base, amount, pair.quote, -amount


def _future_legs(a: Mapping[str, np.ndarray], i: int, value_fx: float) -> _Legs | None:
    """A currency future: + its notional in the currency, − the same in USD; other futures none."""
    spec = future_spec(str(a["symbol"][i])) or future_spec(str(a["underlying"][i]))
    if spec is None or spec.factor != "currency" or not spec.currency:
        return None
    multiplier = spec.multiplier if a["multiplier"][i] == 1.0 else a["multiplier"][i]
    amount = a["quantity"][i] * multiplier * a["price"][i] * value_fx
    return spec.currency, amount, numeraire(), -amount


def currency_exposures(portfolio: Portfolio) -> dict[str, float]:
    """Net USD amount held in each currency, summed over :func:`currency_legs`.

    Long 100,000 EURUSD at 1.08 and short 80,000 GBPUSD at 1.35 give
    ``{"EUR": 108000, "USD": 0, "GBP": -108000}``: the dollar legs net; EUR against GBP remains.
    Currencies appear in the order first met; a currency whose legs cancel shows 0.
    """
    legs = currency_legs(portfolio)
    out: dict[str, float] = {}
    for ccy1, usd1, ccy2, usd2 in zip(legs.ccy1, legs.usd1, legs.ccy2, legs.usd2):
        for ccy, amount in ((ccy1, usd1), (ccy2, usd2)):
            if ccy:
                out[ccy] = out.get(ccy, 0.0) + float(amount)
    return {ccy: amount + 0.0 for ccy, amount in out.items()}


__all__ = [
    "ENGINE_CURRENCY",
    "MONEY_FIELDS",
    "PER_FACE",
    "BondEtf",
    "CurrencyLegs",
    "FutureSpec",
    "FxPair",
    "accrued_interest",
    "bond_dirty_price",
    "bond_etf",
    "bond_etfs",
    "bond_price",
    "bond_risk",
    "bond_yield",
    "coupon_frequency",
    "currency_exposures",
    "currency_factor",
    "currency_legs",
    "curve_tenors",
    "curve_weights",
    "duration_return",
    "face_divisor",
    "future_root",
    "future_spec",
    "futures_specs",
    "fx_pair",
    "in_usd",
    "known_currencies",
    "numeraire",
    "unit_values",
    "usd_rates",
]
