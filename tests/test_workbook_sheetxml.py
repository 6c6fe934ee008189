"""Targeted edits of worksheet XML: only the edited cells' cached values change.

The XML snippets are hand-written in the shapes Excel, XlsxWriter, openpyxl and the Open XML SDK
(``x:`` prefixes) produce.
"""

from __future__ import annotations

from xlmargin.workbook._sheetxml import (
    Cell,
    CellEdit,
    Formula,
    explicit,
    format_ref,
    parse_ref,
    range_cells,
    rewrite,
    scan_formulas,
)

HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def sheet(rows: str, dimension: str = "A1:Z100") -> str:
    return f'{HEAD}<dimension ref="{dimension}"/><sheetData>{rows}</sheetData><pageMargins/></worksheet>'


def test_refs_round_trip() -> None:
    assert parse_ref("A1") == (1, 1)
    assert parse_ref("$AB$12") == (12, 28)
    assert format_ref(12, 28) == "AB12"
    assert all(parse_ref(format_ref(r, c)) == (r, c) for r in (1, 9, 1048576) for c in (1, 26, 27, 16384))
    assert range_cells("B2:C3") == [(2, 2), (2, 3), (3, 2), (3, 3)]
    assert range_cells("C3") == [(3, 3)]


def test_scan_finds_formula_kinds() -> None:
    xml = sheet(
        '<row r="1"><c r="A1" s="1"><f t="shared" ref="A1:A2" si="0">B1*2</f><v>2</v></c>'
        '<c r="B1"><v>1</v></c><c r="C1" cm="1"><f t="array" ref="C1:C3">X()</f></c></row>'
        '<row r="2"><c r="A2"><f t="shared" si="0"/><v>0</v></c><c r="D2"/></row>'
    )
    assert scan_formulas(xml) == [
        Cell(1, 1, Formula("shared", "A1:A2", False)),
        Cell(1, 3, Formula("array", "C1:C3", True)),
        Cell(2, 1, Formula("shared", None, False)),
    ]


def test_edits_touch_only_values() -> None:
    xml = sheet(
        '<row r="1" spans="1:3"><c r="A1" s="4" t="s"><f>X()</f><v>7</v></c>'
        '<c r="B1" s="2"><f>Y()</f></c><c r="C1" s="1" t="e" vm="1"><f>Z()</f><v>#SPILL!</v></c>'
        "</row>"
    )
    new = rewrite(
        xml,
        {
            (1, 1): CellEdit("str", "a &amp; b"),
            (1, 2): CellEdit(None, "2.5"),
            (1, 3): CellEdit(None, "3"),
        },
        drop_formulas=False,
    )
    assert new == sheet(
        '<row r="1" spans="1:3"><c r="A1" s="4" t="str"><f>X()</f><v>a &amp; b</v></c>'
        '<c r="B1" s="2"><f>Y()</f><v>2.5</v></c><c r="C1" s="1"><f>Z()</f><v>3</v></c>'
        "</row>"
    )


def test_missing_cells_and_rows_are_inserted_in_order() -> None:
    xml = sheet(
        '<row r="1"><c r="B1"><f t="array" ref="B1:D3">G()</f><v>0</v></c><c r="F1"><v>9</v></c>'
        '</row><row r="3" spans="1:2"/><row r="5"><c r="A5"><v>1</v></c></row>'
    )
    edits = {
        (1, 2): CellEdit("str", "a", "B1:D3"),
        (1, 3): CellEdit(None, "1"),
        (1, 4): CellEdit("b", "1"),
        (2, 2): CellEdit("e", "#N/A"),
        (2, 3): CellEdit(None, None),  # nothing to clear: no cell is made
        (3, 4): CellEdit(None, "4"),
        (3, 2): CellEdit(None, "2"),
    }
    assert rewrite(xml, edits, drop_formulas=False) == sheet(  # row 3's spans grown to cover D3
        '<row r="1"><c r="B1" t="str"><f t="array" ref="B1:D3">G()</f><v>a</v></c>'
        '<c r="C1"><v>1</v></c><c r="D1" t="b"><v>1</v></c><c r="F1"><v>9</v></c></row>'
        '<row r="2"><c r="B2" t="e"><v>#N/A</v></c></row>'
        '<row r="3" spans="1:4"><c r="B3"><v>2</v></c><c r="D3"><v>4</v></c></row>'
        '<row r="5"><c r="A5"><v>1</v></c></row>'
    )


