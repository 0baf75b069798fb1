"""The report of a real (scripted-policy) AmbigSQL run, opened in headless Chromium.

``--dump-dom`` cannot click, so filters and expansion are driven through the URL fragment
that the page's script reads; the DOM it dumps is the page after the script ran.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from act_bench.evaluation import EvalConfig, run_evaluation
from act_bench.report import ReportRequest, write_report
from act_bench.results import read_samples
from act_bench.types import Action

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian package chromium not installed"),
]
FIGURES = ("fig-confusion", "fig-scores", "fig-rounds", "fig-clarification")


@pytest.fixture(scope="module")
def ambigsql_run(tmp_path_factory) -> Path:
    from helpers import register_scripted_backend

    register_scripted_backend()
    out = tmp_path_factory.mktemp("runs") / "ambigsql"
    config = EvalConfig(task="ambigsql", model="scripted", limit=8, output_dir=str(out))
    with pytest.MonkeyPatch.context() as patch:  # the bundled sample, even where CI sets data
        patch.delenv("ACT_BENCH_DATA", raising=False)
        run_evaluation(config, show_progress=False)
    return out


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--user-data-dir=" + str(tmp_path / "profile"),
            *arguments,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


def visible_episodes(dom: str) -> list[str]:
    rows = re.findall(r'<tr class="episode[^"]*"[^>]*>', dom)
    return [row for row in rows if " hidden" not in row]


def test_report_in_chromium_filters_expands_and_draws(ambigsql_run, tmp_path):
    page = write_report(ReportRequest((ambigsql_run,), tmp_path / "report.html"))
    records = read_samples(ambigsql_run / "samples.jsonl")
    asked = [r for r in records if r.predicted_action is Action.CLARIFY]
    assert len(records) == 8 and 0 < len(asked) < 8  # the filter must actually cut

    everything = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert len(visible_episodes(everything)) == 8
    assert re.search(r'id="shown-count">8 of 8<', everything)
    for figure_id in (*FIGURES, "fig-slice-ambiguity_type"):
        assert re.search(rf'<figure id="{figure_id}"[^>]*><svg', everything), figure_id
    assert everything.count('<tr class="trajectory"') == 8
    assert not re.search(r'<tr class="trajectory"[^>]*data-for="ep-\d+"(?! hidden)>', everything)

    filtered = chromium(
        tmp_path, "--dump-dom", page.as_uri() + "#predicted=CLARIFY&expand=first"
    ).stdout
    shown = visible_episodes(filtered)
    assert len(shown) == len(asked)
    assert all('data-predicted="CLARIFY"' in row for row in shown)
    assert re.search(rf'id="shown-count">{len(asked)} of 8<', filtered)
    first = re.search(r'id="(ep-\d+)"', shown[0]).group(1)
    assert 'class="episode open"' in filtered
    pattern = rf'<tr class="trajectory" data-for="{first}"( hidden="")?>(.*?)</tr>'
    opened = re.search(pattern, filtered, re.S)
    assert opened.group(1) is None  # expanded: not hidden
    trajectory = opened.group(2)
    assert 'class="turn policy"' in trajectory and 'class="turn user"' in trajectory
    assert "user simulator" in trajectory and "stop reason" in trajectory

    fragment = "#slice=ambiguity_type%3Dclear"
    by_type = chromium(tmp_path, "--dump-dom", page.as_uri() + fragment).stdout
    clear = sum(r.slices.get("ambiguity_type") == "clear" for r in records)
    assert len(visible_episodes(by_type)) == clear

    screenshot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1280,1600", page.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 30_000  # a drawn page, not a blank one


def test_comparison_in_chromium_disagreements_first(ambigsql_run, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(ambigsql_run, other)
    lines = (other / "samples.jsonl").read_text().splitlines()
    lines[3] = lines[3].replace('"trajectory_score": 0.0', '"trajectory_score": 1.0')
    (other / "samples.jsonl").write_text("\n".join(lines) + "\n")
    page = write_report(ReportRequest((ambigsql_run, other), tmp_path / "compare.html"))
    dom = chromium(tmp_path, "--dump-dom", page.as_uri() + "#agreement=disagree").stdout
    shown = visible_episodes(dom)
    assert len(shown) == 1 and 'class="episode disagree"' in shown[0]
    rows = re.findall(r'<tr class="episode[^"]*"[^>]*>', dom)
    assert len(rows) == 8 and "disagree" in rows[0]
