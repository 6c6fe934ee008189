"""`xlmargin install | uninstall | status` against a temporary home folder, on any platform.

The configuration file is checked with xlwings' own reader (``xlwings.utils.read_user_config``);
the add-in step is a monkeypatched ``subprocess.run`` (no Excel here).
"""

import argparse
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import xlwings
import xlwings.utils

from xlmargin import install as inst

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home folder, also as ``Path.home()``; Linux unless a test says otherwise."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    monkeypatch.delenv("XLMARGIN_HOME", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    return tmp_path


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command install runs; each answers like a successful `xlwings addin ...`."""
    commands: list[list[str]] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        addin = inst.addin_path()
        assert addin is not None
        if command[-1] == "install":
            addin.parent.mkdir(parents=True, exist_ok=True)
            addin.write_bytes(b"xlwings.xlam")
            return subprocess.CompletedProcess(command, 0, "Successfully installed the xlwings add-in! ", "")
        addin.unlink()
        return subprocess.CompletedProcess(command, 0, "Successfully removed the add-in!", "")

    monkeypatch.setattr(subprocess, "run", run)
    return commands


def conf(home: Path) -> Path:
    return home / ".xlwings" / "xlwings.conf"


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def xlwings_reads(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The settings as xlwings' Python side reads the user config (keys lower-cased)."""
    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(path))
    return xlwings.utils.read_user_config()


def vba_reads(path: Path, key: str) -> str | None:
    """The value the add-in's VBA GetConfigFromFile reads: the first line whose key matches."""
    for line in path.read_text().splitlines():
        found = re.findall(r'"([^"]*)"', line)
        if len(found) >= 2 and found[0].lower() == key.lower():
            return found[1]
    return None


