"""Coupon and yield units (symbols.toml [reading]) decided per account where one table holds many
(the batch), and a bond's ambiguous yield read by its price. Defects of the review of the "one unit
per column" rule (round 5): account A's decimal coupon 0.05 was read as 0.05% because account B's
4.25 made the whole file's column percent (A: 14,724.40 in the batch, 12,830.79 alone); a
distressed bond's yield 0.65 (65%) at price 40 was read as 0.65%. Expected figures are each
account's own engine output alone (regression comparisons, not published examples)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.conftest import AS_OF
from xlmargin import api
from xlmargin.batch import batch
from xlmargin.errors import InputError
from xlmargin.positions import read_positions

HEADER = ["account", "symbol", "type", "quantity", "price", "class", "maturity", "coupon", "yield"]


def _bond(account: str, symbol: str, coupon: Any, price: float = 99.2, yield_: Any = None) -> list[Any]:
    return [account, symbol, "bond", 100_000, price, "treasury", "2031-06-30", coupon, yield_]


# A: a decimal coupon; B: percent; C: a decimal that could be a low percent (warned); D: a low
# percent beside a percent (warned); E: a distressed bond's yield typed as a decimal
BOOK = [
    HEADER,
    _bond("A", "T1", 0.05),
    _bond("B", "T2", 4.25),
    _bond("C", "T3", 0.15),
    _bond("D", "T4", 4.25),
    _bond("D", "T5", 0.125),
    _bond("A", "T6", 0.0425),
    ["E", "HY", "bond", 100_000, 40.0, "high_yield", "2030-01-01", 0.08, 0.65],
]


def _alone(account: str) -> list[list[Any]]:
    """The account's rows alone, the others blank (each row keeps its number)."""
    return [HEADER[1:], *(r[1:] if r[0] == account else [] for r in BOOK[1:])]


@pytest.mark.parametrize("regime", ["risk", "regt"])
def test_each_account_s_units_are_its_own_and_equal_the_account_alone(regime: str) -> None:
    result = batch(BOOK, regime=regime, as_of=AS_OF)
    engine = api.risk_margin if regime == "risk" else api.regt_margin
    assert (result["error"] == "").all(), result["error"].tolist()
    for account, requirement, cell in zip(
        result["account"], result["requirement"], result["warnings"], strict=True
    ):
        alone = _alone(account)
        assert requirement == pytest.approx(engine(alone, as_of=AS_OF), abs=0.005), account
        read = read_positions(alone, as_of=AS_OF).warnings
        own = [w.replace("whole coupon column", "account's coupon column") for w in read]
        assert cell.split(" | ")[: len(own)] == own, account  # the reader's first, as `margin` prints them
    warned = dict(zip(result["account"], result["warnings"], strict=True))
    assert "row 4: coupon 0.15 read as decimals (0.15 is 15%), as the account's coupon column" in warned["C"]
    assert (
        "row 6: coupon 0.125 read in percent (0.125 is 0.125%), as the account's coupon column" in warned["D"]
    )
    assert "coupon" not in warned["A"] + warned["B"]
    assert not result.attrs["warnings"]  # nothing left for every account


def test_account_a_alone_is_its_figure_in_the_batch() -> None:
    # the review's file: A's 0.05 is 5% as `xlmargin margin` reads A alone (12,830.79)
    table = [HEADER[:-1], _bond("A", "T1", 0.05)[:-1], _bond("B", "T2", 4.25)[:-1]]
    result = batch(table, by="account", regime="risk", as_of=AS_OF)
    assert result["requirement"].tolist()[0] == api.risk_margin(
        [HEADER[1:-1], _bond("A", "T1", 0.05)[1:-1]], as_of=AS_OF
    )


