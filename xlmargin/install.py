"""Install, remove and inspect xlmargin's classic Excel integration for the current user.

``xlmargin install`` makes Excel on Windows load the worksheet functions:

1. it sets two keys in the user's xlwings configuration file, the last place the xlwings add-in
   looks (after an ``xlwings.conf`` sheet and an ``xlwings.conf`` beside the workbook): it adds
   ``xlmargin.excel.udfs`` to ``"UDF MODULES"`` (a ``;``-separated list of modules: the user's own
   stay, in their order, ours at the end; a list already naming ours is left as it is, unless it
   is ours alone where an older install replaced the user's list: that list comes back), and sets
   ``INTERPRETER_WIN`` (``INTERPRETER_MAC`` on macOS) to this environment's Python,
   ``pythonw.exe`` on Windows so that no console window opens (elsewhere, on Linux, the
   interpreter keys are left as the user set them: a Linux path would break a Windows setting);
2. on Windows and macOS it runs ``xlwings addin install``, which copies ``xlwings.xlam`` of the
   installed, pinned xlwings into Excel's startup folder (add-in and package must be one version);
3. it records what it changed in ``install.json`` in the user's xlmargin folder, so that
   ``xlmargin uninstall`` puts back exactly the lines it replaced and removes only what it added
   (from a UDF MODULES list edited since, only ``xlmargin.excel.udfs``).

The file's format and its two readers are in :mod:`xlmargin.xlwings_conf`.

Classic worksheet functions exist on Windows only; on macOS the functions come through xlwings
Lite (``installer/lite``), and on Linux there is no Excel: there the configuration is still written
so that the steps can be checked, and no add-in is installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

from xlmargin import __version__
from xlmargin.errors import XlMarginError
from xlmargin.xlwings_conf import (
    LISTS,
    UDF_MODULES,
    Line,
    appended,
    configured,
    format_line,
    key_of,
    modules_of,
    read_lines,
    value_of,
    without,
    write_lines,
)

PINNED_XLWINGS = "0.37.8"
"""The xlwings version of both the Python package and the VBA add-in (pyproject.toml pins it)."""

UDF_MODULE = "xlmargin.excel.udfs"
RECORD = "install.json"
ADDIN = "xlwings.xlam"
ADDIN_TIMEOUT = 300  # seconds: `xlwings addin install` may have to start a hidden Excel


# --- where things are ---------------------------------------------------------------------------


def system() -> str:
    """``"windows"``, ``"macos"`` or the raw ``sys.platform`` (read at call time, so tests can set it)."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return sys.platform


def has_excel() -> bool:
    return system() in ("windows", "macos")


def config_path(home: Path | None = None) -> Path:
    """The user's xlwings.conf where the add-in's ``GetConfigFilePath`` looks for it."""
    base = Path.home() if home is None else home
    if system() == "macos":  # Excel is sandboxed on macOS
        return base / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return base / ".xlwings" / "xlwings.conf"


def folder(home: Path | None = None) -> Path:
    """The user's xlmargin folder (:func:`route.home`), or ``home/.xlmargin`` when ``home`` is given."""
    from xlmargin.excel import route

    return route.home() if home is None else home / ".xlmargin"


def record_path(home: Path | None = None) -> Path:
    return folder(home) / RECORD


def log_path(home: Path | None = None) -> Path:
    """Where the worksheet functions log tracebacks (:func:`route.log_path`)."""
    from xlmargin.excel import route

    return folder(home) / route.log_path().name


def addin_path(home: Path | None = None) -> Path | None:
    """Excel's default user startup folder, where ``xlwings addin install`` copies the add-in."""
    base = Path.home() if home is None else home
    if system() == "windows":
        appdata = os.environ.get("APPDATA") if home is None else None
        return Path(appdata or base / "AppData" / "Roaming") / "Microsoft" / "Excel" / "XLSTART" / ADDIN
    if system() == "macos":
        group = base / "Library" / "Group Containers" / "UBF8T346G9.Office"
        return group / "User Content.localized" / "Startup.localized" / "Excel" / ADDIN
    return None


