"""``netting_example.xlsx``: the same legs margined alone and together, with why each rule nets
or does not."""

from __future__ import annotations

from xlmargin.templates.layout import AS_OF_ROW, POSITIONS, blocks, grid, text_rows
from xlmargin.templates.model import (
    DATE,
    MONEY,
    PNL,
    PRICE,
    QTY,
    Book,
    Cell,
    Name,
    Sheet,
    Table,
    Value,
)

# A correlated long/short example: long $100,000 and short $80,000 in correlated instruments,
# margined leg by leg and together. One sleeve per leg, so each formula picks its legs by sleeve.
NETTING_POSITIONS: tuple[tuple[Value, ...], ...] = (
    ("SPY", "etf", 145, 690.00, "c1_long", "Case 1 long: S&P 500 ETF"),
    ("VOO", "etf", -126, 632.50, "c1_short", "Case 1 short: S&P 500 ETF (another issuer)"),
    ("QQQ", "etf", 161, 620.00, "c2_long", "Case 2 long: Nasdaq-100 ETF"),
    ("SPY", "etf", -116, 690.00, "c2_short", "Case 2 short: S&P 500 ETF"),
    ("JPM", "stock", 320, 312.50, "c3_long", "Case 3 long: JPMorgan Chase ($100,000)"),
    ("BAC", "stock", -1600, 50.00, "c3_short", "Case 3 short: Bank of America ($80,000)"),
    ("EURUSD", "fx", 86200, 1.1600, "fx_long", "Case 4 long: 86,200 EUR against USD (≈ $100,000)"),
    ("GBPUSD", "fx", -59300, 1.3490, "fx_short", "Case 4 short: 59,300 GBP against USD (≈ $80,000)"),
    ("USDCHF", "fx", 80000, 0.8000, "chf_long", "Case 5 long: $80,000 against CHF"),
)

_LEG_BLOCKS: tuple[tuple[str, str], ...] = (
    ("C1Long", "c1_long"),
    ("C1Short", "c1_short"),
    ("C1Pair", "c1_long,c1_short"),
    ("C2Long", "c2_long"),
    ("C2Short", "c2_short"),
    ("C2Pair", "c2_long,c2_short"),
    ("C3Long", "c3_long"),
    ("C3Short", "c3_short"),
    ("C3Pair", "c3_long,c3_short"),
    ("FxLong", "fx_long"),
    ("FxShort", "fx_short"),
    ("FxPair", "fx_long,fx_short"),
    ("ChfLong", "chf_long"),
    ("EurChfPair", "fx_long,chf_long"),
)
_NETTING_BLOCK_CELLS, _NETTING_BLOCK_NAMES = blocks(
    "Parameters",
    "A8",
    tuple((name, f"sleeve {sleeves}", (AS_OF_ROW, ("sleeve", sleeves))) for name, sleeves in _LEG_BLOCKS),
)

_NETTING_PARAMETERS_SHEET = Sheet(
    "Parameters",
    cells=(
        Cell("A1", "Parameters", "title"),
        Cell(
            "A2",
            "The valuation date is the only input; the blocks below pick each case's legs by their "
            "sleeve and feed the Netting sheet's formulas.",
            "subtitle",
        ),
        *grid("A4", [("Parameter", "Value", "Meaning")], "header"),
        Cell("A5", "Valuation date", "label"),
        Cell("B5", None, "input", DATE),
        Cell("C5", "Blank = today. Stocks, ETFs and spot FX do not depend on it.", "note"),
        *_NETTING_BLOCK_CELLS,
    ),
    widths={"A": 34, "B": 22, "C": 70},
    freeze="A5",
)


def _legs(row: int, method: str, call: str, case: str, why: str, cases: str) -> tuple[Cell, ...]:
    """One netting row: each leg alone, summed, together, saved; ``call`` formats with a block name."""
    return (
        Cell(f"A{row}", case, "label"),
        Cell(f"B{row}", method, "label"),
        Cell(f"C{row}", "=" + call.format(f"{cases}Long"), "result", MONEY),
        Cell(f"D{row}", "=" + call.format(f"{cases}Short"), "result", MONEY),
        Cell(f"E{row}", f"=C{row}+D{row}", "result", MONEY),
        Cell(f"F{row}", "=" + call.format(f"{cases}Pair"), "result", MONEY),
        Cell(f"G{row}", f"=E{row}-F{row}", "result", MONEY),
        Cell(f"H{row}", why, "note"),
    )


