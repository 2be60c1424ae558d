"""The HTML diff report in a real headless browser: Chromium from the OS packages (``.ci/run`` installs it).

Chromium loads the page from a file, with the network switched off, and gives back its DOM after
rendering (``--dump-dom``) and a screenshot, kept in ``tests/artifacts/`` (git-ignored) for a person
to look at. Skipped, with the reason, only when no Chromium is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import complaint_rules

sys.path.insert(0, str(Path(__file__).parent))
import caseload  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: install it with `apt-get install -y chromium` (.ci/run does)"
)

PAIRS = {
    "dealer-shenzhen": ("policies/automotive/svw-dealer.policy", "policies/automotive/svw-dealer-shenzhen.policy"),
    "property-regimes": ("policies/property/follow-up-guide.policy", "policies/property/follow-up-strict.policy"),
}


def chromium(*args: str) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]  # no network: a dead proxy
    run = subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.fixture(scope="module", params=sorted(PAIRS))
def report(request, tmp_path_factory):
    old, new = (ROOT / p for p in PAIRS[request.param])
    tmp = tmp_path_factory.mktemp(request.param)
    corpus = caseload.write(complaint_rules.load(old).ir, tmp / "caseload.jsonl")
    d = complaint_rules.diff(old, new, corpus)
    page = tmp / f"{request.param}.html"
    page.write_text(d.render("html"), "utf-8")
    return request.param, d, page


def test_the_page_renders_with_its_tables_and_charts(report):
    name, d, page = report
    dom = chromium("--dump-dom", page.as_uri())
    assert "<body>" in dom and "Policy diff:" in dom
    for section in ("summary", "structural", "semantic", "impact", "whatif"):
        assert f'id="{section}"' in dom
    # every structural change and every region is a row the browser built
    assert len(re.findall(r'<tr class="change ', dom)) == len(d.structural)
    assert len(re.findall(r'<tr class="region"', dom)) == len(d.semantic)
    # the impact chart: one bar per output that changed, drawn as SVG
    impact = dom[dom.index('id="impact"') :].split("</section>")[0]
    assert impact.count('<rect class="bar"') == len(d.impact.outputs) > 0
    assert f"<b>{d.impact.changed}</b> of {d.impact.records} records" in impact
    # what changed, for whom, and how many: the reader sees each in the page
    assert d.impact.changed > 0
    for s in d.semantic:
        assert s.output in dom
    # what-if: each table that has rows is drawn, two bars (old, new) per row
    whatif = dom[dom.index('id="whatif"') :].split("</section>")[0]
    for table in d.whatif.tables:
        if table.rows:
            assert table.title in whatif
    rows = sum(len(t.rows) for t in d.whatif.tables)
    assert whatif.count('<rect class="bar old"') == whatif.count('<rect class="bar new"') == rows > 0


# What a reviewer must be able to read off each page: the rules changed, where, and units by their labels.
NAMED = {
    "dealer-shenzhen": ("defect_first_contact", "svw-dealer-shenzhen.policy:16:3",
                        "up to 80000 CNY by general_manager", "客户总监"),
    "property-regimes": ("minor_repair", "follow-up-strict.policy:43:3", "repair_mandatory", "管理员"),
}


def test_the_page_names_the_changes_a_reviewer_approves(report):
    name, d, page = report
    dom = chromium("--dump-dom", page.as_uri())
    for text in NAMED[name]:
        assert text in dom, text


def test_a_screenshot_is_kept(report):
    name, _, page = report
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"diff-{name}.png"
    shot.unlink(missing_ok=True)
    chromium(f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a real picture, not a blank page
