"""Margin for many accounts in one table: ``xlmargin.batch(df, by="account", regime="pm")`` → one row
per account; ``xlmargin.batch("report.xml", regime="pm")`` for an IBKR Flex report of several accounts.

The package is itself the function (``xlmargin.batch(...)`` is :func:`xlmargin.batch.engine.batch`;
``xlmargin.batch.batch(...)`` is the same). See :mod:`xlmargin.batch.engine` for the rules (error
rows, regimes, Dask) and :mod:`xlmargin.batch.pm` for the shared PM risk arrays; ``xlmargin batch
FILE`` is the command line.
"""

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import inspect


def __getattr__(name: str) -> Any:
    # imported on first use, so that registering `xlmargin batch` does not load the engines
    if name in ("FIGURES", "REGIMES", "batch"):
        return getattr(importlib.import_module("xlmargin.batch.engine"), name)
    raise AttributeError(f"module 'xlmargin.batch' has no attribute '{name}'")


def __dir__() -> list[str]:
    # the lazy names too, so that help(xlmargin.batch) lists batch() with its arguments
    return sorted({*globals(), *__all__})


class _Batch(ModuleType):
    """This package, callable: ``xlmargin.batch(df, by="account", ...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return __getattr__("batch")(*args, **kwargs)

    @property
    def __signature__(self) -> "inspect.Signature":
        """The function's (``inspect.signature(xlmargin.batch)``), not ``(*args, **kwargs)``."""
        import inspect

        return inspect.signature(__getattr__("batch"))

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # by name, as a module pickles (cloudpickle, Dask): imported again where it is unpickled
        return importlib.import_module, (__name__,)


sys.modules[__name__].__class__ = _Batch

__all__ = ["FIGURES", "REGIMES", "batch"]
