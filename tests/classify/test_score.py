"""The score: the starting points plus each listed reason's value, clamped to 0-100. The workspace shows
the starting points (BASE_POINTS) as a line of its own, so the lines it shows add up to the score."""

from __future__ import annotations

from crm.classify.classifier import BASE_POINTS, classify
from tests.classify.corpus import lead_input, load_corpus


def test_the_score_is_the_starting_points_plus_every_reason() -> None:
    today, leads = load_corpus()
    checked = 0
    for spec in leads:
        result = classify(lead_input(spec, today))
        if not result.score_reasons:  # spam: no reasons, score 0
            continue
        total = BASE_POINTS + sum(int(reason.split(" ", 1)[0]) for reason in result.score_reasons)
        assert result.score == max(0, min(100, total)), (spec, result.score_reasons)
        checked += 1
    assert checked > 50
    assert BASE_POINTS == 10
