"""The batch's input: one table of many accounts, read once, and each account's rows."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from xlmargin._typing import FloatArray, IntArray
from xlmargin.batch.equity import equity_column, read_equity
from xlmargin.cells import is_blank, is_boolean, refused
from xlmargin.errors import InputError, Problem, XlMarginError, shown
from xlmargin.positions import NO_POSITIONS, Portfolio, read_positions
from xlmargin.positions.conventions import Groups
from xlmargin.positions.infer import RowsWarning, every_row_named, rows_text
from xlmargin.positions.marks import mark_problems, spot_warnings

# Valuations of the union of many accounts that may fail on named rows (whose accounts are then
# taken out and margined alone) before the rest go one account at a time too (pm and risk regimes).
RETRIES = 3


@dataclass(frozen=True)
class Accounts:
    """The table read once: the portfolio of every readable row, and which account each row is.

    ``account`` maps each portfolio row to an index into ``names``; ``errors`` holds, per account
    index, the error of an account that cannot be margined (rows the reader refused).
    """

    names: list[str]
    portfolio: Portfolio
    account: IntArray
    positions: IntArray  # per account: its number of positions
    errors: dict[int, XlMarginError]
    # per account: its equity from the table's equity column (NaN: none given); None without the column
    equity: FloatArray | None = None
    # per account: the reader's warnings on its own rows, as on the account alone (its coupon and
    # yield units decided on them), before its engine's in its ``warnings`` cell
    warnings: dict[int, list[str]] = field(default_factory=dict)

    def file_warnings(self) -> list[str]:
        """The reader's warnings that concern the file as a whole (naming no row: a column ignored, a
        header read as another's alias), and the accounts whose ids differ only in case
        (:func:`case_twins`); those naming rows are in their accounts' ``warnings``."""
        return [
            *case_twins(self.names),
            *(w for w in self.portfolio.warnings if not isinstance(w, RowsWarning)),
        ]

    def equity_of(self, codes: Iterable[int]) -> dict[int, float]:
        """The equity of each account of ``codes`` that has one (plain floats: what a Dask task carries)."""
        if self.equity is None:
            return {}
        return {code: float(self.equity[code]) for code in codes if not np.isnan(self.equity[code])}

    def part(self, codes: Sequence[int]) -> Part:
        """The accounts ``codes`` (increasing), their rows gathered one account after another."""
        order = np.argsort(self.account, kind="stable")
        bounds = np.searchsorted(self.account[order], np.arange(len(self.names) + 1))
        pieces = [order[bounds[code] : bounds[code + 1]] for code in codes]
        take = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        ends = np.cumsum([0, *(len(piece) for piece in pieces)]).tolist()
        arrays = {k: v[take] for k, v in self.portfolio.arrays.items()}
        coded = {name: self.portfolio.codes(name) for name in self.portfolio.coded()}
        return Part(list(codes), arrays, ends, {name: (c[take], v) for name, (c, v) in coded.items()})


@dataclass(frozen=True)
class Part:
    """Some accounts' rows, one account after another: account ``codes[k]`` holds the rows
    ``bounds[k]`` to ``bounds[k + 1] - 1`` of ``arrays`` (a portfolio's columns). What the batch
    values at once, and ships to a Dask worker (arrays and plain values only)."""

    codes: list[int]
    arrays: dict[str, np.ndarray]
    bounds: list[int]
    # the reader's codes of text columns (type, class group...) for these rows: the union's engine
    # call groups rows by them without hashing every cell again
    coded: dict[str, tuple[IntArray, tuple[Any, ...]]] = field(default_factory=dict)

    def portfolio(self, as_of: dt.date) -> Portfolio:
        """The part's rows as one portfolio, the codes carried."""
        return Portfolio(dict(self.arrays), as_of, (), self.coded)

    def books(self) -> list[tuple[int, dict[str, np.ndarray]]]:
        """(account, its portfolio's arrays) for each account: views of the part's columns."""
        return [
            (code, {k: v[lo:hi] for k, v in self.arrays.items()})
            for code, lo, hi in zip(self.codes, self.bounds, self.bounds[1:], strict=False)
        ]

    def only(self, keep: Sequence[bool]) -> Part:
        """The part with only the accounts whose flag in ``keep`` (one per account, in order) is true."""
        if all(keep):
            return self
        rows = np.repeat(np.asarray(keep, dtype=bool), np.diff(self.bounds))
        sizes = np.diff(self.bounds)[np.asarray(keep, dtype=bool)]
        return Part(
            [code for code, k in zip(self.codes, keep, strict=True) if k],
            {k: v[rows] for k, v in self.arrays.items()},
            np.cumsum([0, *sizes.tolist()]).tolist(),
            {name: (c[rows], v) for name, (c, v) in self.coded.items()},
        )


