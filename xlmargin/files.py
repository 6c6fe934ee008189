"""Files the user hands the command line, and files it writes for the user.

Reading: :func:`input_file` says in one line why a path cannot be read (missing, a folder, a
device); :func:`csv_rows` reads a CSV file as Excel saves one: UTF-8 with or without a byte-order
mark, or UTF-16 with its mark ("Unicode Text", tab-separated). Any other encoding is one error
naming the file and the way out, never a ``UnicodeDecodeError``.

Writing: nothing the user owns is replaced unless asked. :func:`refuse_existing` stops before any
work when the output exists and ``--force`` was not given; :func:`atomic_output` writes through a
temporary file beside the output and renames it over the output at the end, giving the new file the
mode a plain ``open()`` would (the umask's) or, when it replaces a file, that file's mode (and its
owner and group where the process may set them: all of them as root, else the group when the writer
belongs to it; otherwise the new file is the writer's, as any editor's save leaves it).
:func:`writable_output` is the path actually written: a symbolic link is followed to the file it
names (the link stays, the workbook it points to is updated, as Excel saving through a link does);
a file the user may not write (read-only, another user's) or a folder they may not write in is one
error before any work, never a silent replacement or a raw error naming a temporary file. Every CSV
we write passes its cells through :func:`csv_safe`: a text that a spreadsheet would take for a
formula ('=HYPERLINK(...)', '+ACC3') is written with a single quote in front.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xlmargin.errors import InputError, Problem, XlMarginError

SAVE_AS = "save it from Excel as 'CSV UTF-8 (Comma delimited)'"
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
PROC_STATUS = Path("/proc/self/status")  # Linux shows the umask there ("Umask:\t0022")

MAX_CELLS = 10_000_000
"""The cells a positions workbook may hold by default: ten times recalc's ``--max-cells`` default
(:class:`xlmargin.workbook.Limits`), since a positions sheet is read as values alone and a desk's
batch is large (10,000 accounts of 50 positions in 10 columns are 5,000,000 cells); what it refuses
is a sheet that would inflate past memory. A CSV (and a broker export) has no default limit: its
size on disk is its size."""


def input_file(path: Path) -> Path:
    """``path`` when it is a regular file; else one error saying what it is instead."""
    if path.is_file():
        return path
    if path.is_dir():
        raise InputError(Problem(f"{path} is a folder, not a file"))
    if path.exists():
        raise InputError(Problem(f"{path} is not a regular file"))
    raise InputError(Problem(f"no such file: {path}"))


def decode_csv(data: bytes, *, final: bool = True) -> str:
    """CSV bytes as text, decoded as Excel writes them (see the module docstring). ``final=False``
    for the first bytes of a file only: a character cut at their end is left out, not an error.
    Raises ``UnicodeDecodeError`` for any other encoding."""
    encoding = "utf-16" if data.startswith(_UTF16_MARKS) else "utf-8-sig"
    return codecs.getincrementaldecoder(encoding)().decode(data, final=final)


def csv_text(path: Path, *, max_cells: int | None = None) -> str:
    """The text of a CSV file, decoded as Excel writes it (see the module docstring). With
    ``max_cells``, a file of more cells is refused (:func:`cells_checked`)."""
    try:
        data = input_file(path).read_bytes()
    except OSError as error:
        raise InputError(Problem(f"cannot read {path.name}: {error.strerror or error}")) from None
    try:
        text = decode_csv(data)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        raise InputError(
            Problem(f"{path.name} is not UTF-8 text (byte 0x{bad} on line {line}); {SAVE_AS}")
        ) from None
    if max_cells is not None:
        cells_checked(path.name, text.count(csv_delimiter(text)) + text.count("\n") + 1, max_cells)
    return text


def cells_checked(name: str, cells: int, max_cells: int) -> None:
    """Refuse a file ``name`` of ``cells`` cells (an upper bound counted before it is parsed: a
    CSV's separators and line ends, quoted ones too; an XML report's attributes) when over
    ``max_cells``: Python holds some 60 bytes per cell, so a few hundred megabytes of text would
    take gigabytes."""
    if cells > max_cells:
        raise InputError(
            Problem(
                f"{name}: {cells:,} cells or more, over the {max_cells:,} a positions file may hold "
                "(max_cells); split it"
            )
        )


def csv_delimiter(text: str) -> str:
    """Tab when the first non-blank line has tabs and no comma (Excel's Unicode Text), else comma."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "\t" in first and "," not in first else ","


def csv_rows(path: Path, *, max_cells: int | None = None) -> list[list[str]]:
    """The cells of a CSV file, row by row (an empty line is an empty row, so row numbers stay the
    file's lines), separated as :func:`csv_delimiter` says. With ``max_cells``, a file of more
    cells is refused before the text is split (:func:`cells_checked`)."""
    text = csv_text(path, max_cells=max_cells)
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))]


