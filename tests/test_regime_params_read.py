"""Each regime's parameter list is what its engine reads, recorded as it runs.

``regimes.regime_params`` lists the parameters a regime's engine reads; ``batch`` accepts them,
XLM_PARAMS' ``regimes`` column says which regime reads which, and the decisions refuse a
parameter the regime they compute does not read. Reg T's list omitted ``equity``, which REGT_MARGIN
and the batch read (FINRA 4210(b)(2)'s minimum-equity check): the worksheet layer added it back
for its own table, and ``batch --regime regt --param equity=…`` was refused as no parameter of Reg T
while the equity column was read. Here every name each engine looks up in its parameter values is
recorded (the values mapping, and each settings function's ``with_defaults`` output) and compared
with the list, both ways, so a list cannot drift from its engine again.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.books import HEADER, book, row, stock
from tests.conftest import AS_OF
from xlmargin import params as params_module
from xlmargin.batch.engine import REGIMES, TOGETHER, one_account, specs
from xlmargin.excel import functions as fn
from xlmargin.params import with_defaults
from xlmargin.regimes import MARGIN_REGIMES, engine_reads

SETTINGS_MODULES = (
    "xlmargin.pm.settings", "xlmargin.span.settings", "xlmargin.esma", "xlmargin.account",
    "xlmargin.stress.settings",
)  # fmt: skip


class Reads(dict[str, Any]):
    """A parameter mapping that notes every name looked up in it."""

    def __init__(self, values: dict[str, Any], seen: set[str]) -> None:
        super().__init__(values)
        self.seen = seen

    def __getitem__(self, name: str) -> Any:
        self.seen.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self.seen.add(name)
        return super().get(name, default)

    def items(self) -> Any:  # a family read by its prefix (SPAN's charges, ESMA's fx.CCY): every one
        self.seen.update(self)
        return super().items()


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The names read: each engine's settings function reads ``with_defaults``' output."""
    found: set[str] = set()

    def recorded(given: Any, known: Any) -> dict[str, Any]:
        return Reads(with_defaults(given, known), found)

    for name in SETTINGS_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "with_defaults", recorded)
    yield found


BOOK = [stock("AAPL", 137, 260.0), stock("MSFT", -41, 410.0)]


@pytest.mark.parametrize("regime", REGIMES)
def test_the_batch_reads_every_parameter_it_accepts_and_no_other(regime: str, seen: set[str]) -> None:
    listed = specs(regime)
    values = Reads(params_module.with_defaults({"as_of": AS_OF}, listed), seen)
    seen.clear()
    one_account(regime, values)(book(*BOOK), None)  # an account alone
    if regime in TOGETHER:  # and many accounts valued together
        together = TOGETHER[regime](values)
        union = book(*BOOK, *BOOK)
        together(union, [0, 2, 4], [None, None])
    assert seen == {spec.name for spec in listed}


def _worksheet(regime: str) -> Callable[[list[list[Any]], list[list[Any]]], Any]:
    """The worksheet function of each regime of ``margin --regime``."""
    return {
        "regt": lambda rows, p: fn.regt_margin(rows, None, None, p),
        "pm": fn.pm_requirement,
        "futures": fn.futures_margin,
        "esma": lambda rows, p: fn.esma_margin(rows, "USD", p),
        "account": fn.account_margin,
        "risk": fn.risk_margin,
    }[regime]


ACCEPTED_UNREAD = {"regt": {"rate"}}  # REGT_PARAMS: one params block serves every function


@pytest.mark.parametrize("regime", MARGIN_REGIMES)
def test_each_regimes_list_is_what_its_worksheet_function_reads(
    regime: str, seen: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fn.read_params_of

    def recorded(data: Any, known: Any, unread: Any = None) -> tuple[Any, ...]:
        values, *rest = real(data, known, unread)
        seen.add("as_of")  # read by read_params_of itself, for every function
        return (Reads(values, seen), *rest)

    monkeypatch.setattr(fn, "read_params_of", recorded)
    rows = [list(HEADER), *(BOOK if regime != "esma" else [row("EURUSD", "fx", 1_000, 1.1)])]
    if regime == "futures":
        rows = [list(HEADER), row("ESZ6", "future", 1, 6000.0, expiry="2026-12-18", multiplier=50)]
    seen.clear()
    listed = {spec.name for spec in engine_reads(regime)}
    given = [["as_of", AS_OF], *([["equity", 250_000]] if "equity" in listed else [])]
    _worksheet(regime)(rows, given)
    assert seen == listed
    accepted = {
        spec.name for spec in fn.param_specs({"futures": "span", "risk": "stress"}.get(regime, regime))
    }
    assert accepted - listed == ACCEPTED_UNREAD.get(regime, set())


def test_the_batch_reads_regt_equity_from_the_parameter_too() -> None:
    """``batch --regime regt --param equity=1000``: every account's minimum-equity check, as the
    equity column gives it per account (refused before: not a parameter of Reg T)."""
    from xlmargin.batch import batch

    table = [["account", *HEADER], ["A", *stock("AAPL", 10, 100.0)], ["B", *stock("MSFT", -5, 400.0)]]
    result = batch(table, regime="regt", params={"as_of": AS_OF, "equity": 1_000.0}, as_of=AS_OF)
    warned = dict(zip(result["account"], result["warnings"], strict=True))
    assert not warned["A"]  # 1,000 meets the lesser of $2,000 and its purchases' cost, 1,000
    assert "equity 1,000.00 is below the FINRA 4210(b)(2) minimum of 2,000.00" in warned["B"]
