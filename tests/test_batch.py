"""Batch input: column mappings, JSONL/CSV reading, error rows; no row is ever lost."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules.batch import ColumnMap, CountingReader, input_kind, read_csv, read_jsonl, run_batch, slug
from complaint_rules.cli.eval import errors_path, parse_now
from complaint_rules.errors import RecordError


class _Decision:
    problems = ()

    def __init__(self, record):
        self.record = record

    def model_dump_json(self):
        return json.dumps({"record_id": self.record["id"]})


class _Policy:
    """Decides records with an int ``n``: negative ones are bad records, ``n == 13`` is a bug."""

    def evaluate(self, record, now=None, strict=False):
        n = record.get("n")
        if not isinstance(n, int):
            raise RecordError(record.get("id"), [("n", "must be an integer"), ("x", "unknown field")])
        if n == 13:
            raise ZeroDivisionError("unlucky")
        return _Decision(record)


def _jsonl(*lines: str) -> io.BytesIO:
    return io.BytesIO("\n".join(lines).encode("utf-8"))


# ---------------------------------------------------------------------------- mappings


def test_bare_mapping_is_columns():
    mapping = ColumnMap.from_dict({"Complaint ID": "id", "Product": "category"})
    assert mapping.columns == {"Complaint ID": "id", "Product": "category"}
    record, problems = mapping.apply({"Complaint ID": "7", "Product": "Mortgage", "State": "TX"})
    assert record == {"id": "7", "category": "Mortgage"} and not problems


def test_full_mapping_converts_dates_slugs_sets_and_values():
    mapping = ColumnMap.from_dict({
        "columns": {"Date": "received_at", "Product": "category", "Tags": "tags", "Disputed": "disputed",
                    "Sent": "sent_on", "Channel": "channel"},
        "formats": {"received_at": "%m/%d/%Y", "category": "slug", "tags": ["split:,", "slug"],
                    "disputed": "yesno", "sent_on": "date:%m/%d/%Y"},
        "values": {"channel": {"Web": "online", "Phone": "phone"}},
        "timezone": "America/New_York",
    })
    record, problems = mapping.apply({
        "Date": "09/12/2016", "Product": "Credit reporting", "Tags": "Older American, Servicemember",
        "Disputed": "Yes", "Sent": "09/14/2016", "Channel": "Web",
    })
    assert not problems
    assert record["received_at"] == dt.datetime(2016, 9, 12, tzinfo=ZoneInfo("America/New_York"))
    assert record["received_at"].utcoffset() == dt.timedelta(hours=-4)
    assert record["category"] == "credit_reporting"
    assert record["tags"] == ["older_american", "servicemember"]
    assert record["disputed"] is True
    assert record["sent_on"] == dt.date(2016, 9, 14)
    assert record["channel"] == "online"


def test_mapping_reports_every_bad_value_with_its_column():
    mapping = ColumnMap.from_dict({"columns": {"D": "received_at", "Y": "flag"},
                                   "formats": {"received_at": "%m/%d/%Y", "flag": "yesno"}})
    _, problems = mapping.apply({"D": "2016-09-12", "Y": "maybe"})
    assert [name for name, _ in problems] == ["received_at", "flag"]
    assert "'2016-09-12' does not match the format '%m/%d/%Y' (column 'D')" in problems[0][1]
    assert "not yes or no" in problems[1][1]


def test_keep_unmapped_passes_other_columns_through():
    mapping = ColumnMap.from_dict({"columns": {"A": "id"}, "keep_unmapped": True})
    assert mapping.apply({"A": "1", "b": "2"})[0] == {"id": "1", "b": "2"}


@pytest.mark.parametrize(("data", "message"), [
    ([], "is a JSON object"),
    ({"columns": {}, "colums": {}}, "unknown key 'colums'"),
    ({"columns": {}, "formats": {"x": "upper"}}, "unknown format 'upper'"),
    ({"columns": {}, "timezone": "Mars/Olympus"}, "unknown timezone"),
    ({"columns": {"a": 1}}, "'columns' maps"),
])
def test_bad_mappings_are_rejected(data, message):
    with pytest.raises(ValueError, match=message):
        ColumnMap.from_dict(data)


def test_mapping_file_with_bad_json_names_the_file(tmp_path):
    path = tmp_path / "map.json"
    path.write_text('{"columns": {', encoding="utf-8")
    with pytest.raises(ValueError, match=r"map\.json:1:\d+: invalid JSON"):
        ColumnMap.load(path)


def test_slug():
    assert slug("Other (i.e. phone, health club, etc.)") == "other_i_e_phone_health_club_etc"
    assert slug("  Credit card ") == "credit_card"


# ---------------------------------------------------------------------------- reading


def test_jsonl_rows_keep_numbers_lines_and_problems():
    rows = list(read_jsonl(_jsonl(
        '{"id": "a", "n": 1.5}', "", '{"id": "b", "n": ', "[1, 2]", '{"id": "c"}',
    ) ))
    assert [(r.number, r.line) for r in rows] == [(1, 1), (2, 3), (3, 4), (4, 5)]
    assert rows[0].record == {"id": "a", "n": Decimal("1.5")}  # money stays exact
    assert rows[1].record is None and rows[1].record_id == "b"
    assert rows[1].problems[0][1].startswith("invalid JSON")
    assert "not list" in rows[2].problems[0][1]
    assert rows[3].record_id == "c"


def test_jsonl_bad_bytes_and_bom():
    stream = io.BytesIO(b'\xef\xbb\xbf{"id": "a"}\n{"id": "\xff"}\n')
    rows = list(read_jsonl(stream))
    assert rows[0].record == {"id": "a"}
    assert rows[1].record is None and "not UTF-8" in rows[1].problems[0][1]


def test_csv_rows_with_wrong_cells_quotes_and_empty_cells():
    text = 'id,note,amount\r\n1,"two\nlines",5\r\n2,x\r\n\r\n3,,7\r\n4,a,b,c\r\n'
    rows = list(read_csv(io.BytesIO(text.encode())))
    assert [(r.number, r.line) for r in rows] == [(1, 2), (2, 4), (3, 6), (4, 7)]
    assert rows[0].record == {"id": "1", "note": "two\nlines", "amount": "5"}
    assert rows[1].record is None and rows[1].record_id == "2"
    assert rows[1].problems == [(None, "expected 3 cells, got 2")]
    assert rows[2].record == {"id": "3", "amount": "7"}  # an empty cell is a missing field
    assert rows[3].problems == [(None, "expected 3 cells, got 4")]


def test_csv_with_mapping_bom_and_bad_bytes():
    data = "\ufeffComplaint ID,Date\n9,09/12/2016\n10,bad\n".encode() + b"11,\xff\n"
    mapping = ColumnMap.from_dict({"columns": {"Complaint ID": "id", "Date": "received_at"},
                                   "formats": {"received_at": "%m/%d/%Y"}, "timezone": "UTC"})
    rows = list(read_csv(io.BytesIO(data), mapping))
    assert rows[0].record == {"id": "9", "received_at": dt.datetime(2016, 9, 12, tzinfo=ZoneInfo("UTC"))}
    assert rows[1].record is None and rows[1].record_id == "10"
    assert rows[1].problems[0][0] == "received_at"
    assert rows[2].problems == [(None, "not UTF-8 text")]


def test_csv_duplicate_header_is_an_error():
    with pytest.raises(ValueError, match="appears more than once"):
        list(read_csv(io.BytesIO(b"a,a\n1,2\n")))


def test_input_kind():
    assert input_kind("x.CSV") == "csv"
    assert input_kind("-") == input_kind("x.jsonl") == "jsonl"
    with pytest.raises(ValueError, match="unknown input format"):
        input_kind("x.xlsx")


def test_counting_reader_counts_bytes():
    counter = CountingReader(io.BytesIO(b"x" * 100_000))
    assert len(io.BufferedReader(counter).read()) == 100_000
    assert counter.count == 100_000


# ---------------------------------------------------------------------------- writing


def test_run_batch_writes_a_decision_or_an_error_row_per_record():
    rows = read_jsonl(_jsonl('{"id": "a", "n": 1}', '{"id": "b", "n": "x"}', "{oops", '{"id": "d", "n": 13}'))
    out, errors = io.StringIO(), io.StringIO()
    summary = run_batch(_Policy(), rows, out, errors)
    assert (summary.records, summary.decisions, summary.errors) == (4, 1, 3)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"record_id": "a"}]
    bad = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert bad[0] == {"row": 2, "line": 2, "record_id": "b", "errors": [
        {"field": "n", "message": "must be an integer"}, {"field": "x", "message": "unknown field"}]}
    assert bad[1]["row"] == 3 and bad[1]["errors"][0]["field"] is None
    assert bad[2]["record_id"] == "d" and "internal error: ZeroDivisionError" in bad[2]["errors"][0]["message"]
    assert summary.render() == "4 records in, 1 decision, 3 errors"


_LINE = st.one_of(
    st.builds(lambda i, n: json.dumps({"id": f"r{i}", "n": n}), st.integers(0, 999), st.integers(-5, 20)),
    st.builds(lambda i: json.dumps({"id": f"r{i}", "n": "bad"}), st.integers(0, 999)),
    st.text(alphabet='{}[]",:ab1 \t', max_size=12),
    st.just(""),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_LINE, max_size=30))
def test_no_row_is_lost(lines):
    """Law: every non-blank input line comes out exactly once, as a decision or an error row, in order."""
    out, errors = io.StringIO(), io.StringIO()
    summary = run_batch(_Policy(), read_jsonl(_jsonl(*lines)), out, errors)
    expected = [i + 1 for i, line in enumerate(lines) if line.strip()]
    assert summary.records == len(expected) == summary.decisions + summary.errors
    assert len(out.getvalue().splitlines()) == summary.decisions
    error_lines = [json.loads(line)["line"] for line in errors.getvalue().splitlines()]
    assert len(error_lines) == summary.errors and error_lines == sorted(error_lines)
    assert set(error_lines) <= set(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.text(alphabet='ab,"\n\r x', max_size=6), min_size=1, max_size=4), max_size=20))
def test_no_csv_row_is_lost(rows):
    """Law: each CSV record the csv module sees (after the header) yields exactly one row."""
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer)
    writer.writerow(["id", "n", "x"])
    writer.writerows(rows)
    data = buffer.getvalue()
    seen = [r for r in csv.reader(io.StringIO(data, newline=""))][1:]
    read = list(read_csv(io.BytesIO(data.encode())))
    assert len(read) == sum(1 for r in seen if r)
    assert [r.number for r in read] == list(range(1, len(read) + 1))


# ---------------------------------------------------------------------------- eval options


def test_errors_path_and_now():
    assert errors_path("out/decisions.jsonl", None) == "out/decisions.errors.jsonl"
    assert errors_path("out/decisions", None) == "out/decisions.errors.jsonl"
    assert errors_path(None, None) is None
    assert errors_path(None, "e.jsonl") == "e.jsonl"
    assert parse_now("2026-12-02T10:00+08:00") == dt.datetime(2026, 12, 2, 2, tzinfo=dt.timezone.utc)
    assert parse_now("2026-12-02T02:00Z").utcoffset() == dt.timedelta(0)
    with pytest.raises(ValueError, match="needs a UTC offset"):
        parse_now("2026-12-02T10:00")
    with pytest.raises(ValueError, match="not an ISO date-time"):
        parse_now("tomorrow")


def test_a_mapping_naming_columns_the_csv_lacks_is_warned_about_with_close_names():
    from complaint_rules.batch import ColumnMappingWarning, read_csv

    data = b"Complaint ID,Date received,Product\n1,09/12/2016,Mortgage\n"
    told: list[str] = []
    mapping = ColumnMap.from_dict({"Complaint ID": "id", "Date recieved": "received_at", "Produkt": "category"})
    rows = list(read_csv(io.BytesIO(data), mapping, warn=told.append))
    assert len(rows) == 1 and len(told) == 1
    assert "names 2 of its 3 columns" in told[0] and "'Date recieved' (did you mean 'Date received'?)" in told[0]
    good = ColumnMap.from_dict({"Complaint ID": "id", "Date received": "received_at"})
    assert list(read_csv(io.BytesIO(data), good, warn=told.append)) and len(told) == 1  # nothing more to say
    with pytest.warns(ColumnMappingWarning, match="'Produkt' \\(did you mean 'Product'\\?\\)"):
        list(read_csv(io.BytesIO(data), mapping))