_PM = f"PM_REQUIREMENT({POSITIONS},{{}})"
_REGT = f'REGT_MARGIN({POSITIONS},"initial",FALSE,{{}})'
_ESMA = f'ESMA_MARGIN({POSITIONS},"USD",{{}})'
_REGT_WHY = (
    "Reg T 220.12 / FINRA 4210 margin each security on its own: 50% of the long's value plus 50% of "
    "the short's. No credit for the pair."
)


def _pnl(
    row: int, pair: str, scenario: str, first: str, second: str, both: str, why: str
) -> tuple[Cell, ...]:
    """One stress row: each leg's P&L in a scenario, the pair's, and the loss the other leg cancels."""
    return (
        Cell(f"A{row}", pair, "label"),
        Cell(f"B{row}", scenario, "input"),
        Cell(f"C{row}", f"=STRESS_PNL({POSITIONS},$B{row},{first})", "result", PNL),
        Cell(f"D{row}", f"=STRESS_PNL({POSITIONS},$B{row},{second})", "result", PNL),
        Cell(f"E{row}", f"=STRESS_PNL({POSITIONS},$B{row},{both})", "result", PNL),
        Cell(f"F{row}", f"=IF(C{row}*D{row}<0,MIN(ABS(C{row}),ABS(D{row})),0)", "result", MONEY),
        Cell(f"H{row}", why, "note"),
    )


