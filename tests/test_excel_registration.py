"""Classic (Windows COM) registration of the worksheet functions, run on Linux with xlwings' own code.

``xlwings.udfs`` is the module behind "Import Functions" on Windows. Its Windows-only imports
(``pythoncom``, ``pywintypes``, ``win32com.client``) are stubbed so that it imports here; then
``xlmargin.excel.udfs`` is reloaded with ``xlwings.func/arg/ret`` set to the classic decorators
(what ``import xlwings`` gives on Windows), and ``import_udfs`` runs against a fake workbook that
keeps the generated VBA module and every ``Application.MacroOptions`` call. Afterwards the plain
module is restored for the other tests. The registry is iterated, so a new function is covered
as soon as it is registered.
"""

import importlib
import inspect
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import xlwings

import xlmargin.excel.udfs
from xlmargin.excel import registry

MODULE = "xlmargin.excel.udfs"
ADDIN = "xlmargin.xlam"
EXCEL_LIMIT = 255  # characters Application.MacroOptions keeps of a description


class ComError(Exception):
    """Stands in for pywintypes.com_error."""


def windows_stubs() -> dict[str, types.ModuleType]:
    """The Windows-only modules xlwings.udfs imports, reduced to the names it uses at import time."""
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.com_error = ComError  # type: ignore[attr-defined]
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None  # type: ignore[attr-defined]
    win32com = types.ModuleType("win32com")
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *args: None  # type: ignore[attr-defined]
    win32com.client = client  # type: ignore[attr-defined]
    return {"pywintypes": pywintypes, "pythoncom": pythoncom, "win32com": win32com, "win32com.client": client}


@dataclass
class FakeComponents:
    """``VBProject.VBComponents``: keeps the text of each imported .bas file."""

    imported: list[str] = field(default_factory=list)

    def __call__(self, name: str) -> None:
        raise ComError(f"no component {name}")  # a first import: nothing to remove

    def Remove(self, component: object) -> None:
        raise AssertionError("nothing to remove")

    def Import(self, path: str) -> None:
        self.imported.append(Path(path).read_text())


@dataclass
class FakeApplication:
    Version: str = "16.0"
    macro_options: list[dict[str, Any]] = field(default_factory=list)

    def MacroOptions(self, macro: str, **options: Any) -> None:
        self.macro_options.append({"Macro": macro, **options})


@dataclass
class FakeWorkbook:
    Name: str = ADDIN
    Application: FakeApplication = field(default_factory=FakeApplication)
    VBProject: types.SimpleNamespace = field(
        default_factory=lambda: types.SimpleNamespace(VBComponents=FakeComponents())
    )


@dataclass(frozen=True)
class Imported:
    xlfunc: dict[str, dict[str, Any]]  # the __xlfunc__ of each decorated wrapper, by name
    vba: str  # the generated xlwings_udfs module
    macro_options: dict[str, dict[str, Any]]  # by function name


def import_functions() -> Imported:
    """Decorate the module the Windows way, run "Import Functions", then put everything back."""
    with pytest.MonkeyPatch.context() as mp:
        for name, module in windows_stubs().items():
            mp.setitem(sys.modules, name, module)
        xlwings_udfs = importlib.import_module("xlwings.udfs")
        mp.setattr(xlwings, "func", xlwings_udfs.xlfunc)
        mp.setattr(xlwings, "arg", xlwings_udfs.xlarg)
        mp.setattr(xlwings, "ret", xlwings_udfs.xlret)
        try:
            module = importlib.reload(xlmargin.excel.udfs)
            # get_udf_module would open the workbook through COM to look for embedded code;
            # a module already known (and not reloadable: filetime None) is used as it is.
            mp.setitem(xlwings_udfs.udf_modules, MODULE, {"filename": "", "filetime": None, "module": module})
            book = FakeWorkbook()
            xlwings_udfs.import_udfs(MODULE, book)
            xlfunc = {name: f.__xlfunc__ for name, f in vars(module).items() if hasattr(f, "__xlfunc__")}
        finally:
            sys.modules.pop("xlwings.udfs", None)
            if hasattr(xlwings, "udfs"):
                delattr(xlwings, "udfs")
    importlib.reload(xlmargin.excel.udfs)  # the plain functions again, for every other test
    [vba] = book.VBProject.VBComponents.imported
    options = {o["Macro"].split("!")[-1]: o for o in book.Application.macro_options}
    return Imported(xlfunc, vba, options)


@pytest.fixture(scope="module")
def classic() -> Imported:
    return import_functions()


