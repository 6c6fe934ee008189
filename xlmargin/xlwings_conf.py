"""The user's xlwings configuration file, line by line (:mod:`xlmargin.install` edits it).

The file is xlwings' own format, read by two readers that disagree on duplicates: the add-in's
VBA ``GetConfigFromFile`` (``Input #`` of two fields; the *first* line whose key matches
case-insensitively wins) and ``xlwings.utils.read_user_config`` (the first two ``"..."`` of each
line; the *last* match wins). So each of our lines is ``"KEY","VALUE"`` with the key spelled as the
ribbon's ``SaveConfigToFile`` writes it, every line carrying one of our keys gets our value, no
value may hold a double quote, and every other line is kept byte for byte, line ending included.
Text is read and written in the locale's ANSI code page, which is what VBA's ``Open`` uses.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from xlmargin.errors import XlMarginError

UDF_MODULES = "UDF MODULES"
LISTS = frozenset({UDF_MODULES})
"""Keys whose value is a ``;``-separated list: ours is added to it, never put in its place."""

_FIELD = re.compile(r'"[^"]*"')  # a quoted field, as xlwings.utils.read_user_config finds them


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the configuration file: its text and its own ending (``""`` on a last line)."""

    text: str
    end: str


def entry(text: str) -> tuple[str, str] | None:
    """(key, value) of a line as xlwings reads it: its first two quoted fields; else None."""
    fields = _FIELD.findall(text)
    if len(fields) < 2:
        return None
    return fields[0].strip('"'), fields[1].strip('"')


def value_of(text: str) -> str | None:
    found = entry(text)
    return found[1] if found else None


def key_of(line: Line, keys: Iterable[str]) -> str | None:
    """Which of ``keys`` the line sets (keys match case-insensitively, as both readers do)."""
    found = entry(line.text)
    if found is None:
        return None
    return next((key for key in keys if key.lower() == found[0].lower()), None)


def format_line(key: str, value: str) -> str:
    if '"' in value:
        raise XlMarginError(f"{key} cannot hold a double quote: {value}")
    return f'"{key}","{value}"'


def read_lines(path: Path) -> list[Line]:
    if not path.is_file():
        return []
    try:
        with path.open(encoding="locale", errors="surrogateescape", newline="") as f:
            raws = list(f)
    except OSError as exc:
        raise XlMarginError(f"cannot read {path}: {exc.strerror}") from None
    lines = []
    for raw in raws:
        text = raw.rstrip("\r\n")
        lines.append(Line(text, raw[len(text) :]))
    return lines


def write_lines(path: Path, lines: Iterable[Line]) -> None:
    """Replace the file at once (a temporary file beside it), so Excel never reads half of it."""
    temporary = path.with_name(path.name + ".xlmargin-tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="locale", errors="surrogateescape", newline="") as f:
            f.writelines(line.text + line.end for line in lines)
        temporary.replace(path)
    except UnicodeEncodeError as exc:
        temporary.unlink(missing_ok=True)
        raise XlMarginError(
            f"{path}: '{exc.object[exc.start : exc.end]}' cannot be written in this computer's "
            "code page; install into a folder whose path has plain ASCII characters"
        ) from None
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise XlMarginError(f"cannot write {path}: {exc.strerror}") from None


def modules_of(value: str) -> list[str]:
    return [name.strip() for name in value.split(";")]


def appended(value: str | None, name: str) -> str:
    """A ``;``-separated list with ``name`` at its end, unless the list already names it."""
    if value is None or not value.strip():
        return name
    if name in modules_of(value):
        return value
    return value.rstrip().rstrip(";") + ";" + name


def without(value: str, name: str) -> str:
    """A ``;``-separated list without ``name``; the other names as they were."""
    return ";".join(part for part in value.split(";") if part.strip() != name)


def new_value(key: str, value: str, line: Line | None) -> str:
    """What a line of ``key`` holds once set: our value, or for a list the line's with ours added."""
    return appended(value_of(line.text) if line else None, value) if key in LISTS else value


def replaced_list(key: str, value: str, line: Line, previous: str) -> bool:
    """Whether ``line`` is a list key's line as an install made before ours was appended left it:
    ours alone, where the line recorded before xlmargin (``previous``) held a list without ours."""
    return key in LISTS and value_of(line.text) == value and value not in modules_of(value_of(previous) or "")


def configured(
    lines: list[Line], settings: Mapping[str, str], previous: Mapping[str, tuple[str, ...]] | None = None
) -> list[Line]:
    """``lines`` with every line of a key in ``settings`` set to our value (a list key: ours added
    to the line's list; a line whose list names ours already is kept as it is), missing keys on top.

    A list key's line that an older install left holding ours in place of the list recorded in
    ``previous`` (the lines before xlmargin, in order) gets that list back with ours added.
    New keys go first: the add-in reads the first match, and a file whose last line has no line
    ending stays byte-identical below them.
    """
    ending = next((line.end for line in lines if line.end), "\r\n" if sys.platform == "win32" else "\n")
    present = {key_of(line, settings) for line in lines}
    pending = {key: list(texts) for key, texts in (previous or {}).items()}
    out = [Line(format_line(key, value), ending) for key, value in settings.items() if key not in present]
    for line in lines:
        key = key_of(line, settings)
        if key is None:
            out.append(line)
            continue
        before = pending[key].pop(0) if pending.get(key) else None
        base = line
        if before is not None and replaced_list(key, settings[key], line, before):
            base = Line(before, line.end)  # the list before xlmargin, ours to be added to it
        if key in LISTS and new_value(key, settings[key], base) == value_of(line.text):
            out.append(line)
        else:
            out.append(Line(format_line(key, new_value(key, settings[key], base)), line.end))
    return out
