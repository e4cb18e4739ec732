"""A permit expiry said relative to the message ("my work permit expires in 2 months", "mon permis expire dans 3
mois", "expires next March") is read like a date (consultant trial: only "expires on February 14, 2027" was, so a lead
whose permit ran out in weeks was neither flagged nor ranked as urgent). It is counted from the day the inquiry was
received, never from the day of a later classification, and the consultant is told the day is worked out."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.signals import read_message

RECEIVED = date(2026, 11, 20)


def _expiry(text: str, received: date | None = RECEIVED) -> tuple[str, str, bool] | None:
    found = [(s.value, s.quote, s.estimated) for s in read_message(text, received=received)
             if s.kind == "permit_expiry"]
    return found[0] if found else None


@pytest.mark.parametrize(("text", "day", "quote"), [
    ("My work permit expires in 2 months", date(2027, 1, 20), "work permit expires in 2 months"),
    ("My permit will expire in three weeks", date(2026, 12, 11), "permit will expire in three weeks"),
    ("my permit ends in 10 days", date(2026, 11, 30), "permit ends in 10 days"),
    ("My PGWP expires in about 6 months", date(2027, 5, 20), "PGWP expires in about 6 months"),
    ("My work permit expires next March", date(2027, 3, 1), "work permit expires next March"),
    ("My permit is valid until next June", date(2027, 6, 1), "permit is valid until next June"),
    ("My permit expires next month", date(2026, 12, 1), "permit expires next month"),
    ("My work permit expires at the end of next month", date(2026, 12, 31),
     "work permit expires at the end of next month"),
    ("My permit expires end of January", date(2027, 1, 31), "permit expires end of January"),
    ("my permit expires in March next year", date(2027, 3, 1), "permit expires in March next year"),
    ("my permit expired two months ago", date(2026, 9, 20), "permit expired two months ago"),
    ("mon permis expire dans 3 mois", date(2027, 2, 20), "permis expire dans 3 mois"),
    ("Mon PTPD expire en mars prochain", date(2027, 3, 1), "PTPD expire en mars prochain"),
    ("mon permis de travail expire le mois prochain", date(2026, 12, 1), "permis de travail expire le mois prochain"),
    ("Mon permis expire à la fin de l'année", date(2026, 12, 31), "permis expire à la fin de l'année"),
    ("Mon permis a expiré il y a 2 mois", date(2026, 9, 20), "permis a expiré il y a 2 mois"),
])
def test_a_relative_expiry_is_counted_from_the_day_the_message_came_in(text: str, day: date, quote: str) -> None:
    assert _expiry(text) == (day.isoformat(), quote, True)


@pytest.mark.parametrize("text", [
    "My permit expires in March",  # which March? (as "on March 3" without a year)
    "My permit expires in a few months",  # no day to count to
    "My wife's permit expires in 2 months", "Mon mari a un permis qui expire dans 3 mois",
    "The permit expires in 2 months",  # whose? nobody says
])
def test_a_vague_or_someone_elses_relative_expiry_is_not_read(text: str) -> None:
    assert _expiry(text) is None


def test_without_the_day_received_nothing_relative_is_read_and_a_date_stays_exact() -> None:
    assert _expiry("My work permit expires in 2 months", received=None) is None
    assert _expiry("My work permit expires on February 14, 2027") == ("2027-02-14",
                                                                      "work permit expires on February 14, 2027", False)


def _lead(message: str, today: date, language: str = "en") -> LeadInput:
    return LeadInput(citizenships=["IN"], country_of_residence="CA", messages=[message], message_dates=[RECEIVED],
                     language=language, today=today, facts={"interest": "work"})


@pytest.mark.parametrize(("message", "language", "note", "score"), [
    ("My work permit expires in 2 months and I applied for PR through Express Entry", "en",
     "The current work permit expires around 2027-01-20 (counted from the day the message came in): apply before "
     "then", "+25 current work permit expires around 2027-01-20, within 4 months"),
    ("Mon permis expire dans 3 mois, j'ai déposé ma demande de résidence permanente (Entrée express)", "fr",
     "Le permis de travail actuel expire vers le 2027-02-20 (compté depuis le jour du message) : présenter la "
     "demande avant cette date", "+25 permis de travail actuel expirant vers le 2027-02-20, d'ici 4 mois"),
])
def test_a_relative_expiry_makes_the_bridging_lead_urgent(message: str, language: str, note: str,
                                                          score: str) -> None:
    # Classified a week after the inquiry came in: the same day as on the day itself
    for today in (RECEIVED, date(2026, 11, 27)):
        lead = _lead(message, today, language)
        result = classify(lead)
        assert result.primary_stream == "bridging-open-work-permit"
        assert "permit-expires-soon" in result.flags
        bridging = result.candidates[0]
        assert note in bridging.for_consultant
        assert score in result.score_reasons
        assert all("expiry date" not in item and "date d'expiration" not in item for item in bridging.missing)
    add_texts(result, lead)
    assert any("around" in text or "vers le" in text for text in result.candidates[0].texts[
        "fr" if language == "en" else "en"]["reasons"])


def test_a_relative_expiry_already_past_says_so() -> None:
    result = classify(_lead("My permit expired last month. I applied for PR through Express Entry", RECEIVED))
    assert "permit-expires-soon" in result.flags
    assert ("The current work permit expired around 2026-10-01 (counted from the day the message came in): check "
            "the lead's status") in result.candidates[0].for_consultant
    assert "+25 current work permit expired around 2026-10-01" in result.score_reasons


def test_a_relative_expiry_far_off_is_read_but_not_urgent() -> None:
    result = classify(_lead("My work permit expires in 10 months and I applied for PR through Express Entry",
                            RECEIVED))
    assert "permit-expires-soon" not in result.flags
    assert "The message says “work permit expires in 10 months”" in result.candidates[0].reasons
