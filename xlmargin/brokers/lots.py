"""Positions an export reports once as a summary and again per tax lot: each counted once, never dropped."""

from __future__ import annotations

from xlmargin.brokers import Record, parsed
from xlmargin.errors import InputError, Problem, shown


def summaries_or_lots(records: list[Record]) -> list[Record]:
    """An export's positions when it reports them once (``SUMMARY``) and again per tax lot: the
    summary rows, and for a position that has only lot rows, those lots summed into one (the first
    lot's row, the lots' quantity), never dropped. Rows of one position share its contract id, else
    its symbol and description. An export without summary rows is read as it is (its lots add up)."""
    if not any(r.get("detail").upper() == "SUMMARY" for r in records):
        return records
    _no_repeated_summaries(records)
    summarised = {_position_key(r) for r in records if r.get("detail").upper() == "SUMMARY"}
    lots: dict[tuple[str, ...], list[Record]] = {}
    for r in records:
        if r.get("detail").upper() != "SUMMARY" and _position_key(r) not in summarised:
            lots.setdefault(_position_key(r), []).append(r)
    out: list[Record] = []
    for r in records:
        if r.get("detail").upper() == "SUMMARY":
            out.append(r)
        elif (group := lots.get(_position_key(r))) is not None and group[0] is r:
            out += _summed(group)
    return out


def _no_repeated_summaries(records: list[Record]) -> None:
    """Refuse a ``SUMMARY`` row repeated field for field (an account's position reported twice):
    IBKR reports a position's summary once per statement, so a repeat is a report pasted twice, and
    reading both would double the position. Each repeat is named with the line it repeats."""
    seen: dict[tuple[tuple[str, str], ...], Record] = {}
    problems = []
    for r in records:
        if r.get("detail").upper() != "SUMMARY":
            continue
        first = seen.setdefault(tuple(sorted(r.values.items())), r)
        if first is not r:
            problems.append(
                Problem(
                    f"lines {first.line} and {r.line} report the same position ({shown(r.get('symbol'))} "
                    f"{shown(r.get('quantity'))} at {shown(r.get('price'))}) field for field: IBKR reports a "
                    "position once per statement, so the report looks pasted twice; remove the repeat",
                    r.line,
                    r.names.get("detail", "levelOfDetail"),
                )
            )
    if problems:
        raise InputError(problems)


def _position_key(r: Record) -> tuple[str, ...]:
    return (r.get("conid"),) if r.get("conid") else ("", r.get("symbol"), r.get("description"))


def _summed(lots: list[Record]) -> list[Record]:
    """A position's lots as one record: the first lot with their quantity added (the lots as they
    are when one is alone or a quantity does not read, so that its row is named)."""
    if len(lots) == 1:
        return lots
    quantities = [parsed(r.get("quantity"))[0] for r in lots]
    if None in quantities:
        return lots
    quantity = sum(q for q in quantities if q is not None)
    first = lots[0]
    return [Record(first.line, {**first.values, "quantity": f"{quantity:.15g}"}, dict(first.names))]


__all__ = ["summaries_or_lots"]
