"""`xlmargin install` and the user's own xlwings settings (R16): another Python or other UDF modules
set for every workbook are not taken over silently.

Before, install replaced the user's ``INTERPRETER_WIN`` with xlmargin's private Python and kept
their UDF modules, which then ran there without their packages, and one failing import stopped
Import Functions for xlmargin's module too. Now install stops and changes nothing, saying what
would change and the two ways on (``--force``; an ``xlwings.conf`` sheet per workbook).
"""

import argparse
import sys
from pathlib import Path

import pytest

from tests.test_install import conf, files, home, runs, vba_reads  # noqa: F401 (fixtures)
from xlmargin import install as inst

THEIRS = (
    b'"INTERPRETER_WIN","C:\\Users\\me\\mypy\\pythonw.exe"\r\n'
    b'"UDF MODULES","pricing;risk"\r\n"DEBUG UDFS","False"'
)


@pytest.fixture
def windows(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    conf(home).parent.mkdir()
    return home


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (THEIRS, ['"INTERPRETER_WIN" = "C:\\Users\\me\\mypy\\pythonw.exe"', "your modules pricing, risk"]),
        (b'"INTERPRETER_WIN","C:\\py\\pythonw.exe"\r\n', ['"INTERPRETER_WIN" = "C:\\py\\pythonw.exe"']),
        (b'"UDF MODULES","pricing"\r\n', ["your modules pricing"]),  # with no Python set: xlwings' default
    ],
)
def test_the_users_own_settings_stop_install(windows, runs, capsys, text, named):  # noqa: F811
    conf(windows).write_bytes(text)
    before = files(windows)

    assert inst.install(home=windows) == 1

    assert files(windows) == before  # nothing written, no record
    assert runs == []  # no add-in installed
    out = capsys.readouterr().out
    assert out.startswith("stopped, nothing changed")
    for words in named:
        assert words in out
    assert "xlmargin install --force" in out and "xlwings.conf sheet" in out
    assert f"INTERPRETER_WIN | {inst.interpreter()}" in out and "UDF MODULES | xlmargin.excel.udfs" in out


def test_a_dry_run_says_it_would_stop(windows, runs, capsys):  # noqa: F811
    conf(windows).write_bytes(THEIRS)
    assert inst.install(dry_run=True, home=windows) == 1
    assert capsys.readouterr().out.startswith("stopped, nothing changed")
    assert conf(windows).read_bytes() == THEIRS


def test_force_takes_them_over_and_uninstall_puts_them_back(windows, runs, capsys):  # noqa: F811
    conf(windows).write_bytes(THEIRS)

    assert inst.install(home=windows, force=True) == 0

    assert vba_reads(conf(windows), "INTERPRETER_WIN") == str(inst.interpreter())
    assert vba_reads(conf(windows), "UDF MODULES") == "pricing;risk;xlmargin.excel.udfs"
    assert (
        "warning: pricing, risk stay in UDF Modules and run in xlmargin's Python" in capsys.readouterr().out
    )
    assert inst.install(home=windows) == 0  # a repeated install: the settings are xlmargin's now
    assert inst.uninstall(home=windows) == 0
    assert conf(windows).read_bytes() == THEIRS


def test_an_upgrade_from_another_environment_is_not_stopped(windows, runs, monkeypatch):  # noqa: F811
    """The Python an earlier xlmargin install set is xlmargin's, wherever it was."""
    monkeypatch.setattr(inst, "interpreter", lambda: Path("C:/old/venv/Scripts/pythonw.exe"))
    assert inst.install(home=windows) == 0
    monkeypatch.setattr(inst, "interpreter", lambda: Path("C:/new/venv/Scripts/pythonw.exe"))
    assert inst.install(home=windows) == 0
    assert vba_reads(conf(windows), "INTERPRETER_WIN") == str(Path("C:/new/venv/Scripts/pythonw.exe"))


def test_modules_already_run_by_xlmargins_python_are_warned_of(windows, runs, capsys):  # noqa: F811
    ours = str(inst.interpreter())
    conf(windows).write_text(f'"INTERPRETER_WIN","{ours}"\n"UDF MODULES","mine"\n')
    assert inst.install(home=windows) == 0  # nothing changes for them: xlmargin's Python ran them already
    assert "warning: mine stay in UDF Modules" in capsys.readouterr().out


def test_no_check_where_excel_does_not_run(home, runs):  # noqa: F811
    conf(home).parent.mkdir()
    conf(home).write_bytes(THEIRS)
    assert inst.install(home=home) == 0  # Linux: the interpreter key is the user's, never touched
    assert vba_reads(conf(home), "INTERPRETER_WIN") == "C:\\Users\\me\\mypy\\pythonw.exe"


def test_the_command_line_has_force(monkeypatch):
    parser = argparse.ArgumentParser()
    inst.register(parser.add_subparsers())
    seen = {}
    monkeypatch.setattr(inst, "install", lambda **kwargs: seen.update(kwargs) or 0)
    args = parser.parse_args(["install", "--force"])
    assert args.handler(args) == 0 and seen == {"dry_run": False, "force": True}
    with pytest.raises(SystemExit):
        parser.parse_args(["uninstall", "--force"])
