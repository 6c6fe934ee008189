"""Margin for many accounts in one table: ``batch(df, by="account", regime="pm")`` → one row per account.

See :mod:`xlmargin.batch.engine` for the rules (error rows, regimes, Dask) and
:mod:`xlmargin.batch.pm` for the shared PM risk arrays; ``xlmargin batch FILE`` is the command line.
"""

from xlmargin.batch.engine import FIGURES, REGIMES, batch

__all__ = ["FIGURES", "REGIMES", "batch"]
