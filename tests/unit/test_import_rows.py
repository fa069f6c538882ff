"""Reading roster CSV rows into commands: the format of docs/import.md."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from registry.domain import commands as c
from registry.domain.errors import InvalidInput
from registry.importer import RECORDS, command_id, parse_rows, read_rows, to_command

ROOT = Path(__file__).resolve().parents[2]


def command(text: str) -> c.Command:
    """The command of the one data row of CSV `text`."""
    (row,) = parse_rows(text)
    return to_command(row)


def refusal(text: str) -> str:
    (row,) = parse_rows(text)
    with pytest.raises(InvalidInput) as e:
        to_command(row)
    return e.value.message


def test_an_agency_row_reads_lists_booleans_and_dates():
    cmd = command(
        "record,code,name,region,districts,shifts,in_house_course,date\n"
        "agency,slcpd,Salt Lake Police,Salt Lake, North ; South;,day;night,Yes,2015-01-01\n"
    )
    assert cmd == c.RegisterAgency(
        code="SLCPD",
        name="Salt Lake Police",
        region="Salt Lake",
        districts=["North", "South"],
        shifts=["day", "night"],
        in_house_course=True,
        effective_on=date(2015, 1, 1),
    )


@pytest.mark.parametrize(
    ("cell", "passed"),
    [("yes", True), ("TRUE", True), ("y", True), ("1", True), ("No", False), ("false", False)],
)
def test_booleans_are_yes_no_true_false(cell, passed):
    cmd = command(f"record,post_number,kind,passed,date\nexam,UT-1,written,{cell},2025-01-02\n")
    assert cmd == c.RecordExam(officer="UT-1", kind="written", passed=passed, taken_on="2025-01-02")


def test_the_date_column_is_each_record_s_own_date():
    training = command(
        "record,post_number,kind,hours,academy,began_on,date\n"
        "training,UT-1,Continuing Education,4,SLC-CIT,,2024-10-02\n"
    )
    assert isinstance(training, c.RecordTraining)
    assert training.completed_on == date(2024, 10, 2) and training.began_on is None
    assert training.kind == "continuing_education"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("record,date\nbadge,2020-01-01\n", "unknown record 'badge'"),
        ("record,post_number,kind,date\nexam,UT-1,written,2025-01-02\n", "passed is required"),
        ("record,post_number,kind,passed,date\nexam,UT-1,written,maybe,2025-01-02\n", "passed:"),
        ("record,post_number,kind,passed,date\nexam,UT-1,written,yes,2025-13-02\n", "not a valid"),
        ("record,post_number,kind,passed,date\nexam,UT-1,written,yes,2/1/2025\n", "YYYY-MM-DD"),
        ("record,post_number,kind,passed,date\nexam,UT-1,oral,yes,2025-01-02\n", "kind: Input"),
        ("record,number,hours,date\nrenewal,CIT-1,4,2025-01-02\n", "renewal record has no hours"),
        ("record,number,date\nrenewal,CIT-1,2025-01-02,extra\n", "4 fields, but the header has 3"),
        ("record,number\nrenewal,CIT-1\n", "date is required"),
    ],
)
def test_a_malformed_row_says_what_is_wrong_in_the_file_s_own_words(text, reason):
    assert reason in refusal(text)


def test_a_note_may_go_on_any_row():
    cmd = command("record,number,date,note\nrenewal,CIT-1,2025-01-02,renewed at the counter\n")
    assert cmd == c.RenewCertificate(number="CIT-1", effective_on=date(2025, 1, 2))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no 'record' column"),
        ("code,name\nSLCPD,x\n", "no 'record' column"),
        ("record,post_nmber\nofficer,UT-1\n", "unknown columns: post_nmber"),
        ("record,date,Date\nofficer,x,y\n", "repeats columns: date"),
    ],
)
def test_a_file_that_is_not_a_roster_is_refused_as_a_whole(text, message):
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_rows(text)


def test_line_numbers_are_the_file_s_own_across_blank_lines_and_quoted_newlines():
    rows = parse_rows(
        "record,number,reason,date\n"
        "\n"
        'suspension,CIT-1,"complaint\nunder review",2025-01-02\n'
        ",,,\n"
        "renewal,CIT-2,,2025-01-03\n"
    )
    assert [(r.line, r.values["number"]) for r in rows] == [(3, "CIT-1"), (6, "CIT-2")]


def test_a_byte_order_mark_and_header_case_do_not_matter(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("\ufeffRecord,Number,DATE\nrenewal,CIT-1,2025-01-02\n".encode())
    (row,) = read_rows(path)
    assert to_command(row) == c.RenewCertificate(number="CIT-1", effective_on=date(2025, 1, 2))


def test_the_command_id_depends_on_content_not_on_how_it_is_written():
    plain = command("record,post_number,kind,passed,date\nexam,UT-1,written,yes,2025-01-02\n")
    other_way = command(
        "date,passed,kind,post_number,record\n2025-01-02,TRUE, Written ,UT-1,exam\n"
    )
    failed = command("record,post_number,kind,passed,date\nexam,UT-1,written,no,2025-01-02\n")
    assert command_id(plain) == command_id(other_way)
    assert command_id(plain) != command_id(failed)
    assert command_id(plain).startswith("import:")


def test_every_record_type_is_documented_with_its_columns():
    doc = (ROOT / "docs" / "import.md").read_text()
    for name, kind in RECORDS.items():
        (line,) = [x for x in doc.splitlines() if x.startswith(f"| `{name}` |")]
        for column in kind.columns:
            assert column in line, (name, column)


def test_the_examples_of_the_documentation_are_rows_the_importer_reads():
    doc = (ROOT / "docs" / "import.md").read_text()
    blocks = re.findall(r"```csv\n(.*?)```", doc, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        for row in parse_rows(block):
            assert isinstance(to_command(row), c.Command)
