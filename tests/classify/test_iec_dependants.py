"""IEC takes no accompanying dependants (facts, section 1; ruleset iec.accompanying_dependants): a lead who
speaks of a spouse or children coming along is at most `likely`, with a consultant-only note quoting the words
(RCIC review: an Irish 30-year-old "with my wife and our 2-year-old son" was eligible with nothing to check).
The words are not a reason it fits, and the lead, who said it, is not asked it back (consultant trial)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import RULESET_FILE, load_ruleset, validate_ruleset

TODAY = date(2026, 3, 15)
NOTE = "an IEC permit is for the participant alone"


def _holiday(message: str, **kwargs: object) -> tuple[str, list[str]]:
    """The verdict, and the consultant-only notes (which the emails leave out) that speak of the family."""
    result = classify(LeadInput(citizenships=["IE"], date_of_birth=date(1996, 1, 10), today=TODAY,
                                messages=[message], **kwargs))  # type: ignore[arg-type]
    candidate = next(c for c in result.candidates if c.stream == "iec-working-holiday")
    assert not any(NOTE in item for item in candidate.missing)
    assert [r for r in candidate.reasons if NOTE in r] == [r for r in candidate.for_consultant if NOTE in r]
    return candidate.verdict, [note for note in candidate.for_consultant if NOTE in note]


@pytest.mark.parametrize("message", [
    "I want to do a working holiday with my wife and our 2-year-old son",
    "We have two kids and I'd like a working holiday", "My husband and I want to move to Canada",
    "Je voudrais faire un PVT avec mon mari et nos enfants", "J'ai deux enfants, est-ce possible ?",
])
def test_family_coming_along_is_asked_about(message: str) -> None:
    verdict, notes = _holiday(message)
    assert verdict == "likely" and len(notes) == 1


@pytest.mark.parametrize("message", [
    "I want to do a working holiday", "My brother did a working holiday and loved it",
    "My sister lives in Toronto",
])
def test_no_family_along_leaves_the_verdict(message: str) -> None:
    verdict, notes = _holiday(message)
    assert verdict == "eligible" and notes == []


def test_the_rule_is_data(tmp_path: Path) -> None:
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["iec"]["accompanying_dependants"]["allowed"] = True
    changed = tmp_path / "ruleset.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert validate_ruleset(changed) == []
    assert load_ruleset(changed).iec_dependants_allowed is True
    data["iec"]["accompanying_dependants"] = {"allowed": "no"}
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any("accompanying_dependants" in problem for problem in validate_ruleset(changed))


@pytest.mark.parametrize("message", [
    "I have a 3 year old son", "I am married with two children", "My girlfriend and I want to go to Canada",
    "I want to come to Canada with my wife",
])
def test_more_ways_of_saying_family_comes_along(message: str) -> None:
    verdict, notes = _holiday(message)
    assert verdict == "likely" and len(notes) == 1


@pytest.mark.parametrize("message", [
    "I spoke with my family and they support me", "I discussed it with my wife",
    "I worked with my partner at a restaurant",
])
def test_talking_with_family_is_not_family_coming_along(message: str) -> None:
    verdict, notes = _holiday(message)
    assert verdict == "eligible" and notes == []
