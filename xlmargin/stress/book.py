"""The book: every position mapped once to its factor exposures, options and bonds kept apart."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlmargin import instruments
from xlmargin._typing import BoolArray, FloatArray, IntArray
from xlmargin.errors import InputError, MissingDataError, Problem
from xlmargin.fx_rates import cfd_pairs
from xlmargin.positions import OPTION_TYPES, Portfolio
from xlmargin.positions.model import DAYS_PER_YEAR
from xlmargin.positions.reader import factorize
from xlmargin.pricing import rows_implied_volatility
from xlmargin.stress.classify import DURATION, LINEAR, NONE, Model, classify
from xlmargin.stress.factors import factor_index, factors, stress_rules
from xlmargin.stress.order import unique_first
from xlmargin.stress.settings import StressSettings

_WARN_ROWS = 10  # rows named in one warning before "..."


@dataclass(frozen=True)
class Options:
    """Options, each with its underlying's loadings: revalued through the pricing kernel."""

    units: FloatArray  # USD per unit of option price: contracts × multiplier × fx
    S: FloatArray
    K: FloatArray
    T: FloatArray
    q: FloatArray
    sigma: FloatArray
    call: BoolArray
    american: BoolArray
    on_future: BoolArray
    beta: FloatArray  # (m × F) the underlying's loadings on price factors
    weights: FloatArray  # (m × F) the underlying's yield-move weights (duration underlyings)
    duration: FloatArray
    convexity: FloatArray
    vol_term: FloatArray  # Δσ per unit (decimal) VIX move; 0 where no vol shift applies


@dataclass(frozen=True)
class Bonds:
    face_usd: FloatArray  # quantity / 100 × fx: USD per point of price
    coupon: FloatArray
    yield_: FloatArray
    maturity: FloatArray
    dirty: FloatArray


@dataclass(frozen=True)
class Book:
    """The portfolio as factor exposures; every array in row order of the (filtered) portfolio."""

    rows: IntArray
    symbols: np.ndarray
    sleeves: np.ndarray
    groups: np.ndarray
    gross: FloatArray
    value: FloatArray  # USD value (notional for futures) whose return the loadings give
    linear_idx: IntArray  # rows with a value and loadings: stocks, funds, futures
    beta: FloatArray  # (n × F)
    weights: FloatArray  # (n × F) yield-move weights of duration instruments
    duration: FloatArray
    convexity: FloatArray
    bond_idx: IntArray
    bonds: Bonds
    option_idx: IntArray
    options: Options
    own_idx: IntArray  # rows whose asset P&L is in a foreign currency with a factor
    own_factor: IntArray
    legs: FloatArray  # (n × F) USD currency-leg amounts
    warnings: tuple[str, ...]
    notes: tuple[Note, ...]  # the warnings by the rows they name: a part of the book's from them

    def warnings_by(self, bounds: Sequence[int]) -> list[tuple[str, ...]]:
        """The warnings of each of many accounts held in the book, account ``k`` its positions
        ``bounds[k]`` to ``bounds[k + 1] - 1`` (a batch's part), as :func:`build_book` gives them for
        those rows alone: each note naming only the account's rows, in the order found, the notes in
        the order they would be found (their first row's ``key``).

        One stable sort of each note's positions by account groups them (the order found kept within
        each account), so the work follows the notes' rows, not accounts × rows."""
        edges = np.asarray(bounds, np.int64)
        found: list[list[tuple[int, str]]] = [[] for _ in range(max(len(edges) - 1, 0))]
        if not found:
            return []
        for note in self.notes:
            account = np.searchsorted(edges, note.at, side="right") - 1
            inside = np.flatnonzero((note.at >= edges[0]) & (note.at < edges[-1]))
            order = inside[np.argsort(account[inside], kind="stable")]
            owner = account[order]
            starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(order) else order
            rows = self.rows[note.at[order]]
            for start, end in itertools.pairwise([*starts.tolist(), len(order)]):
                text = note.text(rows[start:end].tolist())
                found[int(owner[start])].append((int(note.key[order[start]]), text))
        return [tuple(text for _, text in sorted(pairs)) for pairs in found]


@dataclass(frozen=True)
class Note:
    """A warning naming rows: ``before`` their row numbers ``after``; ``at``, their positions in the
    book, in the order found, and ``key`` each one's place in the order warnings are found."""

    before: str
    after: str
    at: IntArray
    key: IntArray

    def text(self, rows: Sequence[int]) -> str:
        return f"{self.before}{_rows_text(rows)}{self.after}"