def has_interpreter_key() -> bool:
    """Whether this system has an xlwings interpreter setting (Windows, macOS): where Excel does
    not run, an ``INTERPRETER_WIN`` in the file is the user's, for a Windows machine, never ours."""
    return system() in ("windows", "macos")


def interpreter_key() -> str:
    return "INTERPRETER_MAC" if system() == "macos" else "INTERPRETER_WIN"


def interpreter() -> Path:
    """This environment's Python; on Windows its ``pythonw.exe`` when there is one."""
    executable = Path(sys.executable)
    if system() == "windows":
        windowless = executable.with_name("pythonw.exe")
        if windowless.is_file():
            return windowless
    return executable


def addin_command(action: str) -> list[str]:
    """``xlwings addin <action>`` run by this environment's Python, so the pinned xlwings does it."""
    return [sys.executable, "-m", "xlwings.cli", "addin", action]


def installed_xlwings() -> str | None:
    try:
        return metadata.version("xlwings")
    except metadata.PackageNotFoundError:
        return None


# --- what install changed -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setting:
    """A key install set: our value (for a list key, the name added to it), and the lines (without
    endings) that carried the key before."""

    value: str
    previous: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Record:
    """What ``xlmargin install`` changed, kept as JSON in the user's xlmargin folder."""

    config: str
    created_config: bool
    created_config_folder: bool
    settings: dict[str, Setting]
    addin_preexisting: bool
    addin_installed: bool = False
    xlmargin: str = __version__
    xlwings: str | None = field(default_factory=installed_xlwings)
    installed_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> Record | None:
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            settings = {k: Setting(v["value"], tuple(v["previous"])) for k, v in data.pop("settings").items()}
            return cls(settings=settings, **data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise XlMarginError(
                f"{path} is not a readable install record ({exc}); remove it to start over"
            ) from None

    def save(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.to_json(), encoding="utf-8")
        except OSError as exc:
            raise XlMarginError(f"cannot write {path}: {exc.strerror}") from None


def restored(lines: list[Line], settings: Mapping[str, Setting]) -> tuple[list[Line], list[str]]:
    """``lines`` with each of our lines put back to the line it replaced (or removed), and notes.

    A line whose value the user has changed since install is theirs now and is left alone, except
    that from a list key's line the name install added is taken out (the user's names stay).
    """
    pending = {key: list(setting.previous) for key, setting in settings.items()}
    changed: dict[str, str | None] = {}
    taken_out: dict[str, str] = {}
    out: list[Line] = []
    for line in lines:
        key = key_of(line, settings)
        value = value_of(line.text)
        if key is None:
            out.append(line)
            continue
        ours = settings[key].value
        previous = pending[key][0] if pending[key] else None
        before = value_of(previous) if previous is not None else None
        added = key in LISTS and ours not in modules_of(before or "")  # install added ours to the list
        # a list key's line is as install left it if it holds the previous list with ours added
        # (or ours alone, as installs wrote before they appended)
        mine = value == appended(before, ours) or (added and value == ours) if key in LISTS else value == ours
        if mine and previous is not None:
            out.append(Line(pending[key].pop(0), line.end))
        elif mine:
            pass  # a line install added, dropped
        elif added and value is not None and ours in modules_of(value):
            rest = without(value, ours)
            taken_out.setdefault(key, rest)
            if rest.strip():
                out.append(Line(format_line(key, rest), line.end))
        else:
            changed.setdefault(key, value)
            out.append(line)
    notes = []
    for key, setting in settings.items():
        if key in taken_out:
            notes.append(
                f'take {setting.value} out of "{key}" (changed since xlmargin added it), '
                f'leaving "{taken_out[key]}"'
            )
        elif key in changed:
            notes.append(f'leave "{key}" = "{changed[key]}": changed since xlmargin set it')
        elif pending[key]:
            notes.append(f'"{key}" is no longer in the file: its value before xlmargin is not put back')
        elif setting.previous:
            notes.append(f"restore {' / '.join(setting.previous)}")
        else:
            notes.append(f'remove "{key}" (xlmargin added it)')
    return out, notes


# --- the add-in ---------------------------------------------------------------------------------


def run_addin(action: str) -> bool:
    """Run ``xlwings addin <action>`` and say clearly whether it worked.

    xlwings catches most failures itself, prints them and still exits 0, so success is its own
    "Successfully ..." line, not the exit code.
    """
    command = addin_command(action)
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=ADDIN_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"  failed to run {' '.join(command)}: {exc}")
        return False
    output = "\n".join(part.strip() for part in (done.stdout, done.stderr) if part.strip())
    for text in output.splitlines():
        print(f"  xlwings: {text}")
    if done.returncode == 0 and "Successfully" in done.stdout:
        return True
    print(
        f"  `xlwings addin {action}` did not succeed (exit code {done.returncode}). Quit Excel "
        f"(check Task Manager for EXCEL.EXE) and run: {' '.join(command)}"
    )
    return False


