"""xlmargin: margin requirements for Excel — Reg T, portfolio margin, futures, ESMA — on a pure engine.

The Python API (:mod:`xlmargin.api`) is reached from here and loaded on first use, so that
``import xlmargin`` stays fast: ``xlmargin.pm_requirement(df)``, ``xlmargin.regt_margin(df)``,
``xlmargin.read_positions(path_or_df)``, ``xlmargin.import_broker(path)``, ``xlmargin.batch(df,
by="account")`` and a snake_case twin of every worksheet function.
"""

from __future__ import annotations

TYPE_CHECKING = False  # the typing module is not imported at run time: `import xlmargin` stays fast
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_API = ("read_positions", "import_broker", "rows_of")
_CALLED = ("batch",)  # subpackages that are functions too: ``xlmargin.batch(df, by="account")``


def __getattr__(name: str) -> Any:
    if name in _CALLED:  # after ``import xlmargin`` alone
        from importlib import import_module

        return import_module(f"{__name__}.{name}")
    # Submodules (``from xlmargin import cli``) are found by the import system, not here.
    if name.startswith("_") or _is_submodule(name):
        raise AttributeError(f"module 'xlmargin' has no attribute '{name}'")
    from xlmargin import api

    if name not in _API and name not in api.twins():  # api's own helpers are not the package's
        raise AttributeError(f"module 'xlmargin' has no attribute '{name}'")
    found = getattr(api, name)
    globals()[name] = found  # looked up once
    return found


def __dir__() -> list[str]:
    from xlmargin import api

    return sorted({*globals(), *_API, *_CALLED, *api.twins()})


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"{__name__}.{name}") is not None