def _note(before: str, after: str, found: Sequence[tuple[int, int]]) -> Note:
    """A note of the (key, position) pairs ``found``, in the order found."""
    return Note(
        before, after, np.array([i for _, i in found], np.int64), np.array([k for k, _ in found], np.int64)
    )


def _rows_text(rows: Sequence[int]) -> str:
    head = ", ".join(str(r) for r in rows[:_WARN_ROWS])
    return head + (f" and {len(rows) - _WARN_ROWS} more" if len(rows) > _WARN_ROWS else "")


@dataclass(frozen=True)
class _Rows:
    """Which rows hold which type, right and style: compared once per distinct value of each column
    (``Portfolio.codes``), not once per row."""

    option: BoolArray
    future_option: BoolArray
    future: BoolArray
    bond: BoolArray
    fx: BoolArray  # currency pairs: fx rows and CFDs on a pair (fx_rates.row_pair), moved by their legs
    cfd_pair: BoolArray
    valued: BoolArray  # stocks, ETFs, CFDs and futures: a value whose return the loadings give
    call: BoolArray
    american: BoolArray

    @classmethod
    def of(cls, portfolio: Portfolio) -> _Rows:
        def holding(column: str, *values: str) -> BoolArray:
            codes, distinct = portfolio.codes(column)
            return np.array([v in values for v in distinct], dtype=np.bool_)[codes]

        cfd_pair = np.zeros(len(portfolio), dtype=np.bool_)
        cfd_pair[list(cfd_pairs(portfolio))] = True  # the pair test ESMA margins them by
        return cls(
            option=holding("type", *OPTION_TYPES),
            future_option=holding("type", "future_option"),
            future=holding("type", "future"),
            bond=holding("type", "bond"),
            fx=holding("type", "fx") | cfd_pair,
            cfd_pair=cfd_pair,
            valued=holding("type", "stock", "etf", "cfd", "future") & ~cfd_pair,
            call=holding("right", "C"),
            american=holding("style", "american"),
        )


def _models(portfolio: Portfolio, rows: _Rows) -> tuple[list[Model], IntArray]:
    """The distinct models of the book's instruments and every row's index into them; bad ``factor``
    cells refused.

    An instrument is its (type, symbol, underlying, class, factor), an option's symbol being its
    underlying, whether it is a CFD on a currency pair (classified as an fx row) and whether its
    class is blank (an ETF no table knows is then warned of). Rows are
    grouped on the columns' integer codes, not on tuples of their cells, so ``classify`` runs once
    per distinct instrument and no row's cells are hashed together.
    """
    a = portfolio.arrays
    n = len(portfolio)
    option = rows.option
    type_codes, types = portfolio.codes("type")
    class_codes, classes = portfolio.codes("asset_class")
    underlying, underlyings = portfolio.codes("underlying")
    own_symbol = _codes_at(a["symbol"], np.flatnonzero(~option))  # an option's symbol is not read
    named = np.where(option, underlying, own_symbol + len(underlyings))
    given = a["factor"] != None  # noqa: E711 (numpy compares every cell with None)
    factor_override = _codes_at(a["factor"], np.flatnonzero(given))
    blank = ~a["class_given"]
    parts = ((type_codes, len(types)), (named, len(underlyings) + n), (underlying, len(underlyings)),
             (class_codes, len(classes)), (factor_override + 1, n + 1),
             (rows.cfd_pair.astype(np.int64), 2), (blank.astype(np.int64), 2))  # fmt: skip
    key = np.zeros(n, dtype=np.int64)
    size = 1
    for codes, distinct in parts:
        count = max(distinct, 1)  # an empty book's columns have no values
        if size > _MAX_KEY // count:  # renumber the keys found so far before they could overflow
            key = unique_first(key)[1]
            size = n
        key, size = key * count + codes, size * count
    first, instrument = unique_first(key)
    kind = np.where(option[first], np.where(rows.future_option[first], "future", "stock"), a["type"][first])
    kind = np.where(rows.cfd_pair[first], "fx", kind)
    found = [
        classify(*k)
        for k in zip(
            kind.tolist(),
            np.where(option[first], a["underlying"][first], a["symbol"][first]).tolist(),
            a["underlying"][first].tolist(),
            a["asset_class"][first].tolist(),
            a["factor"][first].tolist(),
            blank[first].tolist(),
        )
    ]
    # instruments of one class (every stock, say) share one cached Model: keep each object once
    models = list({id(m): m for m in found}.values())
    position = {id(m): i for i, m in enumerate(models)}
    codes = np.array([position[id(m)] for m in found], dtype=np.int64)[instrument]
    bad = np.array([bool(m.problem) for m in models], dtype=np.bool_)[codes]
    problems = [
        Problem(models[codes[i]].problem, int(a["row"][i]), models[codes[i]].column)
        for i in np.flatnonzero(bad)
    ]
    if problems:
        raise InputError(problems)
    return models, codes