# --- the commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One change: what it does, in words (printed by ``--dry-run`` too), and how."""

    text: str
    run: Callable[[], object]


def _perform(steps: list[Step], dry_run: bool) -> None:
    for step in steps:
        print(f"{'would ' if dry_run else ''}{step.text}")
        if not dry_run:
            step.run()


def _settings_record(
    lines: list[Line], settings: Mapping[str, str], earlier: Mapping[str, Setting]
) -> dict[str, Setting]:
    """Each key's new value and the lines it replaces.

    On a repeated install a key still holding the value xlmargin set keeps the lines recorded the
    first time, so uninstall goes back to the state before xlmargin, not before the last install.
    """
    record = {}
    for key, value in settings.items():
        before = tuple(line.text for line in lines if key_of(line, [key]))
        values = [value_of(text) or "" for text in before]
        ours = (
            key in earlier
            and bool(before)
            and all(value in modules_of(v) if key in LISTS else v == earlier[key].value for v in values)
        )
        record[key] = Setting(value, earlier[key].previous if ours else before)
    return record


def foreign(lines: list[Line], ours: str, earlier: Record | None) -> tuple[list[str], list[str]]:
    """The user's own settings an install would take over, worded, and the user's UDF modules.

    The interpreter key and UDF MODULES apply to every workbook: another Python in the file (not
    ours, nor the one an earlier xlmargin install set) would be replaced by xlmargin's private one,
    and the user's modules, kept in the list, would then be imported by it, without the packages
    they need, and one that fails to import stops Import Functions for every module, ours too.
    """
    key = interpreter_key()
    mine = {ours.lower()}
    if earlier and key in earlier.settings:
        mine.add(earlier.settings[key].value.lower())
    pythons = [v for line in lines if key_of(line, [key]) and (v := value_of(line.text) or "").strip()]
    listed = [
        m for line in lines if key_of(line, [UDF_MODULES]) for m in modules_of(value_of(line.text) or "")
    ]
    modules = list(dict.fromkeys(m for m in listed if m and m != UDF_MODULE))
    taken = []
    if pythons and pythons[0].strip().lower() not in mine:
        taken.append(
            f'"{key}" = "{pythons[0]}": install sets xlmargin\'s ({ours}), '
            "so your RunPython macros and functions would run there, without the packages they need"
        )
    if modules and (taken or not pythons):
        taken.append(
            f'"{UDF_MODULES}" lists your modules {", ".join(modules)}: xlmargin\'s Python would import '
            "them, and one that fails to import stops Import Functions for every module, xlmargin's too"
        )
    return taken, modules