def separator_hint(rows: list[list[str]]) -> str:
    """A hint for a CSV file whose header was not found: "" unless its first line reads as one
    cell holding semicolons (a CSV saved with ';' between the cells, as Excel does in many locales)."""
    first = next((row for row in rows if any(cell.strip() for cell in row)), [])
    if len(first) == 1 and ";" in first[0]:
        return (
            "its cells are separated by ';' (Excel's list separator in many locales); xlmargin "
            "reads CSV with ',' between cells and '.' in numbers"
        )
    return ""


# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets when
# the CSV is opened (OWASP's "CSV injection"): '=HYPERLINK(...)', '@SUM(...)', '+1', '-2+3'.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: Any) -> Any:
    """A cell for a CSV file we write: a text starting as a formula would (:data:`FORMULA_STARTS`)
    gets a single quote in front, as OWASP advises, so a spreadsheet shows it as text and never
    runs it; numbers (and every other cell) are left as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_safe_frame(frame: Any) -> Any:
    """A DataFrame whose text cells are :func:`csv_safe` (a copy when any changes; number columns
    are never touched)."""
    changed = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or str(column.dtype) in ("string", "str"):
            safe = column.map(csv_safe)
            if not safe.equals(column):
                changed[name] = safe
    return frame.assign(**changed) if changed else frame


def refuse_existing(path: Path, force: bool, instead: str = "another name") -> None:
    """Stop, before any work, when ``path`` exists and replacing it was not asked for."""
    if path.exists() and not force:
        raise XlMarginError(f"{path} exists; choose {instead} or pass --force to replace it")


def resolved(path: Path) -> Path:
    """``path`` with its symbolic links followed; a loop of links is an :class:`OSError` saying so
    (one line from the command line), not the RuntimeError Python 3.11 raises."""
    try:
        return path.resolve()
    except RuntimeError as exc:
        raise OSError(f"{path}: its symbolic links form a loop ({exc})") from None


def writable_output(path: Path) -> Path:
    """The file to write for ``path``: the file a symbolic link names (followed through every
    link, even one naming a file not there yet, as ``open()`` for writing does), else ``path``.
    Raises :class:`XlMarginError` when that file exists and may not be written (read-only, or
    another user's: ``os.access``, so root may), or when its folder is missing or may not be
    written in."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    if target.exists() and not os.access(target, os.W_OK):
        link = f" (the link {path} points to it)" if target != path else ""
        raise XlMarginError(f"{target} is read-only or not yours to write{link}; nothing written")
    folder = target.parent
    if not folder.is_dir():
        raise XlMarginError(f"{target}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise XlMarginError(f"cannot write in the folder {folder}; nothing written")
    return target


def _keep_owner(temp: Path, path: Path) -> None:
    """Give ``temp`` the owner and group of the file ``path`` it replaces, as far as the process may
    (all of them as root; else the group when the writer belongs to it); no file, no change."""
    if not hasattr(os, "chown"):
        return
    try:
        old = path.stat()
    except OSError:
        return
    for uid in (old.st_uid, -1):
        try:
            os.chown(temp, uid, old.st_gid)
            return
        except OSError:
            continue


def current_umask() -> int:
    """The process umask, read without changing it where the system shows it (Linux:
    ``/proc/self/status``); elsewhere set to 0 and straight back, the only portable way, which a
    thread creating a file at that moment could see."""
    try:
        with PROC_STATUS.open(encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


def new_file_mode(path: Path) -> int:
    """The permission bits a file written to ``path`` gets: those of the file it replaces, else
    what ``open()`` would give a new file (0o666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); a system or file system that cannot open or
    sync a folder (Windows, some network and FUSE mounts) is left as it is."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; at the end of the block it is given
    :func:`new_file_mode`, flushed to disk and renamed to ``path`` (atomically; the folder is then
    flushed too), or removed if the block failed. A power loss leaves the old file or the new one,
    never an empty one.

    ``path`` is first checked and a link followed by :func:`writable_output`; a folder that refuses
    the temporary file is one error naming the folder."""
    path = writable_output(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise XlMarginError(
            f"cannot write in the folder {path.parent}: {error.strerror or error}; nothing written"
        ) from None
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        # Flushed through a handle that may write: Windows' FlushFileBuffers refuses a read-only one
        # (EBADF), and before the mode is set, which may take away the owner's read or write.
        with temp.open("r+b") as written:
            os.fsync(written.fileno())
        _keep_owner(temp, path)
        temp.chmod(new_file_mode(path))  # after chown, which may clear set-user/group-id bits
        try:
            temp.replace(path)
        except PermissionError as error:  # e.g. a sticky folder (/tmp) and another user's file
            why = error.strerror or error
            raise XlMarginError(f"cannot replace {path}: {why}; nothing written") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


__all__ = [
    "MAX_CELLS",
    "atomic_output",
    "cells_checked",
    "csv_delimiter",
    "csv_rows",
    "csv_safe",
    "csv_safe_frame",
    "csv_text",
    "current_umask",
    "decode_csv",
    "input_file",
    "new_file_mode",
    "refuse_existing",
    "resolved",
    "separator_hint",
    "writable_output",
]
