"""Margin for many accounts in one table: ``batch(df, by="account", regime="pm")`` → one row per account;
``batch("report.xml", regime="pm")`` for an IBKR Flex report of several accounts.

See :mod:`xlmargin.batch.engine` for the rules (error rows, regimes, Dask) and
:mod:`xlmargin.batch.pm` for the shared PM risk arrays; ``xlmargin batch FILE`` is the command line.
"""

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    # imported on first use, so that registering `xlmargin batch` does not load the engines
    if name in ("FIGURES", "REGIMES", "batch"):
        return getattr(importlib.import_module("xlmargin.batch.engine"), name)
    raise AttributeError(f"module 'xlmargin.batch' has no attribute '{name}'")


__all__ = ["FIGURES", "REGIMES", "batch"]