def test_dynamic_ref_update_and_value_removal() -> None:
    xml = sheet(
        '<row r="1"><c r="A1" cm="1"><f t="array" ref="A1:A3">S()</f><v>1</v></c></row>'
        '<row r="2"><c r="A2" s="3"><v>2</v></c></row>'
        '<row r="3"><c r="A3" t="str"><v>x</v></c></row>'
    )
    edits = {
        (1, 1): CellEdit(None, "5", "A1:A2"),
        (2, 1): CellEdit(None, "6"),
        (3, 1): CellEdit(None, None),
    }
    assert rewrite(xml, edits, drop_formulas=False) == sheet(  # row 3's spans grown to cover D3
        '<row r="1"><c r="A1" cm="1"><f t="array" ref="A1:A2">S()</f><v>5</v></c></row>'
        '<row r="2"><c r="A2" s="3"><v>6</v></c></row><row r="3"><c r="A3"></c></row>'
    )


def test_drop_formulas_keeps_values() -> None:
    xml = sheet(
        '<row r="1"><c r="A1" cm="1"><f t="array" ref="A1">S()</f><v>1</v></c>'
        '<c r="B1"><f t="shared" ref="B1:B2" si="0">A1</f><v>1</v></c>'
        '<c r="C1"><f>Q()</f></c><c r="D1" s="1"/></row>'
    )
    assert rewrite(xml, {(1, 3): CellEdit("b", "0")}, drop_formulas=True) == sheet(
        '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>1</v></c>'
        '<c r="C1" t="b"><v>0</v></c><c r="D1" s="1"/></row>'
    )


def test_prefixed_pretty_printed_xml_without_refs() -> None:
    xml = (
        '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n'
        "  <x:sheetData>\n"
        "    <x:row>\n"
        "      <x:c><x:v>1</x:v></x:c>\n"
        "      <x:c>\n        <x:f>A1+1</x:f>\n        <x:v>0</x:v>\n      </x:c>\n"
        "    </x:row>\n"
        "  </x:sheetData>\n"
        "</x:worksheet>\n"
    )
    assert scan_formulas(xml) == [Cell(1, 2, Formula("normal", None, False))]
    new = rewrite(xml, {(1, 2): CellEdit(None, "2"), (2, 1): CellEdit(None, "3")}, drop_formulas=False)
    assert new == xml.replace("<x:v>0</x:v>", "<x:v>2</x:v>").replace(
        "</x:row>\n  </x:sheetData>",
        '</x:row><x:row r="2"><x:c r="A2"><x:v>3</x:v></x:c></x:row>\n  </x:sheetData>',
    )


def test_self_closing_sheet_data_and_cells() -> None:
    empty = f"{HEAD}<sheetData/></worksheet>"
    assert rewrite(empty, {}, drop_formulas=True) == empty
    assert rewrite(empty, {(1, 1): CellEdit(None, "1")}, drop_formulas=False) == (
        f'{HEAD}<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
    )
    xml = sheet('<row r="1"><c r="A1" s="2"/></row>')
    assert rewrite(xml, {(1, 1): CellEdit("str", "")}, drop_formulas=False) == sheet(
        '<row r="1"><c r="A1" s="2" t="str"><v></v></c></row>'
    )


def test_unchanged_sheet_is_identical() -> None:
    xml = sheet('<row r="1" spans="1:1"><c r="A1"><v>1</v></c></row><row r="2"/>')
    assert rewrite(xml, {}, drop_formulas=True) == xml
    assert rewrite(xml, {(1, 1): CellEdit(None, "1")}, drop_formulas=False) == xml


def test_a_row_of_unclosed_cells_is_scanned_in_linear_time() -> None:
    """One formula cell and thousands of ``<c t="n">`` never closed: each searched the rest of the
    row again for its ``</c>`` (quadratic: 20,000 of them, a 15 KB file, took minutes). An unclosed
    cell is still skipped and a self-closing one after it still read."""
    import time

    xml = sheet("<row><c><f>1+1</f></c>" + '<c t="n">' * 4000 + '<c r="Z1"/><c/></row>')
    started = time.perf_counter()
    cells = scan_formulas(xml)
    plain = explicit(xml, lambda text, rows, cols: text)
    assert time.perf_counter() - started < 1.0
    assert [(c.row, c.col) for c in cells] == [(1, 1)]
    assert '<c r="Z1"/><c r="AA1"/>' in plain and plain.count('r="A1"') == 1