def test_dry_run_prints_every_step_and_changes_nothing(home, runs, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    conf(home).parent.mkdir()
    conf(home).write_text('"PYTHONPATH","C:\\work"\n')
    before = files(home)

    assert inst.install(dry_run=True, home=home) == 0

    out = capsys.readouterr().out
    assert files(home) == before and runs == []
    assert str(conf(home)) in out
    assert '"UDF MODULES" = "xlmargin.excel.udfs"' in out
    assert f'"INTERPRETER_WIN" = "{sys.executable}"' in out
    assert str(home / ".xlmargin" / "install.json") in out
    assert f"would run: {sys.executable} -m xlwings.cli addin install" in out


def test_install_writes_what_both_xlwings_readers_see(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    assert inst.install(home=home) == 0

    settings = xlwings_reads(conf(home), monkeypatch)
    assert settings == {"udf modules": "xlmargin.excel.udfs", "interpreter_win": sys.executable}
    assert vba_reads(conf(home), "UDF Modules") == "xlmargin.excel.udfs"
    assert conf(home).read_text().splitlines() == [
        '"UDF MODULES","xlmargin.excel.udfs"',
        f'"INTERPRETER_WIN","{sys.executable}"',
    ]


def test_install_twice_is_one_installation(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    assert inst.install(home=home) == 0
    once = conf(home).read_bytes()
    assert inst.install(home=home) == 0

    assert conf(home).read_bytes() == once
    state = inst.status(home)
    assert state.entries == 1 and state.configured and state.ok
    assert state.installed_at is not None
    assert state.log == home / ".xlmargin" / "xlmargin.log"
    assert state.interpreter == sys.executable and state.interpreter_exists
    assert state.xlwings == state.pinned == "0.37.8"


def test_other_keys_are_kept_byte_for_byte(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    conf(home).parent.mkdir()
    others = ['"PYTHONPATH","C:\\work;D:\\lib"', '"CONDA PATH","C:\\conda"', "a line xlwings ignores", ""]
    conf(home).write_bytes("\r\n".join(others).encode())

    inst.install(home=home)

    lines = conf(home).read_bytes().decode().split("\r\n")
    assert lines[2:] == others  # our two keys on top, the rest untouched, CRLF and all
    assert xlwings_reads(conf(home), monkeypatch)["pythonpath"] == "C:\\work;D:\\lib"


def test_uninstall_restores_the_previous_config_exactly(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    conf(home).parent.mkdir()
    original = (
        b'"udf modules","mymodule"\r\n"PYTHONPATH","C:\\work"\r\n"INTERPRETER_WIN","C:\\py\\pythonw.exe"'
    )
    conf(home).write_bytes(original)

    inst.install(home=home, force=True)  # the user's own Python and module, taken over
    inst.install(home=home)  # ours now: a repeated install needs no --force
    assert vba_reads(conf(home), "UDF MODULES") == "mymodule;xlmargin.excel.udfs"
    assert inst.uninstall(home=home) == 0

    assert conf(home).read_bytes() == original
    assert not (home / ".xlmargin").exists()


def test_uninstall_removes_a_config_install_created(home, runs):
    inst.install(home=home)
    inst.uninstall(home=home)

    assert files(home) == {} and not (home / ".xlwings").exists()


def test_uninstall_keeps_a_value_the_user_changed_since(home, runs, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    inst.install(home=home)
    text = conf(home).read_text().replace(sys.executable, "C:\\mine\\pythonw.exe")
    conf(home).write_text(text)

    inst.uninstall(home=home)

    assert conf(home).read_text() == '"INTERPRETER_WIN","C:\\mine\\pythonw.exe"\n'
    assert "changed since xlmargin set it" in capsys.readouterr().out


def test_install_adds_its_module_to_the_users_list(home, runs, monkeypatch, capsys):
    """UDF MODULES is a ';'-separated list (xlwings docs/addin.md): install replaced it with ours,
    so the user's own worksheet functions stopped loading."""
    conf(home).parent.mkdir()
    original = '"PYTHONPATH","C:\\work"\r\n"Udf Modules","pricing;risk_tools"\r\n'
    conf(home).write_bytes(original.encode())

    assert inst.install(home=home) == 0

    assert vba_reads(conf(home), "UDF MODULES") == "pricing;risk_tools;xlmargin.excel.udfs"
    assert xlwings_reads(conf(home), monkeypatch)["udf modules"] == "pricing;risk_tools;xlmargin.excel.udfs"
    assert 'add xlmargin.excel.udfs to "UDF MODULES"' in capsys.readouterr().out
    assert inst.install(home=home) == 0  # again: nothing added twice
    assert vba_reads(conf(home), "UDF MODULES") == "pricing;risk_tools;xlmargin.excel.udfs"

    assert inst.uninstall(home=home) == 0
    assert conf(home).read_bytes() == original.encode()


def test_a_first_list_says_how_to_keep_a_workbooks_own_module(home, runs, capsys):
    """xlwings imports a workbook's same-named .py only while UDF MODULES is unset (xlwings docs,
    "UDF_MODULES ... The default imports a file in the same directory as the spreadsheet with the
    same name"): setting the list ends that, so install says so, once."""
    assert inst.install(home=home) == 0
    assert "add such a module's name to the list" in capsys.readouterr().out

    assert inst.install(home=home) == 0
    assert "add such a module's name" not in capsys.readouterr().out

    conf(home).write_text('"UDF MODULES","mine"\n')
    (home / ".xlmargin" / "install.json").unlink()
    assert inst.install(home=home) == 0
    assert "add such a module's name" not in capsys.readouterr().out


def test_a_list_that_names_ours_already_is_left_as_it_is(home, runs, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    conf(home).parent.mkdir()
    original = '"UDF MODULES","xlmargin.excel.udfs; mine"\n'
    conf(home).write_text(original)

    inst.install(home=home, force=True)

    assert conf(home).read_text().splitlines()[1:] == [original.strip()]
    assert "already lists xlmargin.excel.udfs" in capsys.readouterr().out
    inst.uninstall(home=home)
    assert conf(home).read_text() == original  # it was the user's before install: kept


def test_uninstall_takes_only_ours_out_of_a_list_edited_since(home, runs, capsys):
    conf(home).parent.mkdir()
    conf(home).write_text('"UDF MODULES","mine"\n')
    inst.install(home=home)
    text = conf(home).read_text().replace("mine;xlmargin.excel.udfs", "mine;xlmargin.excel.udfs;theirs")
    conf(home).write_text(text)

    inst.uninstall(home=home)

    assert conf(home).read_text() == '"UDF MODULES","mine;theirs"\n'
    assert 'take xlmargin.excel.udfs out of "UDF MODULES"' in capsys.readouterr().out


def test_uninstall_after_an_install_that_replaced_the_list_puts_it_back(home, runs):
    """An install made before ours was appended wrote "xlmargin.excel.udfs" over the user's list."""
    conf(home).parent.mkdir()
    conf(home).write_text('"UDF MODULES","mine"\n')
    inst.install(home=home)
    conf(home).write_text(conf(home).read_text().replace("mine;xlmargin.excel.udfs", "xlmargin.excel.udfs"))

    inst.uninstall(home=home)

    assert conf(home).read_text() == '"UDF MODULES","mine"\n'


def test_reinstall_after_an_install_that_replaced_the_list_puts_it_back(home, runs, capsys, monkeypatch):
    """install.ps1 promises that running it again repairs an installation: the user's list comes
    back, with ours added, and uninstall still restores the list as it was."""
    conf(home).parent.mkdir()
    conf(home).write_text('"UDF MODULES","pricing;risk_tools"\n')
    inst.install(home=home)
    old = conf(home).read_text().replace("pricing;risk_tools;xlmargin.excel.udfs", "xlmargin.excel.udfs")
    conf(home).write_text(old)
    capsys.readouterr()

    assert inst.install(home=home) == 0

    assert vba_reads(conf(home), "UDF MODULES") == "pricing;risk_tools;xlmargin.excel.udfs"
    assert xlwings_reads(conf(home), monkeypatch)["udf modules"] == "pricing;risk_tools;xlmargin.excel.udfs"
    out = capsys.readouterr().out
    assert 'put back "UDF MODULES" = "pricing;risk_tools;xlmargin.excel.udfs"' in out
    assert "already lists" not in out
    inst.uninstall(home=home)
    assert conf(home).read_text() == '"UDF MODULES","pricing;risk_tools"\n'


def test_a_repeated_install_says_the_list_names_ours_already(home, runs, capsys):
    """The wording follows the line in the file, not the value recorded before xlmargin."""
    conf(home).parent.mkdir()
    conf(home).write_text('"UDF MODULES","mine"\n')
    inst.install(home=home)
    assert 'add xlmargin.excel.udfs to "UDF MODULES" = "mine;xlmargin.excel.udfs"' in capsys.readouterr().out
    once = conf(home).read_bytes()

    inst.install(home=home)

    assert conf(home).read_bytes() == once
    out = capsys.readouterr().out
    assert '"UDF MODULES" already lists xlmargin.excel.udfs: "mine;xlmargin.excel.udfs" kept' in out
    assert "add xlmargin.excel.udfs" not in out


def test_dry_run_uninstall_changes_nothing(home, runs, capsys):
    inst.install(home=home)
    before = files(home)

    inst.uninstall(dry_run=True, home=home)

    assert files(home) == before
    assert f"would delete {conf(home)}" in capsys.readouterr().out


def test_no_addin_install_where_there_is_no_excel(home, runs, capsys):
    assert inst.install(home=home) == 0
    inst.uninstall(home=home)

    assert runs == []
    assert "Excel does not run on linux" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("platform", "config", "key"),
    [
        ("win32", ".xlwings/xlwings.conf", "INTERPRETER_WIN"),
        ("darwin", "Library/Containers/com.microsoft.Excel/Data/xlwings.conf", "INTERPRETER_MAC"),
    ],
)
def test_addin_is_installed_and_removed_with_excel(home, runs, monkeypatch, platform, config, key):
    monkeypatch.setattr(sys, "platform", platform)

    assert inst.install(home=home) == 0
    assert runs == [[sys.executable, "-m", "xlwings.cli", "addin", "install"]]
    assert vba_reads(home / config, key) == sys.executable

    assert inst.uninstall(home=home) == 0
    assert runs[1] == [sys.executable, "-m", "xlwings.cli", "addin", "remove"]
    assert files(home) == {}


def test_an_addin_that_was_there_before_stays(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    xlstart = home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART" / "xlwings.xlam"
    xlstart.parent.mkdir(parents=True)
    xlstart.write_bytes(b"the user's add-in")

    inst.install(home=home)
    inst.uninstall(home=home)

    assert [command[-1] for command in runs] == ["install"]


def test_a_failed_addin_install_says_so(home, monkeypatch, capsys):
    """xlwings prints its own failures and still exits 0: success is its "Successfully" line."""
    monkeypatch.setattr(sys, "platform", "win32")
    refused = "Error: Failed to install the add-in: If Excel is running, quit Excel and try again."
    monkeypatch.setattr(
        subprocess, "run", lambda command, **kw: subprocess.CompletedProcess(command, 0, refused, "")
    )

    assert inst.install(home=home) == 1

    out = capsys.readouterr().out
    assert "xlwings: " + refused in out and "did not succeed" in out
    assert inst.status(home).configured  # the configuration is written; a rerun completes it


def test_uninstall_changes_nothing_while_excel_holds_the_addin(home, runs, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    inst.install(home=home)
    before = files(home)
    busy = "Error: Failed to remove the add-in: If Excel is running, quit Excel and try again."
    monkeypatch.setattr(
        subprocess, "run", lambda command, **kw: subprocess.CompletedProcess(command, 0, busy, "")
    )

    assert inst.uninstall(home=home) == 1
    assert files(home) == before
    assert "quit Excel, then run `xlmargin uninstall` again" in capsys.readouterr().out


def test_an_addin_already_gone_is_not_removed_again(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    inst.install(home=home)
    addin = inst.addin_path(home)
    assert addin is not None
    addin.unlink()

    assert inst.uninstall(home=home) == 0
    assert [command[-1] for command in runs] == ["install"] and files(home) == {}


def test_windows_prefers_pythonw(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    scripts = home / "venv" / "Scripts"
    scripts.mkdir(parents=True)
    (scripts / "python.exe").touch()
    (scripts / "pythonw.exe").touch()
    monkeypatch.setattr(sys, "executable", str(scripts / "python.exe"))

    inst.install(home=home)

    assert vba_reads(conf(home), "INTERPRETER_WIN") == str(scripts / "pythonw.exe")
    assert runs[0][0] == str(scripts / "python.exe")  # the console Python runs the CLI


def test_status_flags_a_missing_interpreter_and_a_version_mismatch(home, runs, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    conf(home).parent.mkdir()
    conf(home).write_text(f'"UDF MODULES","xlmargin.excel.udfs"\n"INTERPRETER_WIN","{home / "gone"}"\n')
    monkeypatch.setattr(inst, "installed_xlwings", lambda: "0.30.0")

    state = inst.status(home)

    assert state.configured and not state.interpreter_exists and not state.ok
    text = "\n".join(state.lines())
    assert "no such file" in text and "0.30.0 installed, 0.37.8 pinned" in text


def test_a_quote_in_a_value_is_refused(home, runs, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # the interpreter key is written there
    monkeypatch.setattr(sys, "executable", str(home / 'odd"name' / "python"))

    with pytest.raises(inst.XlMarginError, match="double quote"):
        inst.install(home=home)
    assert files(home) == {}


def test_an_install_recorded_elsewhere_must_be_undone_first(home, runs, monkeypatch):
    inst.install(home=home)
    monkeypatch.setattr(sys, "platform", "darwin")  # another config file, same record

    with pytest.raises(inst.XlMarginError, match="uninstall that first"):
        inst.install(home=home)


def test_default_home_is_the_users(home, runs):
    inst.install()

    assert inst.status().config == home / ".xlwings" / "xlwings.conf"
    assert (home / ".xlmargin" / "install.json").is_file()


def test_register_adds_the_commands(home, runs, capsys, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")  # an Excel machine: status checks the configuration
    parser = argparse.ArgumentParser(prog="xlmargin")
    inst.register(parser.add_subparsers(dest="command", required=True))

    args = parser.parse_args(["install", "--dry-run"])
    assert args.handler(args) == 0 and files(home) == {}
    args = parser.parse_args(["status"])
    assert args.handler(args) == 1  # nothing installed
    assert "xlmargin.excel.udfs is not listed" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        parser.parse_args(["status", "--dry-run"])


def test_the_pin_is_one_version_everywhere():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert f"xlwings=={inst.PINNED_XLWINGS}" in pyproject["project"]["dependencies"]
    assert f"xlwings=={inst.PINNED_XLWINGS}" in (REPO / "installer/lite/requirements.txt").read_text()
    assert f"'{inst.PINNED_XLWINGS}'" in (REPO / "installer/windows/install.ps1").read_text()


def test_lite_main_imports_only_the_udfs():
    tree = ast.parse((REPO / "installer/lite/main.py").read_text())
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom | ast.Import)]
    code = [node for node in tree.body if not isinstance(node, ast.ImportFrom | ast.Import | ast.Expr)]
    assert [(i.module, [a.name for a in i.names]) for i in imports] == [("xlmargin.excel.udfs", ["*"])]
    assert code == []


def test_on_linux_a_windows_interpreter_is_kept(home, runs, capsys):
    """No Excel here: install writes UDF MODULES only; the user's INTERPRETER_WIN (a Windows
    path, for their Windows machine) stays, and uninstall gives the file back byte for byte."""
    conf(home).parent.mkdir()
    original = b'"CONDA PATH",""\n"UDF MODULES","mymod;other"\n"INTERPRETER_WIN","C:\\Py\\python.exe"\n'
    conf(home).write_bytes(original)

    assert inst.install(home=home) == 0

    assert vba_reads(conf(home), "INTERPRETER_WIN") == "C:\\Py\\python.exe"
    assert vba_reads(conf(home), "UDF MODULES") == "mymod;other;xlmargin.excel.udfs"
    assert '"INTERPRETER_WIN" left as it is' in capsys.readouterr().out
    state = inst.status(home)
    assert state.ok and "n/a: no Excel here" in "\n".join(state.lines())
    assert inst.uninstall(home=home) == 0
    assert conf(home).read_bytes() == original
