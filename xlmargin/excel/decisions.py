"""The margin-decision worksheet functions as plain Python (see :mod:`xlmargin.decisions`).

Same conventions as :mod:`.functions`: positions first, ``params`` last; the positions, trades
and candidate ranges are read once per content and the engine runs once per (content, options),
by the same route as the breakdowns (:func:`.functions.run`), so every decision table ends with the
positions reader's warnings as the breakdown tables do (MARGIN_IMPACT's with the trades' too,
HEDGE_OPTIMIZE's with the candidates').
The trades and candidate ranges are options of that cache key in full (:func:`.cache.freeze`): the
cache verifies the positions range on a hit, not the options, so a partial key such as the range's
size and three rows would hand back the result of the trades before an edit of any other row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from xlmargin.cells import is_blank
from xlmargin.errors import InputError, Problem, XlMarginError
from xlmargin.excel.cache import freeze
from xlmargin.excel.functions import choice, finite, number, params_of, portfolio_of, run, table_range
from xlmargin.positions import Portfolio


def _decide(
    kind: str,
    positions: Any,
    params: Any,
    regimes: tuple[str, ...],
    compute: Callable[[Portfolio, Any], Any],
    *options: Hashable,
    rows: Callable[[Any], list[list[Any]]] | None = None,
) -> Any:
    """The decision's result, once per content and options; with ``rows``, its table ending with the
    reader's warnings (:func:`.functions.run`). A parameter the decision does not read under
    ``regimes`` is refused (:func:`_unread`)."""
    from xlmargin.decisions import DECISION_PARAMS, decision_settings

    def engine(portfolio: Portfolio, values: dict[str, Any], as_of: Any) -> Any:
        return compute(portfolio, decision_settings(values, as_of))

    return run(
        kind, positions, params, DECISION_PARAMS, engine, *options, rows=rows, unread=_unread(kind, regimes)
    )


def _unread(kind: str, regimes: tuple[str, ...]) -> Callable[[str], str | None]:
    """The refusal of a parameter the decision ``kind`` does not read under ``regimes``, as the
    command line and the Python API refuse it (:func:`xlmargin.regimes.unread_refusal`)."""
    from xlmargin.regimes import unread_refusal

    return unread_refusal((kind.upper(),), regimes)


def _table(result: Any) -> list[list[Any]]:
    """A decision result's own table (every decision result has one)."""
    return result.table()


def _as_of(params: Any, kind: str, regimes: tuple[str, ...]) -> Any:
    """The valuation date of ``params``, a parameter the decision does not read refused first."""
    from xlmargin.decisions import DECISION_PARAMS

    return params_of(params, DECISION_PARAMS, _unread(kind, regimes))[1]


def _unread_key(unread: Mapping[str, XlMarginError] | None) -> Hashable:
    """The regimes the Python API found unread (:func:`xlmargin.decisions.beside.unread_beside`), as
    part of the result cache's key; a worksheet never gives any."""
    return tuple((regime, str(error)) for regime, error in (unread or {}).items())


def margin_impact(
    positions: Any,
    trades: Any,
    regime: Any = None,
    params: Any = None,
    *,
    unread: Mapping[str, XlMarginError] | None = None,
) -> Any:
    """The before/after table, or with ``regime`` the change of that regime's requirement.
    ``unread``: the Python API's regimes that cannot read a broker export beside a table, with why
    (:func:`xlmargin.decisions.beside.unread_beside`); a worksheet's ranges are tables both, read by
    one ``fx_rates`` reading, and it never gives them."""
    from xlmargin.decisions import REGIMES, in_table
    from xlmargin.decisions import margin_impact as impact

    chosen = None if is_blank(regime) else choice(regime, "regime", REGIMES, "pm")
    regimes = REGIMES if chosen is None else (chosen,)
    table_range(trades, "trades")
    as_of = _as_of(params, "margin_impact", regimes)
    try:
        _, book = portfolio_of(trades, as_of, holdings=False)  # fills, each at its price
    except XlMarginError as error:
        raise in_table("trades", error) from None
    if len(book) == 0:
        raise InputError(Problem("the trades table has no rows", None, "trades"))

    def rows(result: Any) -> list[list[Any]]:  # then the trades' own warnings, named as theirs
        return [*result.table(), *(["warning", f"trades: {text}"] for text in book.warnings)]

    result = _decide(
        "margin_impact", positions, params, regimes,
        lambda p, s: impact(p, book, s, regimes, unread=unread), freeze(trades), regimes, _unread_key(unread),
        rows=None if chosen else rows,
    )  # fmt: skip
    if chosen is None:
        return result
    return finite(result.line(chosen).change, f"the change of the {chosen} requirement")