_MAX_KEY = 2**62  # the combined instrument key stays below it (int64)


def _codes_at(values: np.ndarray, at: IntArray) -> IntArray:
    """Integer codes of ``values`` at the rows ``at`` (equal cells, equal codes) and -1 elsewhere:
    only those cells are hashed (an option's symbol, a blank ``factor`` cell need none)."""
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[at] = factorize(values[at].tolist())[0]
    return codes


def _require(
    a: Mapping[str, np.ndarray], model_kind: IntArray, duration: FloatArray, bond: BoolArray
) -> None:
    """Refuse rate-sensitive rows without a duration and bonds without a coupon, naming every row."""
    missing = [
        Problem(
            "a rate-sensitive position needs a modified duration (the duration column); "
            f"{a['symbol'][i]} is not in the bond-ETF or futures table",
            int(a["row"][i]),
            "duration",
        )
        for i in np.flatnonzero((model_kind == DURATION) & np.isnan(duration))
    ]
    missing += [
        Problem("a bond needs a coupon (0 for a zero-coupon bond)", int(a["row"][i]), "coupon")
        for i in np.flatnonzero(bond & np.isnan(a["coupon"]))
    ]
    if missing:
        raise MissingDataError(missing)


@dataclass(frozen=True)
class _Currency:
    legs: FloatArray  # (n × F) USD currency-leg amounts
    own_idx: IntArray
    own_factor: IntArray
    notes: tuple[Note, ...]


def _currency(
    a: Mapping[str, np.ndarray],
    legs: instruments.CurrencyLegs,
    rows: _Rows,
    currency_codes: tuple[IntArray, Sequence[Any]],
) -> _Currency:
    """Currency legs (pairs and foreign positions); currency futures are linear on their currency.
    ``currency_codes``: the currency column's codes (``Portfolio.codes``)."""
    kind = a["type"]
    leg_matrix = np.zeros((len(kind), len(factors())))
    unstressed: dict[str, list[tuple[int, int]]] = {}  # currency: (key, position) of its legs
    usd = instruments.numeraire()
    for leg, (ccys, amounts) in enumerate(((legs.ccy1, legs.usd1), (legs.ccy2, legs.usd2))):
        at = np.flatnonzero((ccys != "") & ~rows.future)  # a leg's currency: not ""
        codes, names = factorize(ccys[at].tolist())  # each currency looked up once
        factor_of = [instruments.currency_factor(str(c)) for c in names]
        column = np.array([-1 if f is None else factor_index()[f] for f in factor_of], dtype=np.int64)[codes]
        moved = column >= 0
        np.add.at(leg_matrix, (at[moved], column[moved]), amounts[at[moved]])
        for i in at[~moved & np.array([c != usd for c in names], dtype=bool)[codes]]:
            unstressed.setdefault(str(ccys[i]), []).append((leg * len(kind) + int(i), int(i)))
    # each distinct currency looked up once, spread to its rows by code (no cell compared)
    codes, currencies = currency_codes
    own = [instruments.currency_factor(str(c)) if c not in (None, usd) else None for c in currencies]
    own_factor = np.array([-1 if f is None else factor_index()[f] for f in own], dtype=np.int64)[codes]
    own_idx = np.flatnonzero((own_factor >= 0) & ~rows.fx)
    return _Currency(
        leg_matrix,
        own_idx,
        own_factor[own_idx],
        tuple(
            _note(f"{ccy} has no risk factor: its currency legs are held constant (rows ", ")", found)
            for ccy, found in unstressed.items()
        ),
    )


