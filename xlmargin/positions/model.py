"""What a validated positions table is: :class:`Position` rows and the frozen :class:`Portfolio`."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from xlmargin._records import records
from xlmargin._typing import BoolArray, IntArray

TYPES = ("stock", "etf", "option", "future", "future_option", "bond", "fx", "cfd", "cash")
CLASSES = (
    "equity",
    "narrow_index",
    "broad_index",
    "highcap_index",
    "treasury",
    "agency",
    "municipal",
    "corporate",
    "high_yield",
    "convertible",
    "gold",
    "fx_major",
    "fx",
    "fx_fund",
    "commodity",
    "crypto",
)
PAIR_ASSET_CLASSES = ("fx", "fx_major")
"""The asset classes of a row margined as a currency pair, whatever its type (ESMA, NFA): a row of one,
or of type fx, says it is a pair, so its symbol reads with any ISO code (symbols.currency_pair)."""
# Other names a class column may give (compared as headers are: case, spaces, "_", "-", "." ignored).
# Bonds: ``corporate`` is investment-grade corporate debt, ``high_yield`` any other listed non-equity
# debt (FINRA 4210(e)(2)'s "other", margin-rules.md §1.8), ``convertible`` a convertible bond.
# ``fx`` and ``fx_major`` are a currency (a pair, an option on a currency); ``fx_fund`` a fund holding
# a currency against the dollar (UUP, FXE): a share of an ETF, margined as one (symbols.toml [funds]).
CLASS_ALIASES = {
    "ig": "corporate", "investmentgrade": "corporate", "corp": "corporate", "corporateig": "corporate",
    "hy": "high_yield", "corporatehy": "high_yield", "noninvestmentgrade": "high_yield", "junk": "high_yield",
    "otherdebt": "high_yield",
    "currencyfund": "fx_fund", "currencyetf": "fx_fund", "fxetf": "fx_fund", "currencytrust": "fx_fund",
    "convert": "convertible", "convertibles": "convertible", "convertiblebond": "convertible",
}  # fmt: skip
OPTION_TYPES = ("option", "future_option")
DAYS_PER_YEAR = 365.0  # expiry_years and maturity_years count days ACT/365 from the valuation date


@dataclass(frozen=True, slots=True)
class Position:
    """One validated row. ``row`` is the row number within the selected range (header = 1)."""

    row: int
    symbol: str
    type: str
    quantity: float
    price: float  # NaN for cash
    underlying: str
    class_group: str  # the underlying, or its index basket: the portfolio-margin class group
    asset_class: str
    multiplier: float
    underlying_price: float = math.nan
    strike: float = math.nan
    right: str | None = None  # "C" | "P"
    expiry: dt.date | None = None
    expiry_years: float = math.nan  # ACT/365 from the valuation date
    style: str | None = None  # "american" | "european"
    volatility: float = math.nan
    dividend_yield: float = 0.0
    leverage: float = 1.0
    currency: str | None = None
    maturity_years: float = math.nan
    sleeve: str | None = None
    index_units: float = 1.0  # index value one unit represents, for ETF-versus-index cover
    coupon: float = math.nan  # bonds: annual coupon rate, decimal
    yield_: float = math.nan  # bonds: yield to maturity, decimal
    duration: float = math.nan  # bonds and bond ETFs: modified duration, years
    denomination: float = math.nan  # bonds: the least face traded (blank: BOND_DENOMINATION)
    fx_rate: float = math.nan  # account-currency units per unit of the position's currency
    beta: float = math.nan  # to the position's risk factor (stress view)
    factor: str | None = None  # the risk factor, overriding the built-in mapping (stress view)
    # whether the class column gave ``asset_class`` (False: the symbol table's, a pair base's, or the
    # equity default); ESMA lets a given class win over a symbol's major-index alias
    class_given: bool = False
    # a house's special maintenance of the underlying, a fraction of value (1: not marginable), the
    # same on every row of the underlying; NaN: none (Reg T's own rates)
    special_maintenance: float = math.nan

    @property
    def is_option(self) -> bool:
        return self.type in OPTION_TYPES

    @property
    def is_call(self) -> bool:
        return self.right == "C"

    @property
    def market_value(self) -> float:
        """Signed value of the position at its price (cash: its quantity)."""
        if self.type == "cash":
            return self.quantity
        if self.type == "bond":
            return self.quantity * self.price / 100.0
        return self.quantity * self.price * self.multiplier


class Portfolio:
    """A validated, immutable positions table, and the reader's ``warnings`` about it.

    Engines that vectorise read :attr:`arrays` (one read-only numpy array per field, in row
    order); rule-by-rule engines iterate :class:`Position` objects, built on first use; engines
    that group rows by a text column read its :meth:`codes`.
    """

    __slots__ = ("_arrays", "_codes", "_positions", "as_of", "warnings")

    def __init__(
        self,
        arrays: Mapping[str, np.ndarray],
        as_of: dt.date,
        warnings: Sequence[str] = (),
        codes: Mapping[str, tuple[IntArray, Sequence[Any]]] | None = None,
    ):
        for arr in arrays.values():
            arr.setflags(write=False)
        self._codes: dict[str, tuple[IntArray, tuple[Any, ...]]] = {}
        for name, (found, values) in (codes or {}).items():
            found.setflags(write=False)
            self._codes[name] = (found, tuple(values))
        self._arrays = _Columns(dict(arrays), self._codes)
        self._positions: tuple[Position, ...] | None = None
        self.as_of = as_of
        # what the reader noticed without refusing the table (columns ignored, odd multipliers, ...)
        self.warnings: tuple[str, ...] = tuple(warnings)

    @property
    def arrays(self) -> Mapping[str, np.ndarray]:
        return self._arrays

    @property
    def positions(self) -> tuple[Position, ...]:
        if self._positions is None:
            self._positions = _positions_of({n: self._arrays[n] for n in _FIELD_NAMES})
        return self._positions

    def positions_at(self, indices: Sequence[int]) -> tuple[Position, ...]:
        """The positions at these indices (0-based, into the columns), in that order.

        Taken from :attr:`positions` when they are built, or when most of the table is asked
        for (building them all then costs little more, and later calls find them); otherwise
        built from the columns for those indices only.
        """
        built = self._positions
        if built is None and 2 * len(indices) > len(self):
            built = self.positions
        if built is not None:
            return tuple(built[i] for i in indices)
        index = np.asarray(indices, dtype=np.int64)
        return _positions_of({n: self._arrays[n][index] for n in _FIELD_NAMES})

    def codes(self, name: str) -> tuple[IntArray, tuple[Any, ...]]:
        """A text column as integer codes into distinct values: ``arrays[name][i] == values[codes[i]]``.

        The values are distinct and may include some no row holds (the reader hands over the codes
        it made while reading, over every value a column may take); found once per portfolio, so
        engines group rows without hashing every cell again.
        """
        found = self._codes.get(name)
        if found is None:
            from xlmargin.positions.reader import factorize

            codes, values = factorize(self._arrays[name].tolist())
            codes.setflags(write=False)
            found = self._codes[name] = (codes, tuple(values))
        return found

    def coded(self) -> tuple[str, ...]:
        """The columns whose :meth:`codes` are known (handed over by the reader or found since), so
        a book built from this one's rows can carry them instead of finding them again."""
        return tuple(self._codes)

    def __len__(self) -> int:
        return len(self._arrays["row"])

    def __iter__(self) -> Iterator[Position]:
        return iter(self.positions)

    def select(self, keep: Sequence[bool] | BoolArray) -> Portfolio:
        """The positions where ``keep`` is true, as a new portfolio."""
        mask = np.asarray(keep, dtype=bool)
        codes = {k: (c[mask], values) for k, (c, values) in self._codes.items()}
        arrays = {k: v[mask] for k, v in self._arrays.made.items()}  # the others from their codes
        return Portfolio(arrays, self.as_of, self.warnings, codes)

    def part(self, start: int, stop: int) -> Portfolio:
        """The positions ``start`` to ``stop - 1`` as a new portfolio: views of the columns, the
        codes known so far carried (one account of a batch's union, say)."""
        codes = {k: (c[start:stop], values) for k, (c, values) in self._codes.items()}
        arrays = {k: v[start:stop] for k, v in self._arrays.made.items()}
        return Portfolio(arrays, self.as_of, self.warnings, codes)

    @staticmethod
    def from_positions(positions: Sequence[Position], as_of: dt.date) -> Portfolio:
        arrays = {}
        for f in fields(Position):
            values = [getattr(p, f.name) for p in positions]
            arrays[f.name] = np.array(values, dtype=DTYPES.get(f.name, object))
        return Portfolio(arrays, as_of)


