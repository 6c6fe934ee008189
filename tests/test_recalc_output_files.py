"""Where ``recalc`` and ``freeze`` write: through a symbolic link to the workbook it names, never
over a file or into a folder the user may not write, keeping a replaced file's mode and owner."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import REPO
from tests.test_recalc_cli import xlmargin

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX links, permission bits and owners")
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
TEMPLATE = REPO / "workbooks" / "allocation_template.xlsx"


def margin(path: Path) -> object:
    return openpyxl.load_workbook(path, data_only=True)["Margin"]["B9"].value


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "books" / "book.xlsx"
    path.parent.mkdir()
    shutil.copy(TEMPLATE, path)
    return path


def test_in_place_through_a_link_updates_the_workbook_it_names(book: Path, tmp_path: Path, capsys) -> None:
    """The link was replaced by a regular file and the workbook it named never changed."""
    book.chmod(0o640)
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    assert xlmargin("recalc", link, "--in-place") == 0
    assert link.is_symlink() and link.resolve() == book.resolve()
    assert margin(book) is not None and margin(book) > 0
    assert mode(book) == 0o640
    # no temporary file left beside the link or the workbook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["books", "link.xlsx"]
    assert [p.name for p in book.parent.iterdir()] == ["book.xlsx"]


@pytest.mark.parametrize("command", ["recalc", "freeze"])
def test_force_onto_a_link_writes_the_file_it_names(book: Path, tmp_path: Path, capsys, command: str) -> None:
    target = tmp_path / "books" / "old.xlsx"
    target.write_bytes(b"old")
    link = tmp_path / "out.xlsx"
    link.symlink_to(target)
    assert xlmargin(command, book, "-o", link) == 2  # exists: --force needed
    assert xlmargin(command, book, "-o", link, "--force") == 0
    assert link.is_symlink() and zipfile.is_zipfile(target)
    assert margin(target) > 0


def _deny_writes(monkeypatch, *denied: Path) -> None:
    """``os.access`` says no to writing ``denied``, as it does for a user other than root."""
    real = os.access
    names = {os.fspath(p) for p in denied}

    def access(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
        if mode & os.W_OK and os.fspath(path) in names:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


@pytest.mark.parametrize("how", ["in-place", "force", "freeze"])
def test_a_file_the_user_may_not_write_is_refused_in_one_line(
    book: Path, tmp_path: Path, monkeypatch, capsys, how: str
) -> None:
    """A read-only file (or another user's) was replaced silently when the folder was writable."""
    out = tmp_path / "books" / "out.xlsx"
    out.write_bytes(b"theirs")
    target = book if how == "in-place" else out
    _deny_writes(monkeypatch, target)
    before = book.read_bytes()
    argv = {
        "in-place": ("recalc", book, "--in-place"),
        "force": ("recalc", book, "-o", out, "--force"),
        "freeze": ("freeze", book, "-o", out, "--force"),
    }[how]
    assert xlmargin(*argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"xlmargin: {target} is read-only or not yours to write; nothing written\n"
    assert book.read_bytes() == before and out.read_bytes() == b"theirs"
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx", "out.xlsx"]


@pytest.mark.skipif(ROOT, reason="root may write a read-only file")
def test_a_read_only_file_is_refused(book: Path, capsys) -> None:
    book.chmod(0o444)
    before = book.read_bytes()
    assert xlmargin("recalc", book, "--in-place") == 2
    assert "is read-only or not yours to write" in capsys.readouterr().err
    assert book.read_bytes() == before and mode(book) == 0o444


@pytest.mark.skipif(not ROOT, reason="only root may write a read-only file or give a file away")
def test_root_keeps_a_replaced_files_mode_owner_and_group(book: Path, capsys) -> None:
    os.chown(book, 65534, 65534)
    book.chmod(0o444)
    assert xlmargin("recalc", book, "--in-place") == 0
    after = book.stat()
    assert (after.st_uid, after.st_gid, mode(book)) == (65534, 65534, 0o444)
    assert margin(book) > 0


def test_a_folder_the_user_may_not_write_is_named(book: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """The error named the temporary file: "[Errno 13] Permission denied: '/…/.b.xlsx.53pouobv.tmp'"."""
    folder = tmp_path / "ro"
    folder.mkdir()
    _deny_writes(monkeypatch, folder)
    assert xlmargin("recalc", book, "-o", folder / "out.xlsx") == 2
    assert capsys.readouterr().err == f"xlmargin: cannot write in the folder {folder}; nothing written\n"
    assert list(folder.iterdir()) == []


def test_a_folder_refusing_the_temporary_file_is_named(
    book: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The check is racy (and ACLs or read-only mounts may pass it): the temp file's own error says so."""

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", os.fspath(tmp_path / ".out.xlsx.xyz.tmp"))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    assert xlmargin("recalc", book, "-o", tmp_path / "out.xlsx") == 2
    err = capsys.readouterr().err
    assert err == f"xlmargin: cannot write in the folder {tmp_path}: Permission denied; nothing written\n"


@pytest.mark.skipif(ROOT, reason="root may write in a read-only folder")
def test_a_read_only_folder_is_named(book: Path, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert xlmargin("recalc", book, "-o", folder / "out.xlsx") == 2
    finally:
        folder.chmod(0o755)
    assert capsys.readouterr().err == f"xlmargin: cannot write in the folder {folder}; nothing written\n"


def test_an_output_whose_links_form_a_loop_is_refused_in_one_line(tmp_path, capsys) -> None:
    """A review found ``-o a.xlsx --force`` with a.xlsx → b.xlsx → a.xlsx ended in a traceback."""
    from xlmargin.cli import main

    (tmp_path / "a.xlsx").symlink_to("b.xlsx")
    (tmp_path / "b.xlsx").symlink_to("a.xlsx")
    source = Path(__file__).resolve().parents[1] / "workbooks" / "hedge_comparison.xlsx"
    assert main(["recalc", str(source), "-o", str(tmp_path / "a.xlsx"), "--force"]) == 2
    err = capsys.readouterr().err
    assert "its symbolic links form a loop" in err and "Traceback" not in err
    assert (tmp_path / "a.xlsx").is_symlink() and (tmp_path / "b.xlsx").is_symlink()


def test_a_link_to_a_file_of_another_kind_is_not_written_as_a_workbook(tmp_path, capsys) -> None:
    """The extension is the written file's: ``-o lt.xlsx --force`` with lt.xlsx → notes.txt replaced
    the text file with a workbook."""
    from xlmargin.cli import main

    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    (tmp_path / "lt.xlsx").symlink_to("notes.txt")
    source = Path(__file__).resolve().parents[1] / "workbooks" / "hedge_comparison.xlsx"
    assert main(["recalc", str(source), "-o", str(tmp_path / "lt.xlsx"), "--force"]) == 2
    assert "must keep the .xlsx extension" in capsys.readouterr().err
    assert notes.read_text() == "mine"


@pytest.mark.parametrize("command", ["recalc", "freeze"])
def test_a_positions_csv_is_told_at_once_what_reads_it(tmp_path, capsys, command: str) -> None:
    """`recalc positions.csv -o out.xlsx` first said the output must keep the .csv extension (QA
    review); the input is refused before its output is looked at, naming the command for a CSV."""
    from xlmargin.cli import main

    source = tmp_path / "positions.csv"
    source.write_text("symbol,quantity,price\nIBM,10,90\n", encoding="utf-8")
    outputs = [["-o", str(tmp_path / "out.xlsx")]] + ([[]] if command == "recalc" else [])
    for output in outputs:
        assert main([command, str(source), *output]) == 2
        assert capsys.readouterr().err == (
            f"xlmargin: positions.csv: {command} takes an Excel workbook (.xlsx or .xlsm); for a positions "
            "file use `xlmargin margin positions.csv` (or whatif, hedge, plan, batch)\n"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["positions.csv"]