def _unstressed(models: list[Model], codes: IntArray, groups: np.ndarray) -> tuple[Note, ...]:
    """Put rows no factor moves in the group ``unstressed``; one warning per reason (after the
    currencies' in the order found)."""
    by_note: dict[str, list[tuple[int, int]]] = {}
    for i in np.flatnonzero(np.array([m.kind for m in models], dtype=np.int64)[codes] == NONE):
        by_note.setdefault(models[codes[i]].note, []).append((4 * len(codes) + int(i), int(i)))
        groups[i] = "unstressed"
    return tuple(_note(f"held constant, {note}: rows ", "", found) for note, found in by_note.items())


def _zero_duration(read_blank: BoolArray) -> tuple[Note, ...]:
    """The warning naming the rows whose duration of 0 was read as blank (the table's used instead),
    after the currencies' notes and before the class defaults' (the keys :meth:`Book.warnings_by`
    orders a batch account's notes by: currencies below 2n, then 2n, 3n, 4n and 5n + the row)."""
    found = [(2 * len(read_blank) + int(i), int(i)) for i in np.flatnonzero(read_blank)]
    text = (
        "a duration of 0 where stress.toml's tables give one (a bond ETF, a rate future, an option on "
        "them) is read as blank, as Office.js hands a blank cell over, and the table's duration is used; "
        "give the position's own duration to override it: rows "
    )
    return (_note(text, "", found),) if found else ()


def _defaulted(default: np.ndarray, took: BoolArray) -> tuple[Note, ...]:
    """One warning per class default profile, naming the rows that ``took`` it (no duration column),
    after the currencies' and before the rows held constant, in the order found."""
    return _by_text(default, took, 3)


def _assumed(assumed: np.ndarray, took: BoolArray) -> tuple[Note, ...]:
    """One warning per factor assumed for an instrument no table knows (an FX class's dollar index,
    a blank-class ETF's equity factor), naming the rows that ``took`` it (no beta column), after
    every other note, in the order found."""
    return _by_text(assumed, took, 5)


def _by_text(texts: np.ndarray, took: BoolArray, rank: int) -> tuple[Note, ...]:
    """One note per distinct text among the rows ``took`` names, each keyed ``rank`` × n + its row's
    position (the order :meth:`Book.warnings_by` sorts a batch account's notes in)."""
    by_text: dict[str, list[tuple[int, int]]] = {}
    for i in np.flatnonzero(took):
        by_text.setdefault(str(texts[i]), []).append((rank * len(took) + int(i), int(i)))
    return tuple(_note(f"{text}: rows ", "", found) for text, found in by_text.items())


def _no_yield(low: float, high: float, price: float, coupon: float, row: int) -> Problem:
    """A bond whose price no yield of stress.toml's search range gives: blamed on the coupon where it
    is itself beyond that range (500, read as 500%), else on the price."""
    found = f"no yield between {low:.0%} and {high:.0%} gives the price {price:g}"
    if coupon > high:
        return Problem(
            f"{found} at a coupon of {coupon * 100:.4g}%: check the coupon (4.25 or 4.25% for 4.25%)",
            row,
            "coupon",
        )
    return Problem(found, row, "price")


