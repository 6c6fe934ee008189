"""The parameters each regime's engine reads, for the commands that refuse a ``--param`` no regime
they compute uses (``batch``, and ``whatif``, ``hedge`` and ``plan``, which compute several), and
the one refusal of a parameter that a function computing a chosen regime (the decisions,
MAX_NOTIONAL) does not read under it: :func:`unread_refusal`, the same in a cell, in Python and on
the command line.

The engines are imported where a regime is asked for, so that importing this module loads none.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from xlmargin.house_bonds import REGT_RULE_PARAMS
from xlmargin.params import AS_OF, Param

REGT_EQUITY = Param(
    "equity",
    "number",
    None,
    "account equity in dollars; when given, the breakdown reports (initial basis) whether it meets "
    "FINRA 4210(b)(2)'s minimum equity to trade on margin ($2,000, or the purchases' cost if less); "
    "never added to the requirement",
)
"""Reg T's ``equity``: FINRA 4210(b)(2)'s minimum-equity check (``regt_margin(equity=...)``)."""


def regime_params(regime: str) -> tuple[Param, ...]:
    """The parameters ``regime``'s engine reads: ``pm`` (portfolio margin), ``futures`` (SPAN, its
    basis included), ``account`` (the account view: its own choices and every segment engine's) or
    ``risk`` (the risk view). Reg T (``regt``, ``regt_maintenance``) prices nothing and reads the
    valuation date, ``equity`` (its minimum-equity check, as REGT_MARGIN and the batch read it),
    ``house.bonds`` and the unconfirmed [L] terms of regt.toml (``box.short_recognised`` ...): its
    basis and convention are the caller's choice (``batch`` takes them as parameters).
    ``tests/test_regime_params_read.py`` holds each list to what its engine reads."""
    if regime in ("regt", "regt_maintenance"):
        return (AS_OF, REGT_EQUITY, *REGT_RULE_PARAMS)
    if regime == "pm":
        from xlmargin.pm import PM_PARAMS

        return PM_PARAMS
    if regime == "futures":
        from xlmargin.span import SPAN_PARAMS

        return SPAN_PARAMS
    if regime == "account":
        from xlmargin.account import ACCOUNT_PARAMS

        return ACCOUNT_PARAMS
    if regime == "risk":
        from xlmargin.stress import STRESS_PARAMS

        return STRESS_PARAMS
    raise ValueError(f"no regime '{regime}'")  # a programming error: callers check the regime first


MARGIN_REGIMES = ("regt", "pm", "futures", "esma", "account", "risk")
"""The regimes of ``margin --regime``, in its order: those a worksheet function of one regime's
engine names in XLM_PARAMS' ``regimes`` column."""


def engine_reads(regime: str) -> tuple[Param, ...]:
    """The parameters ``regime``'s engine reads: :func:`regime_params`, and ESMA_MARGIN's for
    ``esma`` (its account currency is an argument of the function, not a parameter)."""
    if regime == "esma":
        from xlmargin.esma import ESMA_PARAMS

        return ESMA_PARAMS
    return regime_params(regime)


def regimes_reading(
    function: str, reads: Callable[[str], tuple[Param, ...]] = engine_reads
) -> Callable[[str], str]:
    """What XLM_PARAMS' ``regimes`` column says of a parameter of ``function``: the regimes under
    which it is read, comma-separated, "all" when every one is, "none" when none is. A function computing a
    chosen regime (:func:`choices_of`: the decisions, MAX_NOTIONAL; HEDGE_OPTIMIZE's objectives)
    names the regimes it offers under which it reads the parameter (:func:`function_reads`), the
    one its ``regime`` argument refuses it under being the others; any other function, the regimes
    of :data:`MARGIN_REGIMES` whose engine reads it (``reads``: :func:`engine_reads` by default)."""
    choices = choices_of(function)
    if choices:
        names = {r: _read_names((function,), (r,)) for r in choices}
    else:
        choices = MARGIN_REGIMES
        names = {r: frozenset(spec.name for spec in reads(r)) for r in choices}

    def regimes(name: str) -> str:
        if name == "sleeve":  # picks the rows before any regime computes
            return "all"
        under = [r for r in choices if name in names[r]]
        return "all" if len(under) == len(choices) else ", ".join(under) or "none"

    return regimes


# --- the functions that compute a chosen regime from one params block ---------------------------

_BY_FUNCTION = (
    "MARGIN_IMPACT", "MARGIN_CONTRIBUTION", "HEDGE_OPTIMIZE", "MARGIN_CALL_MOVE", "LIQUIDATION_PLAN",
    "MAX_NOTIONAL",
)  # fmt: skip


def choices_of(function: str) -> tuple[str, ...]:
    """The regimes (HEDGE_OPTIMIZE: the objectives) a worksheet function that computes a chosen
    regime offers: the decisions and MAX_NOTIONAL. Empty for any other function."""
    from xlmargin.decisions import names

    if function == "MAX_NOTIONAL":
        from xlmargin.capacity import REGIMES

        return REGIMES
    return {
        "MARGIN_IMPACT": names.IMPACT_REGIMES,
        "MARGIN_CONTRIBUTION": names.CONTRIBUTION_REGIMES,
        "HEDGE_OPTIMIZE": names.OBJECTIVES,
        "MARGIN_CALL_MOVE": names.IMPACT_REGIMES,
        "LIQUIDATION_PLAN": names.PLAN_REGIMES,
    }.get(function, ())


def function_reads(function: str, regime: str) -> tuple[Param, ...]:
    """The parameters ``function`` (a decision or MAX_NOTIONAL) reads when it computes ``regime``
    (HEDGE_OPTIMIZE: with that objective): the regime's engine's (:func:`regime_params`) and what
    the function itself reads with it.

    - Portfolio margin, inside these functions, takes its ``equity`` in the account currency
      (:func:`xlmargin.account.pm_in_usd`): ``account_currency`` and ``fx.USD`` are read with it.
    - MARGIN_CALL_MOVE also scales the risk view's worst scenario; HEDGE_OPTIMIZE shows portfolio
      margin, Reg T, the account and the risk view beside its objective and searches within
      ``time_limit``; LIQUIDATION_PLAN reads ``cushion``, ``time_limit`` and ``plan_by``.
      MARGIN_CALL_MOVE's and LIQUIDATION_PLAN's ``regt`` is on the ``basis`` parameter (blank:
      maintenance, where a call comes from: :func:`xlmargin.decisions._common.call_measure`).
    - MARGIN_CONTRIBUTION's ``regt`` is on the ``basis`` parameter, and its Reg T pairings (``regt``,
      ``regt_maintenance``, and the account's Reg T securities) search within ``time_limit``.
    - MAX_NOTIONAL reads ``cushion``; its ``esma`` regime ESMA_MARGIN's parameters and the
      ``account_currency``.
    """
    from xlmargin.account import ACCOUNT_PARAMS
    from xlmargin.capacity import CUSHION
    from xlmargin.decisions._common import BASIS, PLAN_BY, TIME_LIMIT
    from xlmargin.decisions.hedge import SHOWN

    account = {spec.name: spec for spec in ACCOUNT_PARAMS}
    pm_equity = (account["account_currency"], account["fx.USD"])

    def engine(name: str) -> tuple[Param, ...]:
        if name == "esma":
            from xlmargin.esma import ESMA_PARAMS

            return (*ESMA_PARAMS, account["account_currency"])
        if name in ("regt", "regt_maintenance"):  # the decisions' Reg T figures check no minimum equity
            return tuple(spec for spec in regime_params(name) if spec is not REGT_EQUITY)
        return (*regime_params(name), *(pm_equity if name == "pm" else ()))

    regimes: tuple[str, ...] = (regime,)
    own: tuple[Param, ...] = ()
    if function == "MAX_NOTIONAL":
        own = (CUSHION,)
    elif function == "HEDGE_OPTIMIZE":
        regimes, own = (regime, *SHOWN), (TIME_LIMIT,)
    elif function == "MARGIN_CALL_MOVE":
        regimes, own = (regime, "risk"), (BASIS,) if regime == "regt" else ()
    elif function == "LIQUIDATION_PLAN":
        own = (CUSHION, TIME_LIMIT, PLAN_BY, *((BASIS,) if regime == "regt" else ()))
    elif function == "MARGIN_CONTRIBUTION":
        own = (TIME_LIMIT,) if regime in ("regt", "regt_maintenance", "account") else ()
        own += (BASIS,) if regime == "regt" else ()
    elif function != "MARGIN_IMPACT":
        raise ValueError(f"no function '{function}' computing a chosen regime")  # a programming error
    specs = {spec.name: spec for name in dict.fromkeys(regimes) for spec in engine(name)}
    return tuple({**specs, **{spec.name: spec for spec in own}}.values())


def unread_refusal(functions: tuple[str, ...], regimes: tuple[str, ...]) -> Callable[[str], str | None]:
    """What refuses a parameter that ``functions`` (one worksheet function, or the ones a command
    runs: ``plan`` runs LIQUIDATION_PLAN and MARGIN_CALL_MOVE) do not read when they compute
    ``regimes`` (:func:`function_reads`): a parameter name → the one line saying so, naming the
    other regimes of those functions that read it, else the functions that do; None where it is
    read. The worksheet functions, the Python API and the command line refuse with it alike
    (:func:`xlmargin.params.read_params`' ``unread``), so that a ``basis`` given under portfolio
    margin is an error, not a figure the user believes it changed."""
    read = _read_names(functions, regimes)
    kind = "objective" if functions == ("HEDGE_OPTIMIZE",) else "regime"
    under = f"{kind} {regimes[0]}" if len(regimes) == 1 else f"{kind}s {', '.join(regimes)}"

    def refusal(name: str) -> str | None:
        if name in read or name == "sleeve":
            return None
        others = [r for f in functions for r in choices_of(f) if r not in regimes and _reads(f, r, name)]
        elsewhere = [r for f in _BY_FUNCTION for r in choices_of(f) if _reads_engine(r, name)]
        readers = [f for f in _BY_FUNCTION if any(_reads(f, r, name) for r in choices_of(f))]
        if others:
            where = f": {kind} {_either(list(dict.fromkeys(others)))} reads it"
        elif elsewhere:  # an engine's parameter, of regimes these functions do not offer
            offered = " and ".join(functions)
            where = f": regime {_either(list(dict.fromkeys(elsewhere)))} reads it (not a regime of {offered})"
        elif readers:  # a function's own (cushion, time_limit, plan_by)
            where = f": {_both(readers)} {'read' if len(readers) > 1 else 'reads'} it"
        else:
            where = ""
        return f"{name} is not read by {' and '.join(functions)} under {under}{where}"

    return refusal


@cache
def _read_names(functions: tuple[str, ...], regimes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(spec.name for f in functions for r in regimes for spec in function_reads(f, r))


def _reads(function: str, regime: str, name: str) -> bool:
    return name in _read_names((function,), (regime,))


def _reads_engine(regime: str, name: str) -> bool:
    """Whether ``regime``'s engine reads ``name`` (as MARGIN_IMPACT reads it: nothing of its own)."""
    return _reads("MARGIN_IMPACT", regime, name)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _both(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
