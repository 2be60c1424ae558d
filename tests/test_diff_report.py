"""The diff for readers: witnesses trimmed to what a region reads, labels, --max-bytes, the HTML page."""

from __future__ import annotations

import html.parser
import json
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules.cli import main
from complaint_rules.compare import Labels, PolicyDiff
from complaint_rules.compare.present import read_fields, trimmed
from complaint_rules.compare.report import MIN_BYTES

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "diff_fixtures"
DEALER = ROOT / "policies" / "automotive" / "svw-dealer.policy"
SHENZHEN = ROOT / "policies" / "automotive" / "svw-dealer-shenzhen.policy"


@pytest.fixture(scope="module")
def deadline_diff() -> PolicyDiff:
    return complaint_rules.diff(FIX / "base.policy", FIX / "deadline_changed.policy", verify=False)


@pytest.fixture(scope="module")
def dealer_diff() -> PolicyDiff:
    return complaint_rules.diff(DEALER, SHENZHEN, verify=False)


def test_read_fields_keeps_what_the_condition_and_outcomes_name():
    witness = {"id": "w", "category": "x", "received_at": "t", "hazards": [], "repeat_count": 1}
    assert read_fields("category == x", "2 hours after received_at", "1 hour after received_at", witness) == [
        "id", "category", "received_at"
    ]
    # a summarised region names no field: the whole witness stays
    assert read_fields("3 regions, e.g. the witness", "a", "b", witness) == list(witness)


def test_every_trimmed_witness_is_a_subset_naming_only_fields_of_its_region(dealer_diff):
    assert dealer_diff.semantic
    for s in dealer_diff.semantic:
        w = trimmed(s)
        assert w is not None and "id" in w
        assert set(w) <= set(s.witness)
        for k in w:
            assert k == "id" or k in f"{s.condition} {s.old} {s.new}"
    # the dealer's witnesses carry 20-odd fields; what a reader is shown is far fewer
    shown = sum(len(trimmed(s)) for s in dealer_diff.semantic)
    full = sum(len(s.witness) for s in dealer_diff.semantic)
    assert shown * 2 < full


def test_labels_replace_unit_and_level_ids_in_outcomes_not_in_conditions():
    policy = complaint_rules.load(FIX / "base.policy").ir
    labels = Labels.of(policy)
    assert labels.units["general_manager"] == "总经理"
    assert labels.outcome("notify general_manager 1 day after first_contact") == "notify 总经理 1 day after first_contact"
    assert labels.outcome("general: up to 500 CNY by supervisor") == "一般抱怨: up to 500 CNY by 主管"
    # whole words only: a unit id inside another word is left alone
    assert labels.outcome("general_manager_deputy") == "general_manager_deputy"


def test_markdown_shows_labels_and_the_trimmed_witness(deadline_diff):
    md = deadline_diff.render("markdown")
    assert "notify 总经理 1 day after first_contact" in md
    assert "notify general_manager" not in md
    assert "id: `witness-1`<br>received_at: `2026-12-01T10:00:00+08:00`<br>category: `product_quality`" in md
    assert "repeat_count" not in md and "claimed_amount" not in md  # fields no region reads


def test_labels_survive_the_json_round_trip(deadline_diff):
    back = PolicyDiff.model_validate(json.loads(deadline_diff.render("json")))
    assert back.labels == deadline_diff.labels
    assert back.render("markdown") == deadline_diff.render("markdown")


def test_field_labels_name_the_witness_fields(dealer_diff):
    md = dealer_diff.render("markdown")
    assert "抱怨类别 (category): `product_quality`" in md
    assert "投诉登记编号 (id): `witness-1`" in md


@pytest.mark.parametrize("limit", [MIN_BYTES, 700, 1500, 2500, 4000])
def test_max_bytes_fits_and_says_it_was_shortened(dealer_diff, limit):
    full = dealer_diff.render("markdown")
    assert len(full.encode()) > 4000
    text = dealer_diff.render("markdown", max_bytes=limit)
    assert len(text.encode()) <= limit
    assert text.startswith("### Policy diff")
    assert f"fit {limit} bytes" in text


