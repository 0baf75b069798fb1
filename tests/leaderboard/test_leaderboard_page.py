"""The leaderboard's HTML page: headline first, our rows apart from the paper's, a bar chart
per group, provenance per row, links to run reports (hand-made rows, no database)."""

from __future__ import annotations

import re

from act_bench.leaderboard.render import group_rows, to_html
from act_bench.leaderboard.store import Row


def row(id: int, name: str, value: float | None, *, source: str = "ours", results_dir=None) -> Row:
    paper = source == "paper"
    return Row(
        id=id,
        name=name,
        source=source,
        task="ambigsql",
        split="validation",
        model=f"model-{id}",
        approach="SFT" if paper else None,
        simulator="paper sim" if paper else "gold",
        action_classifier="heuristic",
        prompt_style=None,
        num_shots=None,
        conversations=50 if paper else None,
        n_items=None if paper else 12,
        config_hash=f"{id:064x}",
        submitted_at="2026-12-02T00:00:00+00:00",
        reference="Chen et al. 2025" if paper else None,
        data_source=None if paper else "sample",
        n_backend_errors=None if paper else 0,
        protocol="act-paper" if paper else "act-bench",
        metrics={"execution_match": value, "action_accuracy": 50.0, "clarify_f1": 40.0},
        results_dir=results_dir,
    )


def sections(page: str) -> list[str]:
    return re.findall(r'<section class="group[^"]*".*?</section>', page, re.S)


def test_rank_name_headline_come_first_and_rank_by_headline(tmp_path):
    rows = [row(1, "low", 20.0), row(2, "high", 80.0), row(3, "none", None)]
    page = to_html(group_rows(rows))
    [ours] = sections(page)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", ours)
    assert headers[:5] == ["#", "name", "execution_match ▼", "about", "report"]
    assert headers[5:] == ["action_accuracy", "clarify_f1"]  # secondary metrics after
    ranked = re.findall(r'<tr class="ours"><td>(\d+)</td><td>([^<]+)</td>', ours)
    assert ranked == [("1", "high"), ("2", "low"), ("3", "none")]
    assert re.search(r'class="num headline" data-value="80.0">80.0<', ours)


def test_our_rows_and_paper_rows_are_separate_cards():
    rows = [row(1, "ours-a", 30.0), row(2, "Gemini Pro · SFT", 70.0, source="paper")]
    page = to_html(group_rows(rows))
    ours, paper = sections(page)
    assert 'class="group ours"' in ours and "our runs" in ours and "Gemini" not in ours
    assert 'class="group paper"' in paper and "paper's published numbers" in paper
    assert '<tr class="paper">' in paper and "ours-a" not in paper


def test_each_group_has_a_bar_chart_of_its_headline():
    rows = [row(1, "a", 30.0), row(2, "b", 60.0), row(3, "p", 70.0, source="paper")]
    for section in sections(to_html(group_rows(rows))):
        chart = section.split('<figure class="bars">')[1].split("</figure>")[0]
        assert "<svg" in chart and "execution_match (x100)" in chart
    ours = sections(to_html(group_rows(rows)))[0]
    labels = re.findall(r">(60\.0|30\.0)<", ours.split('<figure class="bars">')[1])
    assert labels == ["60.0", "30.0"]  # bar labels in rank order


def test_provenance_on_hover_and_expand():
    page = to_html(group_rows([row(7, "run", 50.0)]))
    cell = page.split('<td class="info"')[1].split("</td>")[0]
    assert "model: model-7" in cell and "items: 12" in cell  # the hover title
    assert "<dt>config hash</dt><dd>" + f"{7:064x}"[:16] in cell  # the expanded list
    assert "<dt>protocol</dt><dd>act-bench</dd>" in cell


def test_rows_link_to_their_run_report_when_the_run_is_known(tmp_path):
    with_report = tmp_path / "a"
    with_report.mkdir()
    (with_report / "report.html").write_text("<html></html>")
    rows = [
        row(1, "a", 50.0, results_dir=str(with_report)),
        row(2, "b", 40.0, results_dir=str(tmp_path / "b")),
        row(3, "c", 30.0),
    ]
    page = to_html(group_rows(rows))
    links = re.findall(r'<td class="link">(.*?)</td>', page)
    assert f'href="{(with_report / "report.html").as_uri()}"' in links[0]
    assert 'class="report missing"' in links[1] and "act-bench report" in links[1]
    assert links[2] == ""


def test_stored_text_is_escaped():
    page = to_html(group_rows([row(1, "<script>alert(1)</script>", 10.0)]))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
