"""The one reader of both formats, and the row rules that need no database."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from custodesk.core.errors import ValidationFailed
from custodesk.testing.workorder_imports import csv_bytes, unused_number, xlsx
from custodesk.workorders.imports import columns, readers, validate


def rows_of(content: bytes, name: str = "f.csv") -> list[tuple[int, dict[str, str]]]:
    return readers.read_all(content, readers.detect_format(name, content))


def test_xlsx_rows_keep_the_sheet_row_numbers_skip_blank_rows_and_read_numbers_as_digits():
    content = xlsx([["Close account", 100000017, "", "Asked"], [None] * 4,
                    ["Close account", 100000025.0, None, "  two   spaces "]])  # fmt: skip
    assert readers.detect_format("whatever.bin", content) == "xlsx"
    assert rows_of(content) == [
        (2, {"kind": "Close account", "target": "100000017", "close_kind": "", "reason": "Asked"}),
        (4, {"kind": "Close account", "target": "100000025", "close_kind": "",
             "reason": "two spaces"}),
    ]  # fmt: skip


@pytest.mark.parametrize("language", columns.LANGUAGES)
def test_a_header_row_in_any_language_is_accepted(language):
    [(_n, row)] = rows_of(csv_bytes([["註銷客戶", "10000018", "永久", "原因"]], language=language))
    assert row["kind"] == "註銷客戶" and row["close_kind"] == "永久"


def test_columns_in_another_order_with_an_extra_column_and_a_semicolon_csv():
    text = "Reason;Extra;CLIENT OR ACCOUNT NUMBER ;kind\nAsked;x;10000018;close_client\n"
    [(_n, row)] = rows_of(text.encode())
    assert row == {"reason": "Asked", "target": "10000018", "kind": "close_client",
                   "close_kind": ""}  # fmt: skip


def test_a_csv_saved_by_excel_in_a_chinese_locale_gb18030():
    text = "工单类型,客户编号或账户号码,注销类型,原因\n注销客户,10000018,普通,客户要求\n"
    [(_n, row)] = rows_of(text.encode("gb18030"))
    assert row["kind"] == "注销客户" and row["reason"] == "客户要求"


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", b"kind,target\n", "header"),
        ("a.xlsx", b"not a zip", "format"),
        ("a.xls", b"\xd0\xcf\x11\xe0", "format"),
        ("a.xlsx", b"PK\x03\x04broken", "format"),
        ("a.csv", b"Kind,Client or account number,Reason\n", "empty"),
    ],
)
def test_files_that_cannot_be_read_are_refused_naming_the_rule(name, content, rule):
    with pytest.raises(ValidationFailed) as bad:
        rows_of(content, name)
    assert (bad.value.errors[0].field, bad.value.errors[0].rule) == ("file", rule)


def test_more_than_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(columns, "MAX_ROWS", 3)
    with pytest.raises(ValidationFailed) as bad:
        rows_of(csv_bytes([["close_client", "10000018", "normal", "r"]] * 4))
    assert bad.value.errors[0].rule == "max_rows"


def test_an_empty_workbook_is_refused():
    wb, out = Workbook(), io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationFailed) as bad:
        rows_of(out.getvalue(), "a.xlsx")
    assert bad.value.errors[0].rule in ("empty", "header")


def test_row_rules_kinds_numbers_closing_kind_reason_and_duplicates():
    client, account = unused_number("client", 1_000_001), unused_number("account", 10_000_001)
    rows = validate.prepare([
        (2, {"kind": "UNFREEZE ACCOUNT", "target": account, "close_kind": "", "reason": "r"}),
        (3, {"kind": "delete client", "target": client, "close_kind": "", "reason": "r"}),
        (4, {"kind": "close_client", "target": account, "close_kind": "sometimes",
             "reason": "r"}),
        (5, {"kind": "close_account", "target": account, "close_kind": "normal",
             "reason": "x" * 401}),
        (6, {"kind": "unfreeze_client", "target": client[:-1] + str((int(client[-1]) + 1) % 10),
             "close_kind": "", "reason": "r"}),
    ])  # fmt: skip
    got = {r.number: [(e["field"], e["rule"]) for e in r.errors] for r in rows}
    assert rows[0].kind_code == "unfreeze_account"
    assert got == {
        2: [],
        3: [("kind", "choice")],
        4: [("target", "malformed_client"), ("close_kind", "choice"), ("target", "duplicate")],
        5: [("close_kind", "not_applicable"), ("reason", "max_length"), ("target", "duplicate")],
        6: [("target", "malformed_client")],  # the check digit
    }
    assert validate.message(rows[2].errors[2]) == "The same target is on row 2 already."


def test_a_workbook_with_a_damaged_sheet_is_refused_not_crashed():
    import zipfile

    good = xlsx([["close_client", "10000018", "normal", "r"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # cut in the middle of the XML
            dst.writestr(item, data)
    with pytest.raises(ValidationFailed) as bad:
        rows_of(out.getvalue(), "a.xlsx")
    assert bad.value.errors[0].rule == "format"


def test_csv_rows_are_numbered_as_records_even_with_line_breaks_in_a_cell():
    text = (
        "Kind,Client or account number,Reason\n"
        'close_account,100000017,"two\nlines"\n'
        "close_account,100000025,r\n"
    )
    assert [n for n, _row in rows_of(text.encode())] == [2, 3]
