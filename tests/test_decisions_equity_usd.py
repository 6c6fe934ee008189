"""The ``equity`` parameter in a EUR account: the decisions and capacity give portfolio margin the
equity in US dollars, as the account view does (:func:`xlmargin.account.equity_in_usd`), so the
FINRA 4210(g) $100,000 eligibility check compares dollars with dollars.

95,000 EUR at fx.USD = 0.9 (EUR per USD) is 105,555.56 USD: eligible; compared unconverted it
would read as 95,000 < 100,000, not eligible.
"""

import datetime as dt

import pytest

import xlmargin.capacity as capacity
from xlmargin.account import account_margin
from xlmargin.capacity import capacity_settings, max_notional
from xlmargin.decisions import decision_settings
from xlmargin.decisions._common import requirement
from xlmargin.pm import pm_requirement
from xlmargin.positions import read_positions

D = dt.date(2026, 11, 20)
EUR = {"as_of": D, "account_currency": "EUR", "fx.USD": 0.9, "securities": "pm", "equity": 95_000.0}
BOOK = [["symbol", "type", "qty", "price"], ["AAPL", "stock", 100, 200.0]]


def test_decision_settings_hold_the_equity_in_dollars() -> None:
    settings = decision_settings(EUR, D)
    assert settings.pm.equity == pytest.approx(95_000.0 / 0.9)
    assert settings.account.pm.equity == 95_000.0  # the account view's parameter, in EUR
    book = read_positions(BOOK, as_of=D)
    assert pm_requirement(book, settings.pm).eligible is True
    assert pm_requirement(book, settings.account.pm).eligible is False  # the comparison it replaces
    # the account view's securities line agrees with what the decisions give the engine
    securities = account_margin(book, settings.account).lines[0].detail
    assert securities.eligible is True


def spied(monkeypatch: pytest.MonkeyPatch, module: object) -> list[float | None]:
    """The equity of every settings given to ``module.pm_requirement`` from now on."""
    seen: list[float | None] = []
    real = module.pm_requirement  # type: ignore[attr-defined]
    monkeypatch.setattr(module, "pm_requirement", lambda p, s: seen.append(s.equity) or real(p, s))
    return seen


def test_decision_engine_passes_the_dollar_equity(monkeypatch: pytest.MonkeyPatch) -> None:
    import xlmargin.decisions._common as common

    seen = spied(monkeypatch, common)
    requirement("pm", read_positions(BOOK, as_of=D), decision_settings(EUR, D))
    assert seen == [pytest.approx(95_000.0 / 0.9)]


def test_capacity_passes_the_dollar_equity(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = spied(monkeypatch, capacity)
    max_notional(read_positions(BOOK, as_of=D), 50_000.0, "pm", capacity_settings(EUR, D))
    assert seen and all(e == pytest.approx(95_000.0 / 0.9) for e in seen)