_NETTING_SHEET = Sheet(
    "Netting",
    cells=(
        Cell("A1", "Netting: long $100,000 against short $80,000 in correlated instruments", "title"),
        Cell(
            "A2",
            "In every case the long leg is ≈ $100,000 and the short leg ≈ $80,000, margined alone and then "
            "together. Portfolio margin nets what the rules put in one class group fully, in one "
            "product group "
            "partly, and nothing else; Reg T and ESMA net nothing.",
            "subtitle",
        ),
        *grid(
            "A4",
            [
                (
                    "Case (long / short)",
                    "Method",
                    "Long leg alone",
                    "Short leg alone",
                    "Each alone, summed",
                    "Together",
                    "Saved by netting",
                    "Why",
                )
            ],
            "header",
        ),
        *_legs(
            5,
            "Portfolio margin",
            _PM,
            "1. SPY / VOO: one class group",
            "SPY and VOO sit in the S&P 500 class group (OCC index basket): both are revalued at the "
            "same ten "
            "points (−8% … +6%), so at each point the short's gain offsets the long's loss; only the net "
            "$20,000 long is at risk. FINRA 4210(g), OCC TIMS.",
            "C1",
        ),
        *_legs(6, "Reg T initial", _REGT, "", _REGT_WHY, "C1"),
        *_legs(
            7,
            "Portfolio margin",
            _PM,
            "2. QQQ / SPY: one product group",
            "Nasdaq-100 and S&P 500 are two class groups in the US broad-index product group: at each point "
            "90% of one group's gain offsets the other's loss (OCC's percentage is not confirmed [L]; "
            "pm.toml, offset.us_broad).",
            "C2",
        ),
        *_legs(8, "Reg T initial", _REGT, "", _REGT_WHY, "C2"),
        *_legs(
            9,
            "Portfolio margin",
            _PM,
            "3. JPM / BAC: two class groups",
            "Correlated, but each stock is its own class group in no product group: each pays its own worst "
            "loss, 15% of $100,000 + 15% of $80,000 = $27,000, and nothing nets. A requirement far below "
            "$27,000 for a correlated pair needs the pair inside one class group (case 1).",
            "C3",
        ),
        *_legs(10, "Reg T initial", _REGT, "", _REGT_WHY, "C3"),
        *_legs(
            11,
            "ESMA (USD account)",
            _ESMA,
            "4. EURUSD / GBPUSD",
            "ESMA35-43-1000 margins each position on its own: notional / 30 for a major pair. The "
            "shared dollar leg earns nothing: the long and the short are added.",
            "Fx",
        ),
        Cell(
            "A13",
            "Currency pairs in the house stress view (STRESS_PNL; a risk model, not a regulation)",
            "section",
        ),
        *grid(
            "A14",
            [
                (
                    "Pair",
                    "Scenario id",
                    "First leg P&L",
                    "Second leg P&L",
                    "The pair's P&L",
                    "Loss the other leg cancels",
                    "",
                    "Why",
                )
            ],
            "header",
        ),
        *_pnl(
            15,
            "4. EURUSD / GBPUSD",
            "E11",
            "FxLong",
            "FxShort",
            "FxPair",
            "The scenario library has no pound series (stress-scenarios.md), so GBPUSD never moves: "
            "this view "
            "sees the euro leg alone. A blind spot of the data, not netting; hence case 5.",
        ),
        *_pnl(
            16,
            "5. EURUSD / USDCHF, both long",
            "E11",
            "FxLong",
            "ChfLong",
            "EurChfPair",
            "2022 rate shock: the dollar rallied, the euro fell and USDCHF rose, so the USDCHF leg's gain "
            "cancels part of the EURUSD leg's loss: the two dollar legs net.",
        ),
        *_pnl(
            17,
            "",
            "E8",
            "FxLong",
            "ChfLong",
            "EurChfPair",
            "15 Jan 2015, the SNB drops the franc floor: USDCHF gaps down while EURUSD barely moves, so both "
            "legs lose: the correlation the netting relied on is gone for the day.",
        ),
        Cell("A19", "Sources and version", "section"),
        *text_rows(
            "A20",
            [
                (
                    "Portfolio margin",
                    "FINRA Rule 4210(g); OCC TIMS class groups, product groups and offsets; "
                    "SEC Release 34-46576 valuation ranges (margin-rules.md §2).",
                ),
                ("Reg T", "Regulation T 12 CFR 220.12; FINRA Rule 4210 (margin-rules.md §1)."),
                (
                    "ESMA",
                    "ESMA35-43-1000 leverage caps for retail CFDs and rolling spot FX (margin-rules.md §5).",
                ),
                (
                    "Stress view",
                    "xlmargin house view, stress.toml / stress-scenarios.md: E8, E11 and the rest "
                    "of the library (STRESS_TABLE lists them).",
                ),
            ],
            "aside",
        ),
        Cell("A24", "xlmargin and rule sets", "label"),
        Cell("B24", "=XLM_VERSION()", "aside"),
    ),
    widths={"A": 34, "B": 20, "C": 14, "D": 14, "E": 14, "F": 14, "G": 14, "H": 90},
    heights={4: 32, 14: 32},
    freeze="A5",
)

_NETTING_POSITIONS_SHEET = Sheet(
    "Positions",
    cells=(
        Cell("A1", "Positions: each leg in its own sleeve", "title"),
        Cell(
            "A2",
            "Quantities are signed (short < 0). FX quantities are in units of the base currency and "
            "prices in the quote currency. Illustrative late-2026 prices.",
            "subtitle",
        ),
    ),
    tables=(
        Table(
            "tblPositions",
            "A4",
            ("symbol", "type", "quantity", "price", "sleeve", "description"),
            NETTING_POSITIONS,
            {"quantity": QTY, "price": PRICE},
        ),
    ),
    widths={"A": 10, "B": 8, "C": 11, "D": 11, "E": 11, "F": 52},
    freeze="A5",
    landscape=False,
)

NETTING_EXAMPLE = Book(
    "netting_example",
    (_NETTING_SHEET, _NETTING_POSITIONS_SHEET, _NETTING_PARAMETERS_SHEET),
    names=(Name("ValuationDate", "Parameters!$B$5"), *_NETTING_BLOCK_NAMES),
    reports=("Netting!$A$4:$G$11", "Netting!$A$14:$F$17"),
)
