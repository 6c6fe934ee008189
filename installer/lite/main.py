"""xlwings Lite: the workbook's main.py. It only re-exports xlmargin's worksheet functions.

Lite registers every function of this module that carries xlwings' ``__xlfunc__`` (set by
``@func``); the functions, their help, the XLMARGIN namespace and the error mapping all live in
:mod:`xlmargin.excel.udfs`, so this file never needs editing when functions are added.
"""

from xlmargin.excel.udfs import *  # noqa: F403