def margin_contribution(positions: Any, regime: Any = None, params: Any = None) -> list[list[Any]]:
    from xlmargin.decisions.contribution import REGIMES, margin_contribution

    chosen = choice(regime, "regime", REGIMES, "pm")
    return _decide(
        "margin_contribution", positions, params, (chosen,), lambda p, s: margin_contribution(p, s, chosen),
        chosen,
        rows=_table,
    )  # fmt: skip


def hedge_optimize(
    positions: Any,
    candidates: Any,
    objective: Any = None,
    budget: Any = None,
    params: Any = None,
    *,
    unread: Mapping[str, XlMarginError] | None = None,
) -> list[list[Any]]:
    """The hedge's table; ``unread`` as :func:`margin_impact`'s."""
    from xlmargin.decisions import OBJECTIVES, hedge_optimize, read_candidates

    chosen = choice(objective, "objective", OBJECTIVES, "pm")
    # only an empty budget is no budget: a typed 0 is a budget, refused as any other not above 0
    cap = None if is_blank(budget, zero_is_blank=False) else number(budget, "budget")
    table_range(candidates, "candidates")

    def optimised(p: Portfolio, s: Any) -> Any:  # the account objective reads rates as the account view
        listed = read_candidates(candidates, p.as_of, s.account if chosen == "account" else None)
        return hedge_optimize(p, listed, s, chosen, cap, unread=unread)

    return _decide(
        "hedge_optimize", positions, params, (chosen,), optimised,
        freeze(candidates), chosen, cap, _unread_key(unread), rows=_with_candidates,
    )  # fmt: skip


def _with_candidates(result: Any) -> list[list[Any]]:
    """The hedge's table, then the candidates reader's warnings, named as theirs (as MARGIN_IMPACT's
    trades')."""
    return [*result.table(), *(["warning", f"candidates: {text}"] for text in result.candidate_warnings)]


def margin_call_move(positions: Any, equity: Any, regime: Any = None, params: Any = None) -> list[list[Any]]:
    from xlmargin.decisions import REGIMES
    from xlmargin.decisions.margin_call import margin_call_move

    return _against_equity("margin_call_move", margin_call_move, REGIMES, positions, equity, regime, params)


def liquidation_plan(positions: Any, equity: Any, regime: Any = None, params: Any = None) -> list[list[Any]]:
    from xlmargin.decisions.liquidation import REGIMES, liquidation_plan

    return _against_equity("liquidation_plan", liquidation_plan, REGIMES, positions, equity, regime, params)


def _against_equity(
    kind: str,
    decide: Callable[..., Any],
    regimes: tuple[str, ...],
    positions: Any,
    equity: Any,
    regime: Any,
    params: Any,
) -> list[list[Any]]:
    """A decision measured against the account's equity, under one of ``regimes`` (pm by default):
    a regime the decision does not plan under is refused listing only those it does."""
    amount = number(equity, "equity")
    chosen = choice(regime, "regime", regimes, "pm")
    return _decide(
        kind, positions, params, (chosen,), lambda p, s: decide(p, amount, s, chosen), amount, chosen,
        rows=_table,
    )  # fmt: skip