def read_accounts(data: Any, by: str, as_of: dt.date, equity: str | None = None) -> Accounts:
    """Split ``data`` (a DataFrame or a list of lists, header first) by its ``by`` column and read it.

    Rows are numbered as the positions reader numbers them (the header's row plus one for the
    first row; blank rows above the header, as a file's title rows come, count). A fully blank row
    is ignored, and so is a row that gives only the account's name; an account left without any
    position is an error naming those rows (it used to be margined as an empty book: 0). A row with
    a blank account, and every row the reader refuses, makes an error for its account (the blank
    one is named ""); a problem the reader cannot place on a row (a missing column) stops the batch,
    as it concerns every account.

    ``equity`` names the column holding each account's equity, set aside as the account column is
    and read by :func:`xlmargin.batch.equity.read_equity`; an account whose cells do not give one
    amount gets that error. A row giving only the account's name and its equity holds no position.
    """
    above, header, rows = _rows(data)
    first = above + 2  # the row number of rows[0]
    col, names, row_account, errors = _account_codes(header, rows, by, first)
    aside = {col}
    amounts = None
    if equity is not None:
        aside.add(equity_col := equity_column(header, equity, col, first - 1))
        heading = str(header[equity_col]).strip()  # as the header spells it
        amounts, refused = read_equity(rows, equity_col, row_account, len(names), first, heading)
        for code, refusal in refused.items():
            errors.setdefault(code, []).append(refusal)
    # the reader ignores a column without a header: the account (and equity) column stays in place, unread
    head = [None if j in aside else h for j, h in enumerate(header)]

    def named_only(row: list[Any]) -> bool:
        """Whether a row gives only its account's name (and equity; blank elsewhere, a 0 blank as
        the reader has it)."""
        return all(_blank(v) or is_blank(v) for j, v in enumerate(row) if j not in aside)

    groups = Groups(first, row_account)
    with every_row_named():  # a warning on rows names them all: their accounts are found
        portfolio = _read_placing_errors([[]] * above, head, rows, groups, as_of, errors)
    _own_warnings(portfolio.warnings, head, rows, groups, as_of, errors)
    account = row_account[portfolio.arrays["row"] - first]
    # a stock priced apart from its options' underlying price, warned of as on the account alone
    # (the table is read as no one book's holdings: its marks are checked account by account)
    for code, warning in spot_warnings(portfolio, account).items():
        groups.warnings.setdefault(code, []).append(warning)
    positions = np.bincount(account, minlength=len(names))
    for code in errors:  # its rows the reader read (a row giving only the name is blank to it)
        own = np.flatnonzero(row_account == code).tolist()
        positions[code] = sum(not named_only(rows[i]) for i in own)
    for code in np.flatnonzero(positions == 0).tolist():  # every row of it names only the account
        named = (np.flatnonzero(row_account == code) + first).tolist()
        given = "its name is" if amounts is None or np.isnan(amounts[code]) else "its name and equity are"
        problem = f"the account holds no positions (only {given} given: {rows_text(named)})"
        errors[code] = [Problem(problem, named[0], by)]
    return Accounts(
        names=names,
        portfolio=portfolio,
        account=account,
        positions=positions,
        errors={code: InputError(problems) for code, problems in errors.items()},
        equity=amounts,
        warnings=groups.warnings,
    )


def _account_codes(
    header: list[Any], rows: list[list[Any]], by: str, first: int
) -> tuple[int, list[str], IntArray, dict[int, list[Problem]]]:
    """The ``by`` column's index, the account names in order of appearance ("" for a blank), each
    row's account index (-1 for a fully blank row, which belongs to no account) and, per account,
    the problems of its id cells (:func:`_id_problems`: a blank, a TRUE/FALSE, a date, an error
    value). Rows are numbered from ``first``.

    Cells are told apart by type as well as value (TRUE == 1 == 1.0 in Python): two cells are one
    account when they show the same id (:func:`_label`), so a number 1, a float 1.0 and a text "1"
    are one account, and "001" another; TRUE is never account 1."""
    keys = [str(h).strip().lower() for h in header]
    if by.strip().lower() not in keys:
        raise InputError(Problem(f"the table has no '{by}' column to split the accounts by", 1, by))
    col = keys.index(by.strip().lower())
    raw = [r[col] if col < len(r) else None for r in rows]
    typed = list(zip(map(type, raw), raw, strict=True))
    label = {k: "" if _blank(k[1]) else _label(k[1]) for k in dict.fromkeys(typed)}
    empty = [all(map(_blank, r)) for r in rows]
    names = list(dict.fromkeys(x for x, e in zip(map(label.__getitem__, typed), empty, strict=True) if not e))
    code_of = {name: i for i, name in enumerate(names)}
    codes = np.fromiter(
        (-1 if e else code_of[label[k]] for k, e in zip(typed, empty, strict=True)), np.int64, len(raw)
    )
    return col, names, codes, _id_problems(typed, codes, code_of, first, by)


