"""Unconfirmed ([L]) rule terms as parameters of the params range, generated from the rule file.

A rule file marks its unconfirmed terms as data, in two ways (``regt.toml``, ``esma.toml``):

- a table whose ``confidence`` is ``"L"``: each of its scalar terms (a number or a switch; not
  ``source``, ``notes``, ``name``) is a parameter named ``<table>.<term>`` (``box.short_recognised``,
  ``conversion.strike_pct``, ``nfa.major_pct``);
- ``unconfirmed_cells = { <term> = ["buckets[0][1]", ...] }`` in any table: an [L] figure held in
  a list (a bucket's rate, an edge two buckets share) is the parameter ``<table>.<term>``, which
  sets every cell it lists (``fixed_income.municipal.pct``, ``house_bonds.ibkr.treasury.six_month_years``).

A parameter left blank is the rule file's value; a given one is an override of the rule for this
calculation only (:func:`overrides`, passed to :meth:`~xlmargin.rules.RuleSet.with_overrides`).
A term ending in ``_pct`` and a bucket's rate (its third cell) are rates (``7%`` is 0.07, above 0
and at most 1); a bucket's edge is held between its rows' other edges.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xlmargin.params import Param
from xlmargin.rules import RuleSet

_META = ("source", "confidence", "notes", "name", "id", "title")
_CELL = re.compile(r"^(\w+)\[(\d+)\]\[(\d+)\]$")


def _cells(table: Mapping[str, Any]) -> dict[str, tuple[tuple[str, int, int], ...]]:
    found = {}
    for term, cells in table.get("unconfirmed_cells", {}).items():
        parsed = []
        for cell in cells:
            match = _CELL.match(str(cell))
            if match is None:  # a malformed rule file: a programming error, caught by the tests
                raise ValueError(f"unconfirmed cell '{cell}' is not <list>[row][column]")
            parsed.append((match[1], int(match[2]), int(match[3])))
        found[term] = tuple(parsed)
    return found


def unconfirmed_params(rule_set: RuleSet) -> tuple[Param, ...]:
    """The parameters of ``rule_set``'s [L] terms, in the file's order (blank: the file's value)."""
    specs: list[Param] = []
    for name, table in rule_set.tables().items():
        if name.endswith(".unconfirmed_cells") or "[" in name:
            continue
        where = f"{rule_set.name}.toml [{name}]"
        if table.get("confidence") == "L":
            for term, value in table.items():
                if term in _META or term == "unconfirmed_cells" or isinstance(value, Mapping | tuple | str):
                    continue
                specs.append(_spec(f"{name}.{term}", value, where, term.endswith("_pct"), (None, None)))
        for term, cells in _cells(table).items():
            values = [table[key][row][col] for key, row, col in cells]
            rate = all(col == 2 for _, _, col in cells)
            low = [table[key][row][0] for key, row, col in cells if col == 1]
            high = [table[key][row][1] for key, row, col in cells if col == 0]
            bounds = (max(low, default=None), min(high, default=None))
            specs.append(_spec(f"{name}.{term}", values[0], where, rate, bounds))
    return tuple(specs)


def _spec(name: str, value: Any, where: str, rate: bool, bounds: tuple[Any, Any]) -> Param:
    text = f"unconfirmed [L] term of {where}, a parameter to verify"
    if isinstance(value, bool):
        return Param(name, "bool", None, f"{text}; default {str(value).lower()}")
    shown = f"{value * 100:g}%" if rate else f"{value:g}"
    low, high = (0.0, 1.0) if rate else bounds
    return Param(
        name,
        "number",
        None,
        f"{text}; default {shown}",
        minimum=0.0 if low is None else float(low),
        maximum=None if high is None else float(high),
        rate=rate,
        positive=rate,  # a rate of 0 is no deposit (an NFA rate divides the notional into a leverage)
    )


def overrides(rule_set: RuleSet, given: Mapping[str, Any]) -> dict[str, Any]:
    """The dotted-path overrides of ``rule_set`` that the given [L] parameters (name → value, None
    or absent: not given) make, for :meth:`~xlmargin.rules.RuleSet.with_overrides`."""
    found: dict[str, Any] = {}
    lists: dict[str, list[Any]] = {}
    for name, value in given.items():
        if value is None:
            continue
        table_name, _, term = name.rpartition(".")
        table = rule_set.get(table_name)
        cells = _cells(table).get(term)
        if cells is None:
            found[name] = bool(value) if isinstance(table[term], bool) else float(value)
            continue
        for key, row, col in cells:
            path = f"{table_name}.{key}"
            rows = lists.setdefault(path, [list(r) for r in table[key]])
            rows[row][col] = float(value)
    return found | lists
