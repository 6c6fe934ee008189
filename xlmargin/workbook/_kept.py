"""Formula cells the formula engine cannot compute, and why (the caller keeps their cached values).

:func:`uncomputable` finds them before evaluation: a function the engine lacks, a link to another
workbook, a DDE link (``=cmd|' /c calc'!A0``: a program Excel would ask, never run here);
:func:`unresolved` after it: the cells it answered ``#NAME?`` for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import formualizer as fz

from . import _formula as fm
from . import _sheetxml as sx
from ._engine import native_output
from ._values import FIT
from .report import CellResult, KeptCell

__all__ = ["uncomputable", "unresolved"]

# DDE (``app|topic!item``, ``cmd|' /c calc'!A0``): a program name before ``|``, not in a quoted sheet name
_DDE = re.compile(r"(?<!['\w.])([A-Za-z_][\w.]*)\|('(?:[^']|'')*'|[\w.]+)![\w$]*")
_WORD = re.compile(r"[A-Za-z_\\][\w.]*")


def _array_ref(cell: sx.Cell) -> str:
    return cell.formula.ref or sx.format_ref(cell.row, cell.col)


def _names(text: str) -> set[str]:
    """The upper-cased words of ``text`` outside string literals (the names it may use)."""
    return {w.upper() for w in _WORD.findall(fm.STRING.sub('""', text))}


def uncomputable(
    cells: Mapping[str, list[sx.Cell]],
    every: str,
    builtin: set[str],
    tick: Callable[[], None] = sx.no_tick,
) -> dict[tuple[str, int, int], KeptCell]:
    """The formula cells the engine cannot compute: a function it lacks, another workbook.
    ``every`` is the text of every formula; ``builtin`` the functions they call that are not
    Python functions (the engine must know them)."""
    missing = _missing_functions(frozenset(builtin - {FIT}))
    linked = fm.may_link(every) or "|" in every
    if not missing and not linked:
        return {}
    kept = {}
    for sheet, found in cells.items():
        for c in found:
            tick()
            text = c.formula.text
            if c.formula.kind == "dataTable" or not (
                (linked and (fm.may_link(text) or "|" in text)) or any(n in text.upper() for n in missing)
            ):
                continue
            lacking = sorted(fm.functions(text) & missing)
            dde = _DDE.search(fm.STRING.sub('""', text))
            link = fm.external(text)
            if dde is not None:
                reason = (
                    f"a DDE link ({dde.group()}): Excel would ask the program {dde.group(1)} "
                    "for its value; not run here"
                )
            elif lacking:
                verb = "is" if len(lacking) == 1 else "are"
                reason = f"{', '.join(lacking)} {verb} not available here"
            elif link is not None:
                reason = f"links to another workbook ({link})"
            else:
                continue
            ref = _array_ref(c) if c.formula.kind == "array" else sx.format_ref(c.row, c.col)
            kept[(sheet, c.row, c.col)] = KeptCell(sheet, ref, "=" + c.formula.text, reason)
    return kept


@lru_cache(maxsize=64)
def _missing_functions(names: frozenset[str]) -> frozenset[str]:
    """The names among ``names`` that the engine does not implement (it answers ``#NAME?``)."""
    if not names:
        return frozenset()
    ordered = sorted(names)
    probe = fz.Workbook()
    probe.add_sheet("probe")
    for i, name in enumerate(ordered, start=1):
        probe.set_formula("probe", i, 1, f"={name}()")
    with native_output("probe"):
        probe.evaluate_all()
    lacking = set()
    for i, name in enumerate(ordered, start=1):
        value = probe.get_value("probe", i, 1)
        if isinstance(value, dict) and value.get("kind") in ("Name", "NImpl"):
            lacking.add(name)
    return frozenset(lacking)


def unresolved(
    results: dict[tuple[str, int, int], CellResult],
    cells: Mapping[str, list[sx.Cell]],
    names: Sequence[tuple[str, str | None, str]] = (),
) -> dict[tuple[str, int, int], KeptCell]:
    """Cells the engine answered ``#NAME?`` for, taken out of ``results``: every function it lacks
    was kept before evaluation, so the name is a reference it cannot resolve (a structured
    reference :mod:`._tables` could not place, a defined name: ``names``, as
    :func:`._package.defined_names` gives them, tell one that refers to another workbook), or the
    cell reads such a cell. Excel resolves what the engine cannot, so the cached value stands."""
    linked = {name.upper(): (name, value) for name, _, value in names if fm.external(value) is not None}
    anchors = {(name, c.row, c.col): c for name, found in cells.items() for c in found}
    failed = [k for k, r in results.items() if r.value == "#NAME?"]
    refs = {k: f"{k[0]}!{results[k].ref}" for k in failed if k in anchors}
    kept = {}
    for key in failed:
        result = results.pop(key)
        if key not in anchors:  # a member of an array formula: its anchor reports it
            continue
        text = anchors[key].formula.text
        read = [
            refs[k]
            for k in refs
            if k != key
            and any(
                a[0] in (None, k[0]) and a[1] <= k[1] <= a[3] and a[2] <= k[2] <= a[4] for a in fm.areas(text)
            )
        ]
        if read:
            reason = f"reads {read[0]}, which the formula engine cannot compute"
        elif (name := next((linked[n] for n in _names(text) if n in linked), None)) is not None:
            reason = f"the name {name[0]} refers to another workbook ({name[1]}); not read here"
        elif "[" in fm.STRING.sub('""', text):
            reason = "the formula engine cannot resolve its structured reference (#NAME?)"
        else:
            reason = "the formula engine cannot resolve a name in it (#NAME?)"
        kept[key] = KeptCell(key[0], result.array_ref or result.ref, result.formula, reason)
    return kept
