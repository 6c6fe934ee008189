"""The exceptions xlmargin raises, and the one-line messages users see.

::

    XlMarginError                 code "XLM"   base: every error the engine raises on purpose
    ├── InputError                code "INPUT" the positions or parameter range is malformed
    ├── MissingDataError          code "DATA"  a value the calculation needs is not in the input
    ├── RuleError                 code "RULE"  a rule file is missing, malformed or inconsistent
    └── UnsupportedError          code "UNSUP" a position no rule of the chosen regime covers

Every error carries a list of :class:`Problem` (row, column, message). Parsing collects all
problems of a table and raises once, so a user fixes a range in one pass. ``str(error)`` is one
line: ``row 7, price: '#N/A' is not a number (+2 more)``; ``error.details()`` lists every problem,
one per line, for the CLI and the log. A worksheet function that fails shows ``#CODE`` and that
line in its cell, its row counted in the range it was handed (``#INPUT row 4 of the range, price:
...``, :data:`IN_RANGE`; ``#ERROR`` for an unexpected failure): :func:`is_error_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input: where (spreadsheet row, column header) and what."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        return self.text()

    def text(self, rows: str = "") -> str:
        """The problem as one line; ``rows`` follows the row number (:data:`IN_RANGE`)."""
        where = []
        if self.row is not None:
            where.append(f"row {self.row}{rows}")
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}" if where else self.message


IN_RANGE = " of the range"
"""What a worksheet function's message adds to a row number (``row 4 of the range, quantity``): the
function is handed a range's values, not its address, so it counts rows from the range's first row
(row 1; the header row when the range starts there), not the sheet's."""
SHOWN_CHARS = 80
"""A user's value a message quotes is cut to this many characters (:func:`shown`)."""
CELL_CHARS = 32_767
"""Excel's limit on the characters of a cell: no worksheet function returns a longer text."""
NO_VOLATILITY_FIX = "give a volatility or fix the price"
"""How the error on an option price no volatility reproduces ends (the pricing kernel's); a broker
export's error adds how an export gives one (:meth:`xlmargin.brokers.BrokerTable.explain`)."""


def shown(value: object) -> str:
    """A user's value (a cell, a parameter's name, a symbol) as a message quotes it: its text, or,
    when longer than :data:`SHOWN_CHARS`, its first characters and its length, so a message stays
    one readable line and an error text fits in a cell whatever was pasted."""
    text = str(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}... ({len(text):,} characters)"


def fit_cell(text: str) -> str:
    """``text`` cut to Excel's :data:`CELL_CHARS`, saying how long it was, when it is longer."""
    if len(text) <= CELL_CHARS:
        return text
    tail = f"... ({len(text):,} characters)"
    return text[: CELL_CHARS - len(tail)] + tail


def a_or_an(word: str) -> str:
    """``word`` with its indefinite article, for messages that name a position type: "an option",
    "an etf" and "an fx" (said letter by letter), "a stock", "a future"."""
    return f"{'an' if word[:1].lower() in 'aeiou' or word.lower() == 'fx' else 'a'} {word}"


def rate_text(rate: float) -> str:
    """A rate as messages print it: ten significant digits (``0.8514261388``), so a rate a message
    names or advises can be typed back as it reads, and agrees with the rate it came from
    (:data:`xlmargin.dollars.SAME_RATE`); six (``:g``) printed 0.851426 for 0.8514261387824605 and
    "1.1745, not 1.1745" for two rates a message said disagree."""
    return f"{rate:.10g}"


class XlMarginError(Exception):
    """Base of every deliberate xlmargin error; ``code`` is stable across versions."""

    code = "XLM"

    def __init__(self, problems: str | Problem | Iterable[Problem]):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("an XlMarginError needs at least one problem")
        super().__init__(self.summary())

    def summary(self, rows: str = "") -> str:
        """One line: the first problem (``rows`` after its row number: :meth:`Problem.text`), and
        how many more there are."""
        first = self.problems[0].text(rows)
        more = len(self.problems) - 1
        return f"{first} (+{more} more)" if more else first

    def details(self) -> str:
        """Every problem, one per line."""
        return "\n".join(str(p) for p in self.problems)


class InputError(XlMarginError):
    """The positions table or parameter range is malformed (text in a number column, …)."""

    code = "INPUT"


class MissingDataError(XlMarginError):
    """A value the calculation needs is absent (an FX rate, an option's underlying price, …)."""

    code = "DATA"


class RuleError(XlMarginError):
    """A rule file is missing, malformed or refers to something that does not exist."""

    code = "RULE"


class UnsupportedError(XlMarginError):
    """A position that no rule of the requested regime covers; never silently priced at zero."""

    code = "UNSUP"


# What a worksheet function shows when it fails (xlmargin.excel.route.call): "#INPUT row 4 of the range, ..."
_ERROR_TEXT = re.compile(r"\s*#(?:XLM|INPUT|DATA|RULE|UNSUP|ERROR)\b")


def is_error_text(value: object) -> bool:
    """Whether ``value`` is the text a failed xlmargin function shows in its cell (Excel's own error
    values such as ``#N/A`` are not)."""
    return isinstance(value, str) and _ERROR_TEXT.match(value) is not None


_INNER_ERROR_TEXT = re.compile(r"#(?:XLM|INPUT|DATA|RULE|UNSUP|ERROR)\b")


def first_cause(text: str) -> str:
    """The innermost xlmargin error a failure's first line quotes: a cell that failed because a cell
    it reads holds an error ("#INPUT requirement: the cell holds an error, not a number: #INPUT row 2
    of the range, price: ...", "#REF! in a formula calling PM_SCENARIOS, which failed: #INPUT ...")
    quotes that error last. The whole line where it quotes none."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    starts = [m.start() for m in _INNER_ERROR_TEXT.finditer(line)]
    return line[starts[-1] :] if starts else line