def _id_problems(
    typed: list[tuple[type, Any]], codes: IntArray, code_of: dict[str, int], first: int, by: str
) -> dict[int, list[Problem]]:
    """Per account, the problems of its id cells: blank (the account ""), TRUE/FALSE, a date or an
    Excel error value, each naming every row (the first few and how many more), at the first."""
    found: dict[int, list[Problem]] = {}
    if "" in code_of:
        blank = (np.flatnonzero(codes == code_of[""]) + first).tolist()
        found[code_of[""]] = [Problem(f"the account is blank in {rows_text(blank)}", blank[0], by)]
    for key in [k for k in dict.fromkeys(typed) if _id_refused(k[1], "") is not None]:
        at = [first + i for i, k in enumerate(typed) if k == key and codes[i] >= 0]
        if at:
            why = _id_refused(key[1], f" ({rows_text(at)})" if len(at) > 1 else "")
            found.setdefault(int(codes[at[0] - first]), []).append(Problem(str(why), at[0], by))
    return found


def _id_refused(value: Any, rows: str) -> str | None:
    """Why a cell of the account column is no account id, the ``rows`` holding it after the value:
    an Excel error value, a formula never calculated, a TRUE/FALSE or a date, as the reader
    refuses them in any text column."""
    if (why := refused(value)) is not None:
        return f"{why}{rows}"
    if is_boolean(value):
        return f"{_label(value)} is a TRUE/FALSE cell{rows}, not an account id"
    if isinstance(value, dt.date | np.datetime64):
        return (
            f"{_label(value)} is a date{rows}, not an account id; Excel may have turned an id into a "
            "date: format the column as text and type the ids again"
        )
    return None


def _read_placing_errors(
    above: list[list[Any]],
    head: list[Any],
    rows: list[list[Any]],
    groups: Groups,
    as_of: dt.date,
    errors: dict[int, list[Problem]],
) -> Portfolio:
    """The portfolio of the rows (below the blank rows ``above`` the header); when the reader
    refuses rows, their problems go to their accounts in ``errors`` and the table is read again
    without those accounts' rows, until it reads (the reader's problems, then another account's
    conflicting marks, checked only on a table the reader could read). A problem on no row (a
    missing column) is raised, as it concerns every account. No row left to read (each gives only
    its account's name, or is an erring account's): no positions, each account's row then says
    why. ``groups`` says each row's account; the reader leaves in it each account's own warnings."""
    first, row_account = len(above) + 2, groups.codes

    def read(table: list[list[Any]]) -> Portfolio:
        try:
            groups.warnings.clear()  # the last reading's are kept
            book = read_positions(table, as_of=as_of, holdings=False, groups=groups)
        except InputError as exc:
            if rows and [p.message for p in exc.problems] == [NO_POSITIONS]:  # each account says why
                return Portfolio.from_positions([], as_of)
            raise
        # one contract, one price within each account (two accounts may mark it apart)
        if conflicts := mark_problems(book, row_account[book.arrays["row"] - first]):
            raise InputError(conflicts)
        return book

    rows_at = range(first, first + len(rows))
    kept = rows
    while True:  # each pass places its problems on accounts not yet erring, so it ends
        try:
            return read([*above, head, *kept])
        except InputError as exc:
            placed = [(p.row - first, p) for p in exc.problems if p.row is not None and p.row in rows_at]
            if not placed or len(placed) < len(exc.problems):
                raise
            for i, p in placed:
                errors.setdefault(int(row_account[i]), []).append(p)
            bad = np.isin(row_account, list(errors))
            kept = [[] if b else r for r, b in zip(rows, bad, strict=True)]