_FIELD_NAMES = tuple(f.name for f in fields(Position))


class _Columns(Mapping[str, np.ndarray]):
    """A portfolio's :attr:`~Portfolio.arrays`: those it was given, and each text column it was given
    only as codes (the reader's, for the columns the engines group by) made from them the first time
    it is read, one gather into its distinct values. An end-to-end portfolio-margin run reads the
    codes of most text columns and the array of none but the type (callgrind, the benchmark book:
    read_positions' eight object arrays of 5,000 rows, some 3 million instructions, not made)."""

    __slots__ = ("_codes", "_names", "made")

    def __init__(self, made: dict[str, np.ndarray], codes: Mapping[str, tuple[IntArray, tuple[Any, ...]]]):
        self.made = made  # the arrays made so far (read-only), which a part of the portfolio takes
        self._codes = codes
        lazy = [name for name in codes if name not in made]
        # the columns in the order of Position's fields, as the reader hands them over
        self._names: tuple[str, ...] = (
            tuple(made)
            if not lazy
            else (
                *(n for n in _FIELD_NAMES if n in made or n in lazy),
                *(n for n in made if n not in _FIELDS),
            )
        )

    def __getitem__(self, name: str) -> np.ndarray:
        found = self.made.get(name)
        if found is None:
            if name not in self._codes:
                raise KeyError(name)
            codes, values = self._codes[name]
            distinct = np.empty(len(values), dtype=object)
            distinct[:] = values
            found = self.made[name] = distinct[codes]
            found.setflags(write=False)
        return found

    def __contains__(self, name: object) -> bool:
        return name in self.made or name in self._codes

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


_FIELDS = frozenset(_FIELD_NAMES)


def _positions_of(columns: Mapping[str, np.ndarray]) -> tuple[Position, ...]:
    """Positions from their columns, set field by field over all rows (:func:`records`)."""
    return tuple(
        records(Position, {name: column.tolist() for name, column in columns.items()}, len(columns["row"]))
    )


FLOAT_FIELDS = (
    "quantity", "price", "multiplier", "underlying_price", "strike", "expiry_years", "volatility",
    "dividend_yield", "leverage", "maturity_years", "index_units", "coupon", "yield_", "duration",
    "denomination", "fx_rate", "beta", "special_maintenance",
)  # fmt: skip
DTYPES: dict[str, Any] = dict.fromkeys(FLOAT_FIELDS, np.float64) | {"row": np.int64, "class_given": np.bool_}