def test_max_bytes_keeps_the_whole_report_when_it_fits(deadline_diff):
    full = deadline_diff.render("markdown")
    assert deadline_diff.render("markdown", max_bytes=len(full.encode())) == full
    shorter = deadline_diff.render("markdown", max_bytes=len(full.encode()) - 1)
    assert "<details>" not in shorter  # witnesses are the first to go
    assert "| `category == product_quality` |" in shorter  # the regions stay


def test_max_bytes_counts_what_it_leaves_out(dealer_diff):
    text = dealer_diff.render("markdown", max_bytes=3000)
    assert "more changes left out for size" in text or "more regions left out for size" in text


def test_max_bytes_rejects_a_limit_too_small_and_other_formats(deadline_diff):
    with pytest.raises(ValueError, match="at least"):
        deadline_diff.render("markdown", max_bytes=MIN_BYTES - 1)
    with pytest.raises(ValueError, match="markdown"):
        deadline_diff.render("text", max_bytes=5000)


def test_cli_max_bytes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(["diff", str(DEALER), str(SHENZHEN), "--format", "markdown", "--no-verify", "--max-bytes", "2000"])
    out = capsys.readouterr().out
    assert code == 1 and len(out.encode()) <= 2000 + 1  # the CLI ends the output with a newline
    assert main(["diff", str(DEALER), str(SHENZHEN), "--max-bytes", "2000"]) == 2
    assert "--max-bytes needs --format markdown" in capsys.readouterr().err
    assert main(["diff", str(DEALER), str(SHENZHEN), "--format", "markdown", "--max-bytes", "10"]) == 2
    assert "at least" in capsys.readouterr().err


class _Page(html.parser.HTMLParser):
    """The parts of a page the tests look at: element counts, ids, text, and any external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.ids: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k == "id":
                self.ids.append(v)
            if k in ("src", "href") and v and not v.startswith("#"):
                self.external.append(v)

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


def test_html_is_one_self_contained_page(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "d.html"
    code = main(["diff", str(DEALER), str(SHENZHEN), "--corpus", "examples/complaints.jsonl",
                 "--format", "html", "--no-verify", "-o", str(out)])
    assert code == 1
    page = parse(out.read_text("utf-8"))
    assert page.external == [] and "script" not in page.tags  # nothing fetched, nothing run
    assert {"summary", "structural", "semantic", "impact"} <= set(page.ids)
    text = " ".join(page.text)
    assert "defect_first_contact" in text and "policies/automotive/svw-dealer-shenzhen.policy:16:3" in text
    assert "1 hour after received_at" in text and "2 hours after received_at" in text
    assert "客户总监" in text  # customer_director shown by its label
    assert page.tags["svg"] >= 1 and page.tags["rect"] >= 1


def test_html_escapes_what_the_policy_writes():
    d = PolicyDiff(old="<a>", new="b&c", labels=Labels(units={"boss": "<b>Chef</b>"}))
    d.notes.append("x < y")
    page = d.render("html")
    assert "<a>" not in page.split("<body>")[1] and "&lt;a&gt;" in page and "b&amp;c" in page
    assert "<b>Chef" not in page
    from complaint_rules.compare.html import outcome_html

    assert outcome_html(d, "notify boss & amp") == 'notify <abbr title="boss">&lt;b&gt;Chef&lt;/b&gt;</abbr> &amp; amp'


def test_html_of_equivalent_policies_says_so():
    d = complaint_rules.diff(FIX / "base.policy", FIX / "reformatted.policy")
    page = d.render("html")
    assert "Equivalent: no structural change" in page and 'id="structural"' not in page


def test_chart_labels_fit_left_of_the_bars():
    from complaint_rules.compare.html import bar_chart, short_label

    assert short_label("remedy tier") == "remedy tier"
    assert short_label("x" * 50) == "x" * 44 + "…"
    assert short_label("跨部门抱怨处理小组" * 3) == "跨部门抱怨处理小组" * 2 + "跨部门抱" + "…"  # wide characters count twice
    svg = bar_chart([("跨部门抱怨处理小组" * 3, 5)], "t")
    assert "跨部门抱怨处理小组" * 3 + ": 5" in svg  # the tooltip keeps it whole
