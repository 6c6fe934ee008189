"""The command line's own amount options (``cushion --equity/--requirement``, ``plan --equity``,
``hedge --budget``) and limits (``recalc --max-cells``, ``--max-formulas``, ``--timeout``) read
their text by the cells' number rule (:func:`xlmargin.cells.to_number`), as the worksheet function
reads the same argument: argparse's ``float`` took '1_000', 'nan' and 'inf' and refused '$1,000,000'
in its own words; a '%' in an amount is refused in the cell's words. (Regression tests of input
reading; no published figure is involved.)
"""

from __future__ import annotations

import pytest

from xlmargin.cli import main
from xlmargin.errors import InputError
from xlmargin.excel import functions as fn
from xlmargin.excel import udfs

CUSHION = ["cushion", "--requirement", "180000"]


def cell_error(equity: str) -> str:
    """MARGIN_CUSHION's error text for ``equity``, without its '#INPUT equity: ' head."""
    text = udfs.MARGIN_CUSHION(equity, 180_000.0)
    assert isinstance(text, str), text
    return text.partition("equity: ")[2]


@pytest.mark.parametrize("equity", ["1_000", "nan", "inf", "-inf", "15%", "228,50", " "])
def test_an_equity_the_cell_refuses_is_refused_in_its_words(capsys, equity: str) -> None:
    """'1_000', 'nan', 'inf' and '-inf' were read by argparse's float (an equity of 1000, NaN, inf);
    '15%' was refused in argparse's words ("invalid float value")."""
    assert main([*CUSHION, f"--equity={equity}"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == f"xlmargin cushion: error: argument --equity: {cell_error(equity)}"


def test_the_percent_refusal_names_the_amount() -> None:
    assert cell_error("15%") == (
        "'15%' is a percentage, but equity is an amount: type the number without '%' "
        "(only rate parameters take one)"
    )


@pytest.mark.parametrize("equity", ["$1,000,000", "1,000,000", " 1000000 ", "1e6"])
def test_an_equity_with_dollars_and_thousands_separators_is_read(capsys, equity: str) -> None:
    """'$1,000,000' was refused ("invalid float value"); the cell reads it as 1,000,000."""
    assert main([*CUSHION, "--equity", equity]) == 0
    assert capsys.readouterr().out.splitlines()[-1].split() == ["820,000.00", "82.00%"]
    assert udfs.MARGIN_CUSHION(equity, 180_000.0) == [[820_000.0, 0.82]]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["cushion", "--equity", "250000", "--requirement", "1_000"], "--requirement"),
        (["plan", "book.csv", "--equity", "nan"], "--equity"),
        (["plan", "book.csv", "--equity", "15%"], "--equity"),
        (["hedge", "book.csv", "candidates.csv", "--budget", "inf"], "--budget"),
        (["hedge", "book.csv", "candidates.csv", "--budget", "5%"], "--budget"),
    ],
)
def test_every_amount_option_reads_by_the_cells_rule(capsys, argv: list[str], option: str) -> None:
    """Refused before any file is read (the files named here do not exist), exit code 2."""
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    name = option.removeprefix("--")
    given = argv[argv.index(option) + 1]
    assert err.endswith(f"argument {option}: {cell_words(name, given)}")


def cell_words(name: str, value: str) -> str:
    """What the worksheet functions say of ``value`` given as their argument ``name`` (the one
    reading MARGIN_CUSHION, LIQUIDATION_PLAN and HEDGE_OPTIMIZE give their equity, requirement and
    budget), without the argument's name before it."""
    with pytest.raises(InputError) as refused:
        fn.number(value, name)
    [problem] = refused.value.problems
    return problem.message


def test_a_limit_takes_thousands_separators_as_its_help_prints_the_default(capsys) -> None:
    """'--max-cells 1,000,000' (the default as --help prints it) was "invalid": now it reads, and
    the command goes on to the missing file."""
    assert main(["recalc", "missing.xlsx", "--max-cells", "1,000,000", "--timeout", "1,000"]) == 2
    assert capsys.readouterr().err.strip() == "xlmargin: missing.xlsx: no such file"
