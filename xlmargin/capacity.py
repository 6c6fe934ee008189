"""Capacity: how much room the equity leaves, and how far the book can be scaled before it runs out.

**Cushion.** ``excess = equity − requirement``; ``cushion share = excess / equity`` (IBKR's "cushion":
the fraction of equity that can be lost before the requirement is reached). With no equity the
ratio has no meaning, so it is defined without dividing: ``0`` when nothing is required and there
is no equity (equity = requirement = 0), ``−1`` when the equity is zero or negative and anything is
required (a deficit at least as large as the equity). For positive equity the share is floored at
``−1`` too, so it never runs to minus infinity as equity shrinks: the ``excess`` carries the amount.

**Maximum notional.** Every quantity is multiplied by one factor ``λ`` and the regime's own engine
gives the requirement ``R(λ)`` of the scaled book. The largest ``λ`` with

    R(λ) ≤ equity × (1 − cushion)

is found by bracketing (doubling or halving ``λ`` from 1; past a million times the book, while the
requirement grows, a step jumps to where the last two requirements reach the target, at least
doubling: a requirement linear in ``λ`` is bracketed at once however far out its crossing lies,
and "no finite maximum" is said only of one that a step leaves unchanged) and then
:func:`boundary` (secant steps, exact on a piece where the requirement is linear in ``λ``, with
bisection where they stall), never
by dividing ``target / R(1)`` in general: requirements are homogeneous of degree one only in their
core; per-contract minimums, short option minimums and choices between rules break it. The search
runs on the engine's requirement before cent rounding (Reg T rounds each strategy group: summed,
fifteen half-up roundings let a rounded search run cents past the limit); only the reported
notional is rounded, down to the cent, since a maximum must never exceed what the equity carries.
Quantities are scaled continuously (fractional contracts): ``λ`` is a scale to round down, not an
order size. The answer is the crossing found from ``λ = 1``; a requirement that is not monotone in
``λ`` could cross again further out. The cushion defaults to 0 (the book may use all the equity); a
house policy such as 10% is the ``cushion`` parameter.

**Reg T scales the book's pairing.** Reg T pairs whole contracts (a covered call is 100 shares and
one call), so re-pairing a fractional book would charge 0.9 of a covered call as 0.9 of a naked
call: a maximum too low and not monotone in the equity. Under ``regt``, ``regt_maintenance`` and the
account view's Reg T securities segment, "the book scaled by λ" is the book's own optimal pairing
with the units of every strategy group × λ (:func:`~xlmargin.regt.paired_at_scale`): each group's
figure is its count × a per-unit figure, so ``R(λ) = λ × R(1)`` exactly and the maximum is
``target / R(1)`` × the notional (to float precision: the search's first secant step), linear in the
equity. At a whole multiple ``k`` this is ``k ×`` the book's requirement, which is the engine's own
figure for ``k ×`` the book unless a larger book pairs better (50 shares and a short call: at 2×,
100 shares cover one call), where the maximum is the smaller, safe side. Nothing else in Reg T
depends on the book's size: FINRA 4210(b)(2)'s $2,000 minimum equity is a check reported beside the
requirement, never added to it, and ``house.bonds``' table and every floor (per share, per
contract, per face) are rates of the position. The other segments of the account view and the other
regimes recompute the scaled book.

Regimes: ``regt`` (Reg T initial), ``regt_maintenance``, ``pm`` (portfolio margin), ``futures``
(SPAN on the ``basis`` parameter), ``esma`` (ESMA initial margin), ``account`` (the account view).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xlmargin.account import (
    ACCOUNT_PARAMS,
    ENGINE_CURRENCY,
    AccountSettings,
    account_margin,
    account_settings,
    given_currency,
    pm_in_usd,
    securities_notional,
)
from xlmargin.errors import InputError, Problem
from xlmargin.esma import DEFAULT_ACCOUNT_CURRENCY, esma_margin
from xlmargin.instruments import in_usd
from xlmargin.money import cents, cents_down
from xlmargin.params import Param
from xlmargin.pm import pm_requirement
from xlmargin.positions import Portfolio
from xlmargin.regt import RegTResult, paired_at_scale, regt_margin
from xlmargin.span import futures_margin

REGIMES = ("regt", "regt_maintenance", "pm", "futures", "esma", "account")
# Above this factor bracketing goes on only while the requirement grows (a step at least doubles
# λ, jumping to where the last two requirements extrapolate to the target); it gives up when a step
# leaves the requirement where it was (it does not grow with the book), or past _LAST_SCALE.
_MAX_SCALE = 1e6
_LAST_SCALE = 1e100
_JUMP = 1e-6  # an extrapolated jump goes this much (relative) past the crossing, to bracket it
_MIN_SCALE = 1e-9  # ... and below this one: not even a sliver of the book fits (λ = 0)
_RELATIVE_TOLERANCE = 1e-15  # the search stops when the bracket is this narrow relative to λ
# Two requirements this close (relative) are equal but for floating-point error: a millionth of a
# cent on a million. A crossing found on a linear piece lands within it of the target.
_NOISE = 1e-12
_STEPS = 200  # at most this many narrowing steps (bisection alone needs about 50 at float precision)

CUSHION = Param(
    "cushion",
    "number",
    0.0,
    "share of equity kept free: the book may use equity × (1 − cushion); default 0",
    minimum=0.0,
    maximum=0.99,
    rate=True,
)
CAPACITY_PARAMS: tuple[Param, ...] = (CUSHION, *ACCOUNT_PARAMS)
"""The cushion, then every parameter of the account view (which holds every engine's)."""


@dataclass(frozen=True)
class CapacitySettings:
    """The engines' settings (the account view's), the cushion kept free, and the account currency
    of the ``esma`` regime: the ``account_currency`` parameter when given, else ESMA_MARGIN's
    default (:data:`~xlmargin.esma.DEFAULT_ACCOUNT_CURRENCY`), where the account view's is USD."""

    account: AccountSettings
    cushion: float = 0.0
    esma_currency: str = DEFAULT_ACCOUNT_CURRENCY


def capacity_settings(params: Mapping[str, Any], today: dt.date) -> CapacitySettings:
    """Settings from ``read_params(range, CAPACITY_PARAMS)`` output; ``as_of`` defaults to ``today``."""
    values = dict(params)
    cushion = values.pop("cushion", None)
    cushion = CUSHION.default if cushion is None else _number(cushion, "cushion")
    if not CUSHION.minimum <= cushion <= CUSHION.maximum:  # type: ignore[operator]
        raise InputError(
            Problem(f"cushion must be between 0 and {CUSHION.maximum:g}, got {cushion:g}", None, "cushion")
        )
    esma_currency = given_currency(values.get("account_currency")) or DEFAULT_ACCOUNT_CURRENCY
    return CapacitySettings(account_settings(values, today), cushion, esma_currency)


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(Problem(f"{value!r} is not a number", None, name))
    if not math.isfinite(value):
        raise InputError(Problem(f"{value} is not a finite number", None, name))
    return float(value)


def margin_cushion(equity: float, requirement: float) -> tuple[float, float]:
    """``(excess, cushion share)`` with ``excess = equity − requirement`` and the share as defined in
    the module docstring (``excess / equity`` floored at −1; 0 or −1 without equity; never NaN)."""
    equity = _number(equity, "equity")
    requirement = _number(requirement, "requirement")
    if requirement < 0:
        raise InputError(
            Problem(f"a requirement cannot be negative, got {requirement:g}", None, "requirement")
        )
    excess = equity - requirement
    if equity <= 0:
        return excess, 0.0 if equity == 0 and requirement == 0 else -1.0
    return excess, max(excess / equity, -1.0)


@dataclass(frozen=True)
class MaxNotionalResult:
    """The largest scale ``λ`` of the book whose requirement fits in ``target = equity × (1 − cushion)``.

    ``gross_notional = λ × base_gross_notional``; ``requirement`` is the engine's figure at ``λ``;
    ``currency`` is the currency of the notional and requirement.
    """

    regime: str
    scale: float
    gross_notional: float
    requirement: float
    target: float
    equity: float
    cushion: float
    base_requirement: float
    base_gross_notional: float
    currency: str
    evaluations: int

    def table(self) -> list[list[Any]]:
        """Two columns, measure and value, header first."""
        return [
            ["measure", "value"],
            ["regime", self.regime],
            ["scale (× every quantity)", round(self.scale, 9)],
            [f"gross notional ({self.currency})", cents(self.gross_notional)],
            [f"requirement at that scale ({self.currency})", cents(self.requirement)],
            [f"target: equity × (1 − cushion) ({self.currency})", cents(self.target)],
            ["cushion", self.cushion],
            [f"requirement now ({self.currency})", cents(self.base_requirement)],
            [f"gross notional now ({self.currency})", cents(self.base_gross_notional)],
            ["engine evaluations", float(self.evaluations)],
        ]


Engine = Callable[[float], tuple[float, float]]
"""scale → (the requirement before rounding, the engine's requirement) of the book at that scale."""


def _engine(regime: str, settings: CapacitySettings, portfolio: Portfolio) -> tuple[Engine, float, str]:
    """(the requirement at a scale of ``portfolio``, its gross notional, currency). Under Reg T (and
    the account view's Reg T securities) the book's pairing is made once and its units scaled
    (:func:`~xlmargin.regt.paired_at_scale`, module docstring); every other engine recomputes the
    scaled book."""
    account = settings.account
    if regime in ("regt", "regt_maintenance"):
        basis = "initial" if regime == "regt" else "maintenance"
        paired = regt_margin(portfolio, basis=basis, rules=account.regt_rules)

        def regt(scale: float) -> tuple[float, float]:
            result = paired_at_scale(paired, scale)
            return result.exact, result.total

        return regt, securities_notional(in_usd(portfolio)), ENGINE_CURRENCY  # in the engine's dollars
    if regime == "account":
        base = account_margin(portfolio, account)
        pairing = next((line.detail for line in base.lines if isinstance(line.detail, RegTResult)), None)

        def whole(scale: float) -> tuple[float, float]:
            if scale == 1.0:
                return base.exact, base.total
            securities = None if pairing is None else paired_at_scale(pairing, scale)
            result = account_margin(scaled(portfolio, scale), account, securities=securities)
            return result.exact, result.total

        return whole, base.gross_notional, account.account_currency
    if regime == "pm":
        pm_usd = pm_in_usd(account)  # the equity in dollars, as the account view gives it
        pm, _ = _recomputed(portfolio, lambda p: pm_requirement(p, pm_usd), "requirement")
        return pm, securities_notional(in_usd(portfolio)), ENGINE_CURRENCY
    if regime == "futures":
        futures, base = _recomputed(portfolio, lambda p: futures_margin(p, account.span), "requirement")
        return futures, base.gross_notional, account.span.currency
    # ESMA_MARGIN's engine and settings: its rates read as fx_rates says, in this currency
    esma, base = _recomputed(
        portfolio, lambda p: esma_margin(p, settings.esma_currency, account.esma), "total"
    )
    return esma, base.gross_notional, settings.esma_currency


def _recomputed(portfolio: Portfolio, compute: Callable[[Portfolio], Any], total: str) -> tuple[Engine, Any]:
    """(the engine recomputing the scaled book, its result on the book): ``compute``'s result has
    ``exact`` and the requirement as the attribute ``total`` names."""
    base = compute(portfolio)

    def at(scale: float) -> tuple[float, float]:
        result = base if scale == 1.0 else compute(scaled(portfolio, scale))
        return result.exact, getattr(result, total)

    return at, base


def scaled(portfolio: Portfolio, factor: float) -> Portfolio:
    """The same book with every quantity multiplied by ``factor``."""
    arrays = dict(portfolio.arrays)
    arrays["quantity"] = arrays["quantity"] * factor
    return Portfolio(arrays, portfolio.as_of)


def max_notional(
    portfolio: Portfolio, equity: float, regime: str, settings: CapacitySettings
) -> MaxNotionalResult:
    """The largest scale of the book that the equity carries under ``regime`` (module docstring)."""
    equity = _number(equity, "equity")
    if regime not in REGIMES:
        raise InputError(
            Problem(f"regime must be one of {', '.join(REGIMES)}, got '{regime}'", None, "regime")
        )
    engine, base_notional, currency = _engine(regime, settings, portfolio)
    target = equity * (1.0 - settings.cushion)
    evaluations = 0

    def excess(scale: float) -> float:
        """The requirement at ``scale`` before rounding, less the target."""
        nonlocal evaluations
        evaluations += 1
        return engine(scale)[0] - target

    base_exact, base_requirement = engine(1.0)
    evaluations += 1
    noise = _NOISE * max(abs(target), 1.0)
    lo = 0.0
    if target <= 0:
        pass
    elif base_exact <= target:
        lo, f_lo, hi = 1.0, base_exact - target, 2.0
        while (f_hi := excess(hi)) <= 0:
            if hi >= _MAX_SCALE and (f_hi <= f_lo + noise or hi >= _LAST_SCALE):
                raise InputError(
                    Problem(
                        f"the {regime} requirement does not grow with the book (at most "
                        f"{engine(hi)[1]:,.2f} at {hi:g} × every quantity): no "
                        "finite maximum",
                        None,
                        "positions",
                    )
                )
            farther = hi * 2.0
            if hi >= _MAX_SCALE:  # growing: to where the last two requirements reach the target
                farther = max(farther, (hi + (hi - lo) * -f_hi / (f_hi - f_lo)) * (1.0 + _JUMP))
            lo, f_lo, hi = hi, f_hi, farther
        lo = boundary(excess, lo, hi, f_lo, f_hi, noise).ok
    else:
        hi, f_hi, lo = 1.0, base_exact - target, 0.5
        while (f_lo := excess(lo)) > 0:
            hi, f_hi, lo = lo, f_lo, lo / 2.0
            if lo < _MIN_SCALE:
                lo = 0.0
                break
        if lo > 0:
            lo = boundary(excess, lo, hi, f_lo, f_hi, noise).ok
    at_scale = engine(lo)[1] if lo > 0 else 0.0
    return MaxNotionalResult(
        regime=regime,
        scale=lo,
        gross_notional=cents_down(lo * base_notional),  # a maximum: never a cent above it
        requirement=at_scale,
        target=target,
        equity=equity,
        cushion=settings.cushion,
        base_requirement=base_requirement,
        base_gross_notional=base_notional,
        currency=currency,
        evaluations=evaluations,
    )


@dataclass(frozen=True)
class Boundary:
    """Where a search ended: ``f(ok) ≤ 0 < f(bad)``; ``converged`` when ``f(ok)`` is within the
    noise of zero (``ok`` is the crossing), otherwise the bracket is as narrow as asked."""

    ok: float
    bad: float
    f_ok: float
    f_bad: float
    converged: bool


def boundary(
    f: Callable[[float], float],
    ok: float,
    bad: float,
    f_ok: float,
    f_bad: float,
    noise: float,
    width: float | None = None,
) -> Boundary:
    """Narrow the bracket between ``ok`` (``f ≤ 0``) and ``bad`` (``f > 0``), either way round, to
    the last ``ok``: secant steps, exact where ``f`` is linear between the ends, with a bisection
    step whenever a step fails to halve the bracket (kinks, jumps). Ends when ``f(ok)`` is within
    ``noise`` below zero (the crossing, but for floating-point error) or the bracket is ``width``
    wide (default: float precision relative to the ends)."""
    narrow = _RELATIVE_TOLERANCE * max(abs(ok), abs(bad)) if width is None else width
    secant = True
    for _ in range(_STEPS):
        span = abs(bad - ok)
        if f_ok >= -noise or span <= narrow:
            break
        x = ok + (bad - ok) * (-f_ok / (f_bad - f_ok)) if secant else 0.5 * (ok + bad)
        if not min(ok, bad) < x < max(ok, bad):
            x = 0.5 * (ok + bad)
            if not min(ok, bad) < x < max(ok, bad):
                break  # adjacent floats
        fx = f(x)
        if fx <= 0:
            ok, f_ok = x, fx
        else:
            bad, f_bad = x, fx
        secant = abs(bad - ok) <= 0.5 * span
    return Boundary(ok, bad, f_ok, f_bad, f_ok >= -noise)


__all__ = [
    "CAPACITY_PARAMS",
    "REGIMES",
    "Boundary",
    "CapacitySettings",
    "MaxNotionalResult",
    "boundary",
    "capacity_settings",
    "margin_cushion",
    "max_notional",
    "scaled",
]