def _refusal(config: Path, taken: list[str]) -> str:
    rows = f"{interpreter_key()} | {interpreter()} and {UDF_MODULES} | {UDF_MODULE}"
    return "\n".join(
        [
            f"stopped, nothing changed: {config} holds your own xlwings settings, for every workbook:",
            *(f"  {text}" for text in taken),
            "To go on, either",
            "  - take them over: xlmargin install --force (install.ps1 -Force); `xlmargin uninstall` puts "
            "them back. Install your modules' packages into xlmargin's Python or take them out of the list;",
            "  - or keep them and set xlmargin up per workbook: an xlwings.conf sheet in each workbook "
            f"that uses xlmargin, with the rows {rows} (installer/windows/IMPORT_FUNCTIONS.md).",
        ]
    )


def install(dry_run: bool = False, home: Path | None = None, force: bool = False) -> int:
    """Configure xlwings to load ``xlmargin.excel.udfs``; 0 on success, 1 if the add-in step failed
    or the file holds the user's own interpreter or modules (:func:`foreign`) and not ``force``."""
    config = config_path(home)
    record_file = record_path(home)
    lines = read_lines(config)
    settings = {UDF_MODULES: UDF_MODULE}
    if has_interpreter_key():  # elsewhere the user's own INTERPRETER_WIN stays as they set it
        settings[interpreter_key()] = str(interpreter())
    earlier = Record.load(record_file)  # a repeated install keeps what the first one replaced
    if earlier and earlier.config != str(config):
        raise XlMarginError(f"{record_file} records an install into {earlier.config}: uninstall that first")
    taken, modules = foreign(lines, str(interpreter()), earlier) if has_interpreter_key() else ([], [])
    if taken and not force:
        print(_refusal(config, taken))
        return 1
    addin = addin_path(home)
    record = Record(
        config=str(config),
        created_config=earlier.created_config if earlier else not config.exists(),
        created_config_folder=earlier.created_config_folder if earlier else not config.parent.exists(),
        settings=_settings_record(lines, settings, earlier.settings if earlier else {})
        | {k: v for k, v in (earlier.settings if earlier else {}).items() if k not in settings},
        addin_preexisting=earlier.addin_preexisting if earlier else bool(addin and addin.is_file()),
        addin_installed=bool(earlier and earlier.addin_installed),
    )
    new_lines = configured(lines, settings, {k: s.previous for k, s in record.settings.items()})

    def change(key: str, value: str) -> str:
        before = [value_of(text) for text in record.settings[key].previous]
        since = f" (before xlmargin: {' / '.join(map(str, before))})" if before else ""
        if key in LISTS:  # worded after the line in the file now, not the one before xlmargin
            current = [line for line in lines if key_of(line, [key])]
            now = [line for line in new_lines if key_of(line, [key])]
            shown = " / ".join(str(value_of(line.text)) for line in now)
            if current and now == current:
                return f'"{key}" already lists {value}: "{shown}" kept'
            if any(old != new and value_of(old.text) == value for old, new in zip(current, now)):
                return f'put back "{key}" = "{shown}": an older xlmargin install had replaced the list{since}'
            return f'add {value} to "{key}" = "{shown}"{since}'
        return f'set "{key}" = "{value}"{since}'

    print(f"xlmargin {__version__} install ({system()}, Python {interpreter()})")
    steps = [
        Step(
            f"write {config}: " + "; ".join(change(k, v) for k, v in settings.items()),
            lambda: write_lines(config, new_lines),
        ),
        Step(f"record what changed in {record_file}", lambda: record.save(record_file)),
    ]
    _perform(steps, dry_run)
    if not has_interpreter_key():
        print(f'"{interpreter_key()}" left as it is: the Python Excel starts is set on Windows or macOS')
    if not any(key_of(line, [UDF_MODULES]) for line in lines):
        print(_OWN_MODULE_NOTE)
    if modules:
        print(
            f"warning: {', '.join(modules)} stay in UDF Modules and run in xlmargin's Python "
            f"({interpreter()}): install their packages there or take them out of the list; one that fails "
            "to import stops Import Functions for every module, xlmargin's too"
        )

    ok = True
    if has_excel():
        print(f"{'would ' if dry_run else ''}run: {' '.join(addin_command('install'))}")
        if not dry_run:
            ok = run_addin("install")
            if ok and not record.addin_installed:
                replace(record, addin_installed=True).save(record_file)
        if system() == "macos":
            print(
                "note: Excel on macOS has no classic worksheet functions; there use xlwings Lite "
                "(installer/lite/README.md)"
            )
    else:
        print(f"skip `xlwings addin install`: Excel does not run on {system()}")
    if system() == "windows" and not dry_run:
        print("next: in Excel, xlwings tab > Import Functions (installer/windows/IMPORT_FUNCTIONS.md)")
    return 0 if ok else 1