def build_book(portfolio: Portfolio, settings: StressSettings) -> Book:
    """Map every position to its factor exposures; raise one error naming every bad row."""
    a = portfolio.arrays
    n = len(portfolio)
    rows = _Rows.of(portfolio)
    is_option = rows.option
    models, codes = _models(portfolio, rows)

    def column(attr: str, dtype: Any = np.float64) -> np.ndarray:
        return np.array([getattr(m, attr) for m in models], dtype=dtype)[codes]

    model_kind = column("kind", np.int64)
    factor = column("factor", np.int64)
    rate_factor = column("rate_factor", np.int64)
    spread = column("spread", np.int64)
    spread_beta = column("spread_beta")
    groups = column("group", object)
    beta = np.where(np.isnan(a["beta"]), column("beta") * a["leverage"], a["beta"])
    # a credit fund outside the bond-ETF table borrows its class's default fund only without a duration
    default = column("default", object)
    borrowed = np.array([m.default != "" for m in models], dtype=np.bool_)[codes]  # once per model
    # a duration given wins over the table's; a 0 beside the table's reads as blank (Office.js hands a
    # blank cell over as 0, and a fund the table knows is not a floating-rate fund): the table's, noted
    table_duration = column("duration")
    zero_read_blank = (a["duration"] == 0.0) & ~np.isnan(table_duration) & ~borrowed
    given = np.where(zero_read_blank, np.nan, a["duration"])
    own = borrowed & ~np.isnan(given)
    duration = np.where(np.isnan(given), table_duration, given)
    table_maturity = np.where(own, np.nan, column("maturity"))
    maturity = np.where(np.isnan(a["maturity_years"]), table_maturity, a["maturity_years"])
    maturity = np.where(np.isnan(maturity), duration, maturity)  # placed on the curve at its duration
    convexity = np.where(own, 0.0, column("convexity"))  # the table's; 0 for an instrument outside them
    bond_rows = rows.bond & (model_kind != NONE)  # a bond held constant needs no coupon, no yield
    table_mult = column("multiplier")
    multiplier = np.where((a["multiplier"] == 1.0) & ~np.isnan(table_mult), table_mult, a["multiplier"])
    _require(a, model_kind, duration, bond_rows)

    # a factor assumed for an instrument no table knows is said where the row gives no beta
    assumed = np.array([m.assumed != "" for m in models], dtype=np.bool_)[codes]  # once per model

    legs = instruments.currency_legs(portfolio)
    fx = legs.value_fx
    qty, price = a["quantity"], a["price"]

    # a CFD read as a bond (face, price per 100 of face) divides by 100, as ESMA's notional does
    value = np.where(rows.valued, qty * price * multiplier / instruments.face_divisor(portfolio) * fx, 0.0)
    gross = np.abs(value)

    # options: the underlying's loadings move the spot; the option is repriced
    profile = _Profile(model_kind, factor, beta, maturity, rate_factor, spread, spread_beta)
    opt = np.flatnonzero(is_option)
    options = _build_options(
        a, rows, opt, settings, profile.exposures(opt, len(opt), np.arange(len(opt))),
        duration, convexity, multiplier, fx, factor, model_kind,
    )  # fmt: skip
    gross[opt] = np.abs(options.units * options.S)
    other = np.flatnonzero(~is_option)
    loads, weights = profile.exposures(other, n, other)  # options' rows stay 0: their loadings move S
    dur = model_kind == DURATION
    duration = np.where(dur & ~is_option, duration, 0.0)
    convexity = np.where(dur & ~is_option, convexity, 0.0)
    valued = np.flatnonzero(value != 0.0)
    linear_idx = valued[np.any(loads[valued] != 0.0, axis=1) | np.any(weights[valued] != 0.0, axis=1)]

    # bonds: full repricing from the yield
    bond = np.flatnonzero(bond_rows)
    bonds = _build_bonds(a, bond, fx)
    if bond.size:  # the curve weights of no bond still cost a few numpy calls
        weights[np.ix_(bond, _tenors())] = instruments.curve_weights(a["maturity_years"][bond])
        credit = spread[bond] >= 0
        weights[bond[credit], spread[bond[credit]]] += spread_beta[bond[credit]]  # a credit bond's Δy
    held = np.flatnonzero(rows.bond & ~bond_rows)
    gross[bond] = np.abs(bonds.face_usd * price[bond])
    gross[held] = np.abs(qty[held] / instruments.PER_FACE * fx[held] * price[held])

    fx_rows = rows.fx
    gross[fx_rows] = np.abs(legs.usd1[fx_rows])
    ccy = _currency(a, legs, rows, portfolio.codes("currency"))
    notes = (
        ccy.notes
        + _zero_duration(zero_read_blank)
        + _defaulted(default, borrowed & ~own)
        + _unstressed(models, codes, groups)
        + _assumed(column("assumed", object), assumed & np.isnan(a["beta"]))
    )
    warnings = tuple(note.text(a["row"][note.at].tolist()) for note in notes)
    return Book(
        rows=a["row"], symbols=a["symbol"], sleeves=a["sleeve"], groups=groups, gross=gross, value=value,
        linear_idx=linear_idx,
        beta=loads, weights=weights, duration=duration, convexity=convexity,
        bond_idx=bond, bonds=bonds, option_idx=opt, options=options,
        own_idx=ccy.own_idx, own_factor=ccy.own_factor, legs=ccy.legs, warnings=warnings,
        notes=notes,
    )  # fmt: skip


