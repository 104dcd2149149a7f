"""`make bench` and `make campaign` write their reports under build/reports/ and leave the
tracked pages in docs/ alone; `make docs-update` (host_tools/reports.py) publishes them."""

import sys

import pytest

from host_tools import reports
from host_tools.bench import __main__ as bench
from host_tools.campaign import __main__ as campaign


@pytest.fixture
def places(tmp_path, monkeypatch):
    """build/reports/ and docs/ in a temporary folder, docs/ holding the tracked pages."""
    out, docs = tmp_path / "build" / "reports", tmp_path / "docs"
    docs.mkdir()
    for name in reports.NAMES:
        (docs / name).write_text("the tracked page\n")
    monkeypatch.setattr(reports, "REPORTS", out)
    monkeypatch.setattr(reports, "DOCS", docs)
    return out, docs


def test_a_bench_run_writes_its_report_under_build_only(places, monkeypatch):
    out, docs = places
    monkeypatch.setattr(bench, "run_all", lambda: ({}, {}, []))
    monkeypatch.setattr(bench, "render", lambda *a: "bench figures\n")
    assert bench.main() == 0
    assert (out / "performance.md").read_text() == "bench figures\n"
    assert (docs / "performance.md").read_text() == "the tracked page\n"


def test_a_campaign_run_writes_its_report_under_build_only(places, monkeypatch):
    out, docs = places
    monkeypatch.setattr(sys, "argv", ["campaign"])
    monkeypatch.setattr(campaign, "run_all", lambda only=None: {})
    monkeypatch.setattr(campaign, "render", lambda res: "campaign figures\n")
    assert campaign.main() == 0
    assert (out / "reliability.md").read_text() == "campaign figures\n"
    assert (out / "campaign.json").exists()
    assert (docs / "reliability.md").read_text() == "the tracked page\n"


def test_docs_update_publishes_the_reports_there_are(places, capsys):
    out, docs = places
    assert reports.main() == 1 and "no reports" in capsys.readouterr().out
    reports.write("reliability.md", "campaign figures\n")
    assert reports.main() == 0
    assert (docs / "reliability.md").read_text() == "campaign figures\n"
    assert (docs / "performance.md").read_text() == "the tracked page\n"  # none to copy