def test_the_batch_on_dask_reads_the_units_per_account_too() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(processes=False, n_workers=2, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        for regime in ("risk", "regt"):
            alone = batch(BOOK, regime=regime, as_of=AS_OF)
            on_dask = batch(BOOK, regime=regime, as_of=AS_OF, dask=client)
            pd.testing.assert_frame_equal(on_dask, alone)
        risk = batch(BOOK, regime="risk", as_of=AS_OF, dask=client)
        assert risk["requirement"].tolist()[0] == pytest.approx(
            api.risk_margin(_alone("A"), as_of=AS_OF), abs=0.005
        )


def _distressed(yield_: Any, price: float = 40.0, coupon: Any = 0.08) -> list[list[Any]]:
    header = ["symbol", "type", "quantity", "price", "class", "maturity", "coupon", "yield"]
    return [header, ["HY", "bond", 100_000, price, "high_yield", "2030-01-01", coupon, yield_]]


def test_a_yield_either_reading_fits_is_read_by_the_bond_s_price() -> None:
    # price 40, coupon 8%: the price implies a yield of 46%; 65% is nearer than 0.65%
    book = read_positions(_distressed(0.65), as_of=AS_OF)
    assert book.arrays["yield_"].tolist() == [0.65]
    assert book.warnings == (
        "row 2: yield 0.65 read as 65%, not 0.65%: the row's price implies a yield of 46%",
    )
    assert api.risk_margin(_distressed(0.65), as_of=AS_OF) == api.risk_margin(_distressed("65%"), as_of=AS_OF)
    # at par the same 0.65 is 0.65% (an 8% coupon at par yields 8%: 0.65% is nearer than 65%)
    par = read_positions(_distressed(0.65, price=100.0, coupon=0.006), as_of=AS_OF)
    assert par.arrays["yield_"].tolist() == pytest.approx([0.0065])
    # a small decimal the price confirms says nothing
    plain = read_positions(_distressed(0.08, price=100.0), as_of=AS_OF)
    assert plain.arrays["yield_"].tolist() == [0.08] and plain.warnings == ()


def test_the_nearer_reading_is_nearer_by_ratio_not_by_difference() -> None:
    # price 75, coupon 3%: the price implies 13%. 0.4 read as 40% is 3 times it, as 0.4% a 33rd of
    # it; by difference 0.4% (0.126 away) beat 40% (0.27 away). A decimal v is the nearer reading
    # where v <= 10 y.
    book = read_positions(_distressed(0.4, price=75.0, coupon=0.03), as_of=AS_OF)
    assert book.arrays["yield_"].tolist() == [0.4]
    implied = "the row's price implies a yield of 13%"
    assert book.warnings == (f"row 2: yield 0.4 read as 40%, not 0.4%: {implied}",)
    # and where the price implies 3%, the same 0.4 is 0.4% (40% is 13 times it)
    near_par = read_positions(_distressed(0.4, price=100.0, coupon=0.03), as_of=AS_OF)
    assert near_par.arrays["yield_"].tolist() == pytest.approx([0.004])


def test_a_yield_the_price_cannot_settle_keeps_the_column_s_rule() -> None:
    # no coupon: no yield implied, the column's rule and its warning hold
    header = ["symbol", "type", "quantity", "price", "class", "maturity", "duration", "yield"]
    book = read_positions(
        [header, ["HY", "bond", 100_000, 40.0, "high_yield", "2030-01-01", 3.5, 0.65]], as_of=AS_OF
    )
    assert book.arrays["yield_"].tolist() == pytest.approx([0.0065])
    assert book.warnings == (
        "row 2: yield 0.65 is no credible decimal (above 0.5): the whole yield column is read in percent "
        "(0.65 is 0.65%)",
    )


def test_a_maturity_beyond_the_years_limit_names_it() -> None:
    with pytest.raises(InputError) as info:
        read_positions(
            [*_distressed(None)[:1], ["T", "bond", 1000, 99.0, "treasury", 250, 0.04, None]], as_of=AS_OF
        )
    assert "or the years to maturity (a number up to 200)" in str(info.value.problems[0])