def _own_warnings(
    union: Sequence[str],
    head: list[Any],
    rows: list[list[Any]],
    groups: Groups,
    as_of: dt.date,
    errors: dict[int, list[Problem]],
) -> None:
    """Put in ``groups.warnings`` each account's reader warnings as the account alone gets them:
    where a warning of the whole table (``union``, read naming every row) names rows (a
    :class:`~xlmargin.positions.infer.RowsWarning`, carrying them), the accounts owning them are
    read again alone, their rows
    keeping their numbers in the file, and keep those of their warnings that name rows or that the
    table did not give (a warning of the whole table naming no row concerns the file:
    :meth:`Accounts.file_warnings`). Coupon and yield units go to ``groups`` in both readings,
    decided the same way."""
    first, row_account = groups.first, groups.codes
    named = [w for w in union if isinstance(w, RowsWarning)]
    if not named:
        return
    found = [row - first for w in named for row in w.rows]
    codes = set(row_account[[i for i in found if 0 <= i < len(rows)]].tolist())
    codes -= {-1, *errors}
    file_wide = set(union) - set(named)
    for code in sorted(codes):
        own = np.flatnonzero(row_account == code)
        aside = Groups(first, row_account)  # the coupon and yield units' warnings are in ``groups``
        try:
            alone = read_positions(
                [head, *(rows[i] for i in own.tolist())],
                as_of=as_of,
                holdings=False,
                groups=aside,
                rows_at=(own + first).tolist(),
            )
        except InputError:  # as it read in the table: its rows the table's warnings name
            mine = set((own + first).tolist())
            said: list[str] = [w for w in named if mine & set(w.rows)]
        else:
            said = [w for w in alone.warnings if w not in file_wide]
        if said:
            groups.warnings[code] = [*said, *groups.warnings.get(code, ())]


def bar(items: Iterable[Any], total: int, show: bool) -> Iterable[Any]:
    if not show or total <= 1:
        return items
    from tqdm import tqdm

    return tqdm(items, total=total, unit="part", file=sys.stderr, desc="accounts")


def message(exc: XlMarginError) -> str:
    return f"#{exc.code} {exc.summary()}"


SEPARATOR = " | "  # between an account's warnings in its ``warnings`` cell


def joined(warnings: Iterable[str]) -> str:
    """An account's warnings as one cell, in the order ``xlmargin margin`` prints them for the
    account alone, joined by :data:`SEPARATOR` ("" when none)."""
    return SEPARATOR.join(warnings)


def case_twins(names: Iterable[str]) -> list[str]:
    """A warning for each set of account ids that differ only in case ('acc1', 'ACC1'), and for
    each set that write one number in different ways ('001', '1', '1.0'): margined as the accounts
    they are, since a broker's ids may be case-sensitive and an id is read as written, but likely
    one account typed two ways (Excel drops the leading zeros of an id typed in a General column)."""
    same: dict[str, list[str]] = {}
    number: dict[Decimal, list[str]] = {}
    for name in names:
        same.setdefault(name.casefold(), []).append(name)
        if _NUMBER.fullmatch(name):
            number.setdefault(Decimal(name), []).append(name)
    out = []
    for group, what in [
        *((g, "differ only in case") for g in same.values()),
        *((g, "are one number written in different ways") for g in number.values()),
    ]:
        if len(group) < 2:
            continue
        quoted = [f"'{shown(name)}'" for name in group]
        listed = f"{', '.join(quoted[:-1])} and {quoted[-1]}"
        why = "account ids are case-sensitive" if what[0] == "d" else "an id is read as written"
        out.append(
            f"accounts {listed} {what}: margined as {len(group)} accounts ({why}); if they are one "
            "account, write its id one way"
        )
    return out


_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?")  # an id that is a number written out


def _label(value: Any) -> str:
    """An account's name as its cell shows it: a whole number held as a float (a DataFrame's float
    column, 1001.0; Excel stores every number so) as the integer 1001; any other number and every
    text as it is ('1001.0' typed as text stays so: a text id is never changed); a TRUE/FALSE as
    TRUE or FALSE and a date as YYYY-MM-DD (refused ids: :func:`_id_refused`)."""
    if is_boolean(value):
        return str(bool(value)).upper()
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and np.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


def _rows(data: Any) -> tuple[int, list[Any], list[list[Any]]]:
    """(blank rows above the header, header, data rows) of a DataFrame or a list of lists."""
    if type(data).__name__ == "DataFrame":
        values = data.astype(object).where(data.notna(), None).values.tolist()
        return 0, [str(c) for c in data.columns], values
    if (
        isinstance(data, Sequence)
        and not isinstance(data, str)
        and (not data or isinstance(data[0], Sequence))
    ):
        above = 0
        while above < len(data) and all(map(_blank, data[above])):
            above += 1
        if above == len(data):  # no row, or only blank ones (an empty file): as margin says it
            raise InputError(Problem("the positions range is empty"))
        header, *rows = data[above:]
        return above, list(header), [r if isinstance(r, list) else list(r) for r in rows]
    raise InputError(Problem(f"expected a table with a header row, got {type(data).__name__}"))