_OWN_MODULE_NOTE = (
    "note: with no UDF Modules set, xlwings imported each workbook's functions from the .py of the "
    "same name beside it; now it imports the modules listed: add such a module's name to the list "
    "(xlwings tab > UDF Modules, or the workbook's xlwings.conf sheet) to keep its functions"
)


def uninstall(dry_run: bool = False, home: Path | None = None) -> int:
    """Undo what :func:`install` recorded; 0 on success.

    The add-in goes first: if Excel holds it (1 is returned), nothing else is changed, so running
    uninstall again after quitting Excel completes the job.
    """
    record_file = record_path(home)
    record = Record.load(record_file)
    if record is None:
        print(f"nothing to undo: no install record at {record_file}")
        current = status(home)
        if current.configured:
            print(f"note: {current.config} still names {UDF_MODULE}; change it in the xlwings ribbon")
        return 0
    config = Path(record.config)
    lines, notes = restored(read_lines(config), record.settings)
    remove_file = record.created_config and not any(line.text.strip() for line in lines)

    def restore_config() -> None:
        if remove_file:
            config.unlink(missing_ok=True)
            if record.created_config_folder and config.parent.is_dir() and not any(config.parent.iterdir()):
                config.parent.rmdir()
        else:
            write_lines(config, lines)

    print(f"xlmargin {__version__} uninstall ({system()})")
    text = f"delete {config} (xlmargin created it)" if remove_file else f"write {config}: " + "; ".join(notes)

    def forget() -> None:
        record_file.unlink(missing_ok=True)
        if not any(record_file.parent.iterdir()):  # nothing logged there yet
            record_file.parent.rmdir()

    steps = [
        Step(text, restore_config),
        Step(f"delete the install record {record_file} (and its folder if nothing else is in it)", forget),
    ]
    addin = addin_path(home)
    if record.addin_preexisting:
        print(f"keep the xlwings add-in: it was there before xlmargin ({addin})")
    elif record.addin_installed and has_excel():
        if addin and not addin.is_file():
            print(
                f"skip `xlwings addin remove`: no {ADDIN} at {addin} (if it is elsewhere, run that yourself)"
            )
        else:
            print(f"{'would ' if dry_run else ''}run: {' '.join(addin_command('remove'))}")
            if not dry_run and not run_addin("remove"):
                print("  nothing else was changed: quit Excel, then run `xlmargin uninstall` again")
                return 1
    _perform(steps, dry_run)
    return 0


