"""The template workbooks, described as data: sheets, tables, cells, formulas, formats and charts.

One module per workbook (:mod:`.hedge_comparison`, :mod:`.netting_example`,
:mod:`.allocation_template`) over the shared helpers of :mod:`.layout`; :mod:`.build` interprets
them with openpyxl; ``xlmargin templates`` writes them to ``workbooks/``. Conventions every template follows:

- positions live in an Excel Table ``tblPositions`` and formulas pass ``tblPositions[#All]``
  (header included) to the worksheet functions;
- parameter ranges are small two-column blocks on a sheet, each a workbook-level defined name
  (``CorePM``...), whose value cells point at the user's inputs. Each engine refuses a parameter
  it does not know, so a block holds only names every function it feeds accepts. An optional
  input that is blank blanks its whole row (name included), because a named but empty parameter
  is an error: ``as_of`` appears only when a valuation date is given;
- fixed-shape results fill an explicit range, one ``=INDEX(FUNCTION(...), row, column)`` formula
  per cell: nothing depends on dynamic arrays (openpyxl drops their metadata,
  excel-integration.md §3.8), and every viewer shows the cached values (LibreOffice recomputes
  legacy CSE arrays on load, which without the add-in is #NAME?); the shared results cache makes
  the repeated calls one computation; the generator checks each range against the formula's
  actual result;
- omitted optional arguments are written out (``"initial",FALSE``): an empty argument reaches a
  headless engine as 0, not as "missing".
"""

from xlmargin.templates.allocation_template import ALLOCATION_TEMPLATE
from xlmargin.templates.hedge_comparison import HEDGE_COMPARISON
from xlmargin.templates.hedge_planner import HEDGE_PLANNER
from xlmargin.templates.model import Book
from xlmargin.templates.netting_example import NETTING_EXAMPLE

BOOKS: tuple[Book, ...] = (HEDGE_COMPARISON, NETTING_EXAMPLE, ALLOCATION_TEMPLATE, HEDGE_PLANNER)
"""Every template, in the order ``xlmargin templates`` writes them."""
