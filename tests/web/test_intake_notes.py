"""How the intake read an ambiguous answer (a misspelt country, a province it does not know, an age beside a
date of birth) is on the lead page, in the consultant's language: otherwise the consultant sees "Germany"
and never learns the lead typed "Germny", or sees no job-offer province and never learns "Texas" was sent."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm.db import Database
from tests.web.conftest import Browser, Team


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["How the answers were read", "Citizenship “Irelnd” read as Ireland",
            "Country of residence “Germny” read as Germany",
            "Job offer province “Texas” not recognised: ask the lead",
            "Both a date of birth and an age were given: the date of birth is used"]),
    ("fr", ["Comment les réponses ont été lues", "Citoyenneté « Irelnd » interprétée comme Irlande",
            "Pays de résidence « Germny » interprété comme Allemagne",
            "Province de l&#39;offre d&#39;emploi « Texas » non reconnue : à demander au prospect",
            "Une date de naissance et un âge ont été donnés : la date de naissance est retenue"]),
])
def test_the_lead_page_says_how_ambiguous_answers_were_read(db: Database, team: Team, consultant: Browser,
                                                            post_lead: Callable[..., str], lang: str,
                                                            expected: list[str]) -> None:
    lead_id = post_lead(citizenships=["Irelnd"], country_of_residence="Germny", job_offer_province="Texas",
                        date_of_birth="1999-04-02", age=27)
    html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    for line in expected:
        assert line in html, line


def test_an_inquiry_read_plainly_has_no_notes_heading(db: Database, team: Team, consultant: Browser,
                                                       post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "How the answers were read" not in html


def test_a_note_stored_as_text_by_an_earlier_version_is_shown_as_stored() -> None:
    from crm.web.labels import intake_note

    old = "job offer province 'Texas' not recognised: left for a consultant"
    assert intake_note(old, "fr") == old
    assert intake_note({"note": "something-new", "typed": "x"}, "en") == str({"note": "something-new", "typed": "x"})


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "The date of birth (1995-03-01, aged {age}) and the age given (40) disagree: the date of birth is used; "
           "check with the lead"),
    ("fr", "La date de naissance (1995-03-01, soit {age} ans) et l&#39;âge donné (40 ans) ne concordent pas : la "
           "date de naissance est retenue ; à vérifier avec le prospect"),
])
def test_a_date_of_birth_and_an_age_that_disagree_are_named(db: Database, team: Team, consultant: Browser,
                                                             post_lead: Callable[..., str], lang: str,
                                                             said: str) -> None:
    """Consultant trial: a date of birth and an age nine years apart were settled silently."""
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    age = today.year - 1995 - ((today.month, today.day) < (3, 1))
    lead_id = post_lead(date_of_birth="1995-03-01", age=40)
    html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    assert said.format(age=age) in html