# --- status -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Status:
    """What a support call needs to know about this user's installation."""

    system: str
    config: Path
    udf_modules: str | None  # the value the add-in reads (the first matching line)
    entries: int  # lines that set UDF MODULES to a list naming xlmargin.excel.udfs
    interpreter_key: str
    interpreter: str | None
    interpreter_exists: bool
    xlwings: str | None
    pinned: str
    addin: Path | None
    addin_exists: bool
    record: Path
    installed_at: str | None
    log: Path

    @property
    def configured(self) -> bool:
        return self.udf_modules is not None and UDF_MODULE in modules_of(self.udf_modules)

    @property
    def ok(self) -> bool:
        python = self.interpreter_exists or self.system not in ("windows", "macos")
        return self.configured and python and self.xlwings == self.pinned

    def lines(self) -> list[str]:
        def mark(good: bool, text: str) -> str:
            return f"ok: {text}" if good else f"PROBLEM: {text}"

        modules = mark(
            self.configured,
            f"{self.entries} line(s) name {UDF_MODULE}" if self.configured else f"{UDF_MODULE} is not listed",
        )
        python = mark(self.interpreter_exists, "exists" if self.interpreter_exists else "no such file")
        if self.system not in ("windows", "macos"):
            python = "n/a: no Excel here"
        versions = mark(
            self.xlwings == self.pinned,
            "as pinned" if self.xlwings == self.pinned else "package and add-in must be the pinned version",
        )
        addin = "n/a (no Excel here)"
        if self.addin is not None:
            addin = f"{self.addin} ({'found' if self.addin_exists else 'not at the default place'})"
        return [
            f"xlmargin {__version__} on {self.system}",
            f"config file      {self.config}",
            f"UDF modules      {self.udf_modules or '(not set)'}  [{modules}]",
            f"interpreter      {self.interpreter_key} = {self.interpreter or '(not set)'}  [{python}]",
            f"xlwings          {self.xlwings or '(none)'} installed, {self.pinned} pinned  [{versions}]",
            f"add-in           {addin}",
            f"install record   {self.record} ({self.installed_at or 'not installed'})",
            f"log file         {self.log}",
        ]


def status(home: Path | None = None) -> Status:
    """Read the configuration, the record and the versions; change nothing."""
    config = config_path(home)
    lines = read_lines(config)
    key = interpreter_key()
    modules = [value for line in lines if key_of(line, [UDF_MODULES]) and (value := value_of(line.text))]
    python = next((value_of(line.text) for line in lines if key_of(line, [key])), None)
    record = Record.load(record_path(home))
    addin = addin_path(home)
    return Status(
        system=system(),
        config=config,
        udf_modules=modules[0] if modules else None,
        entries=sum(UDF_MODULE in modules_of(value) for value in modules),
        interpreter_key=key,
        interpreter=python,
        interpreter_exists=python is not None and Path(os.path.expandvars(python)).is_file(),
        xlwings=installed_xlwings(),
        pinned=PINNED_XLWINGS,
        addin=addin,
        addin_exists=bool(addin and addin.is_file()),
        record=record_path(home),
        installed_at=record.installed_at if record else None,
        log=log_path(home),
    )


# --- command line -------------------------------------------------------------------------------


def _cmd_install(args: argparse.Namespace) -> int:
    return install(dry_run=args.dry_run, force=args.force)


def _cmd_uninstall(args: argparse.Namespace) -> int:
    return uninstall(dry_run=args.dry_run)


def _cmd_status(args: argparse.Namespace) -> int:
    current = status()
    print("\n".join(current.lines()))
    if not has_excel():  # nothing to configure is not a fault: the CLI and the Python API work here
        print(
            f"Excel does not run on {current.system}: nothing to check; the command and the Python API work"
        )
        return 0
    return 0 if current.ok else 1


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``xlmargin install | uninstall [--dry-run]`` and ``xlmargin status`` to the CLI."""
    commands = (
        ("install", _cmd_install, "make Excel load the xlmargin worksheet functions (this user only)"),
        ("uninstall", _cmd_uninstall, "undo exactly what `xlmargin install` changed"),
        (
            "status",
            _cmd_status,
            "show the configuration Excel will use; exit 1 if something is wrong "
            "(exit 0 where there is no Excel)",
        ),
    )
    for name, handler, text in commands:
        parser = subparsers.add_parser(name, help=text, description=text)
        if name != "status":
            parser.add_argument("--dry-run", action="store_true", help="print every step and change nothing")
        if name == "install":
            parser.add_argument(
                "--force",
                action="store_true",
                help="take over another Python or other UDF modules set for every workbook (uninstall "
                "puts them back)",
            )
        parser.set_defaults(handler=handler)