def vba_functions(vba: str) -> dict[str, tuple[str, str]]:
    """Function name -> (parameter list, body) of each wrapper in the generated VBA."""
    found = re.findall(r"^Function (\w+)\(([^)\n]*)\)\n(.*?)^End Function", vba, re.MULTILINE | re.DOTALL)
    return {name: (params, body) for name, params, body in found}


def vba_params(function: registry.Function) -> str:
    return ", ".join(("Optional " if a.optional else "") + a.name for a in function.args)


def ids(function: registry.Function) -> str:
    return function.name


def test_a_wrapper_for_every_registered_function_and_nothing_else(classic):
    assert set(classic.xlfunc) == set(registry.BY_NAME)
    assert set(vba_functions(classic.vba)) == set(registry.BY_NAME)
    assert set(classic.macro_options) == set(registry.BY_NAME)


@pytest.mark.parametrize("function", registry.FUNCTIONS, ids=ids)
def test_vba_wrapper(classic, function):
    params, body = vba_functions(classic.vba)[function.name]
    assert params == vba_params(function)
    call = (
        f'{function.name} = XLPy.CallUDF("{MODULE}", "{function.name}", '
        f"Array({', '.join(a.name for a in function.args)}), ActiveWorkbook, Application.Caller)"
    )
    assert call in body
    assert "Application.Volatile" not in body  # recalculated only when its inputs change
    assert "CommandBars" not in body  # evaluated in the Function Wizard too (call_in_wizard)
    assert f"{function.name} = Err.Description" in body  # what a classic cell shows on an exception


@pytest.mark.parametrize("function", registry.FUNCTIONS, ids=ids)
def test_function_wizard_help(classic, function):
    options = classic.macro_options[function.name]
    assert options["Macro"] == f"'{ADDIN}'!{function.name}"
    assert options["Category"] == registry.CATEGORY == "xlmargin"
    assert len(function.summary) <= EXCEL_LIMIT
    assert options["Description"] == function.summary
    docs = options["ArgumentDescriptions"] or []
    assert docs == [a.help for a in function.args]
    assert all(len(a.help) <= EXCEL_LIMIT for a in function.args)
    assert not any(d.startswith("Positional argument") for d in docs)


@pytest.mark.parametrize("function", registry.FUNCTIONS, ids=ids)
def test_decorated_like_the_registry(classic, function):
    xlfunc = classic.xlfunc[function.name]
    assert [a["name"] for a in xlfunc["args"]] == [a.name for a in function.args]
    assert ["optional" in a for a in xlfunc["args"]] == [a.optional for a in function.args]
    assert xlfunc["volatile"] is False and xlfunc["async_mode"] is None
    if function.shape == "table":
        assert xlfunc["ret"]["options"] == {"index": False, "header": False}
    for a in xlfunc["args"]:
        if a["name"] in ("positions", "params"):  # ranges: 2-D, error cells as their text
            assert a["options"] == {"ndim": 2, "err_to_str": True}


def test_plain_module_agrees_with_the_registry():
    """Without Windows the decorators are no-ops: the same names, arguments and optional flags."""
    module = xlmargin.excel.udfs
    public = {
        name
        for name, f in inspect.getmembers(module, inspect.isfunction)
        if f.__module__ == module.__name__ and name.isupper()
    }
    assert public == set(registry.BY_NAME)
    for function in registry.FUNCTIONS:
        wrapper = getattr(module, function.name)
        assert not hasattr(wrapper, "__xlfunc__")
        parameters = list(inspect.signature(wrapper).parameters.values())
        assert [p.name for p in parameters] == [a.name for a in function.args]
        assert [p.default is None for p in parameters] == [a.optional for a in function.args]
        assert wrapper.__doc__ == function.summary


def test_officejs_options_are_given(monkeypatch):
    """Lite and Server read ``namespace`` and ``help_url``; classic ignores them (and vice versa)."""
    seen: dict[str, dict[str, Any]] = {}

    def func(**options: Any):
        def decorate(f):
            seen[f.__name__] = options
            return f

        return decorate

    monkeypatch.setattr(xlwings, "func", func)
    try:
        importlib.reload(xlmargin.excel.udfs)
    finally:
        monkeypatch.undo()
        importlib.reload(xlmargin.excel.udfs)
    assert set(seen) == set(registry.BY_NAME)
    for options in seen.values():
        assert options == {
            "category": "xlmargin",
            "namespace": registry.NAMESPACE,
            "help_url": registry.HELP_URL,
            "volatile": False,
        }