@dataclass(frozen=True)
class _Profile:
    """Every row's model fields: its instrument's (``classify``), or the row's own beta and maturity."""

    kind: IntArray
    factor: IntArray
    beta: FloatArray
    maturity: FloatArray
    rate_factor: IntArray
    spread: IntArray
    spread_beta: FloatArray

    def exposures(self, at: IntArray, rows: int, place: IntArray) -> tuple[FloatArray, FloatArray]:
        """(loadings on price factors, yield-move weights), (rows × F) each: position ``at[j]``'s in
        row ``place[j]``, every other row 0. Only non-zero cells are written, so a matrix's memory is
        touched only where a row has an exposure (an option book's n × F matrices at its few stocks)."""
        loads, weights = np.zeros((rows, len(factors()))), np.zeros((rows, len(factors())))
        kind = self.kind[at]
        linear = np.flatnonzero(kind == LINEAR)
        loads[place[linear], self.factor[at[linear]]] = self.beta[at[linear]]
        dur = kind == DURATION
        chosen = dur & (self.rate_factor[at] >= 0)
        curved = np.flatnonzero(dur & ~chosen)
        weights[place[curved][:, None], _tenors()] = instruments.curve_weights(self.maturity[at[curved]])
        weights[place[chosen], self.rate_factor[at][chosen]] = 1.0
        credit = np.flatnonzero(dur & (self.spread[at] >= 0))
        weights[place[credit], self.spread[at[credit]]] += self.spread_beta[at[credit]]
        return loads, weights


def _tenors() -> IntArray:
    """The curve's key-rate factors, in the order of ``instruments.curve_weights``' columns."""
    return np.array([factor_index()[t] for t, _ in instruments.curve_tenors()], dtype=np.int64)


def _build_options(
    a: Mapping[str, np.ndarray],
    rows: _Rows,
    idx: IntArray,
    settings: StressSettings,
    exposures: tuple[FloatArray, FloatArray],
    duration: FloatArray,
    convexity: FloatArray,
    multiplier: FloatArray,
    fx: FloatArray,
    factor: IntArray,
    model_kind: IntArray,
) -> Options:
    """The options of the book with their underlyings' ``exposures`` and their volatilities."""
    S, K, T = a["underlying_price"][idx], a["strike"][idx], a["expiry_years"][idx]
    q = a["dividend_yield"][idx]
    call, american, on_future = rows.call[idx], rows.american[idx], rows.future_option[idx]
    sigma = a["volatility"][idx].copy()
    expired = T <= 0.0
    sigma[expired & np.isnan(sigma)] = 0.0
    need = np.flatnonzero(np.isnan(sigma))
    if need.size:
        sigma[need] = rows_implied_volatility(a, idx[need], settings.rate)
    shift = stress_rules()["vol_shift"]
    vol_factors = [factor_index()[f] for f in shift["factors"]]
    shifted = settings.vol_shift & (model_kind[idx] == LINEAR) & np.isin(factor[idx], vol_factors) & ~expired
    reference = float(shift["reference_days"]) / DAYS_PER_YEAR
    vol_term = np.where(shifted, np.sqrt(reference / np.maximum(T, reference)), 0.0)
    dur = model_kind[idx] == DURATION
    return Options(
        units=a["quantity"][idx] * multiplier[idx] * fx[idx], S=S, K=K, T=T, q=q, sigma=sigma, call=call,
        american=american, on_future=on_future, beta=exposures[0], weights=exposures[1],
        duration=np.where(dur, duration[idx], 0.0), convexity=np.where(dur, convexity[idx], 0.0),
        vol_term=vol_term,
    )  # fmt: skip


def _build_bonds(a: Mapping[str, np.ndarray], idx: IntArray, fx: FloatArray) -> Bonds:
    """Bonds with their yields (given, or solved from the clean price)."""
    if not idx.size:  # an option book: the bond pricer's numpy calls cost ~0.1 ms even on no bond
        return Bonds(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    coupon, maturity, price = a["coupon"][idx], a["maturity_years"][idx], a["price"][idx]
    yield_ = a["yield_"][idx].copy()
    need = np.isnan(yield_)
    if need.any():
        yield_[need] = instruments.bond_yield(price[need], coupon[need], maturity[need])
        bad = np.flatnonzero(need & np.isnan(yield_))
        if bad.size:
            low, high = (stress_rules().get(f"instruments.bond.{k}") for k in ("yield_low", "yield_high"))
            raise InputError([_no_yield(low, high, price[j], coupon[j], int(a["row"][idx][j])) for j in bad])
    return Bonds(
        a["quantity"][idx] / instruments.PER_FACE * fx[idx],
        coupon,
        yield_,
        maturity,
        instruments.bond_dirty_price(coupon, yield_, maturity),
    )
