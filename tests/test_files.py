"""Files written for the user (:mod:`xlmargin.files`): flushed to disk before they replace the old
one, with the mode ``open()`` would give them, the umask read without changing it."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from xlmargin import files
from xlmargin.files import atomic_output, current_umask, new_file_mode


def test_the_new_file_and_its_folder_are_flushed_before_and_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without fsync a power loss after the rename can leave an empty file where the old one was."""
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    synced: list[tuple[bool, bool]] = []  # (a folder?, the target already replaced?)
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), target.read_bytes() == b"new"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with atomic_output(target) as temp:
        temp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert synced[0] == (False, False)  # the file, before the rename
    if os.name == "posix":
        assert synced[1:] == [(True, True)]  # the folder, after it


def test_a_folder_that_refuses_fsync_still_gets_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems (network, FUSE) refuse to sync a folder: the write stands."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "out.csv"
    with atomic_output(target) as temp:
        temp.write_text("a,b\n")
    assert target.read_text() == "a,b\n"


def test_a_failed_file_fsync_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(OSError), atomic_output(target) as temp:
        temp.write_text("new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        assert current_umask() == umask
        assert new_file_mode(tmp_path / "new.csv") == 0o666 & ~umask
        target = tmp_path / "new.csv"
        with atomic_output(target) as temp:
            temp.write_text("x")
        assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    finally:
        os.umask(old)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_the_umask_is_read_without_setting_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the umask to 0 to read it races with other threads creating files (they would get
    0666); where /proc shows it, it is only read."""

    def umask(mask: int) -> int:
        raise AssertionError(f"os.umask({mask:o}) called from {threading.current_thread().name}")

    old = os.umask(0o027)
    try:
        monkeypatch.setattr(files.os, "umask", umask)
        assert current_umask() == 0o027
    finally:
        monkeypatch.undo()
        os.umask(old)


def test_without_proc_the_umask_is_set_straight_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "PROC_STATUS", tmp_path / "no-proc")
    old = os.umask(0o037)
    try:
        assert current_umask() == 0o037
        assert os.umask(0o037) == 0o037  # left as it was
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="reads the descriptor's access mode with fcntl")
@pytest.mark.parametrize("mode", [0o644, 0o200])
def test_the_flush_uses_a_handle_that_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    """Windows refuses to flush a read-only handle (EBADF), as this stand-in does: the file is
    flushed through one opened for writing, before its mode (here a target without the owner's
    read, 0o200) is given to it."""
    import fcntl

    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        is_folder = stat.S_ISDIR(os.fstat(fd).st_mode)
        if not is_folder and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
            raise OSError(9, "Bad file descriptor")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "out.csv"
    target.write_text("old")
    target.chmod(mode)
    with atomic_output(target) as temp:
        temp.write_text("new")
    target.chmod(0o644)
    assert target.read_text() == "new"
