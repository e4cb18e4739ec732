"""What the emails say to the lead: no CRM labels or CRM wording about "the lead", only the programs and
codes that fit them (findings of a tester playing applicants)."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_iec_ages import NOV, _emails, _lead


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("language", "label", "generic"), [
    ("en", "Consultant review", "working in Canada"),
    ("fr", "Examen par un consultant", "le travail au Canada"),
])
def test_review_leads_are_not_told_the_name_of_the_review_queue(db: Database, settings: Settings, language: str,
                                                                label: str, generic: str) -> None:
    # A Swede over Sweden's IEC limit goes to consultant review
    lead_id = _lead(db, NOV, first_name="Lars", email=f"lars.label.{language}@example.se", citizenships=["SE"],
                    date_of_birth="1993-06-01", preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    assert "answer-review" in emails
    for template in ("consultation", "checkin"):
        text = _flat(emails[template].text)
        assert label not in text, (template, text)
        assert generic in text, (template, text)


@pytest.mark.parametrize(("language", "reason"), [
    ("en", "Owns, is buying or is starting a business (from the form)"),
    ("fr", "Possède, achète ou crée une entreprise (d'après le formulaire)"),
])
def test_an_entrepreneur_is_not_called_the_lead_in_their_email(db: Database, settings: Settings, language: str,
                                                               reason: str) -> None:
    lead_id = _lead(db, NOV, first_name="Eve", email=f"eve.{language}@example.com", citizenships=["US"],
                    date_of_birth="1980-06-01", owns_business=True, interest="business",
                    preferred_language=language)
    first = _flat(_emails(db, settings, lead_id, NOV)["answer-entrepreneur"].text)
    assert reason in first
    assert "the lead" not in first and "la personne" not in first


@pytest.mark.parametrize(("language", "can_apply", "also"), [
    ("en", "As a citizen of Australia, you can apply to IEC Working Holiday.",
     "Citizens of Australia can also take part in IEC Young Professionals and IEC International Co-op Internship, "
     "if your situation meets their conditions"),
    ("fr", "vous pouvez présenter une demande pour : EIC Vacances-Travail.",
     "Les citoyens de votre pays peuvent aussi participer à : EIC Jeunes professionnels et EIC Stage coop "
     "international, si votre situation en remplit les conditions"),
])
def test_the_iec_answer_says_you_can_apply_only_to_the_categories_found_open(
        db: Database, settings: Settings, language: str, can_apply: str, also: str) -> None:
    # An Australian chef, not a student, no job offer: Working Holiday eligible, Young Professionals needs
    # an offer, Co-op does not apply
    lead_id = _lead(db, NOV, first_name="Jack", email=f"jack.{language}@example.au", citizenships=["AU"],
                    date_of_birth="1998-06-01", occupation="Chef", job_offer=False,
                    enrolled_in_post_secondary=False, preferred_language=language)
    first = _flat(_emails(db, settings, lead_id, NOV)["answer-iec"].text)
    assert can_apply in first, first
    assert also in first, first



def test_french_elides_de_before_a_vowel_and_writes_the_first_of_the_month_1er() -> None:
    from datetime import date

    from crm.sequences.rendering import _date
    from crm.sequences.rendering import de as _de

    assert _de("EIC Vacances-Travail") == "d'EIC Vacances-Travail"
    assert _de("Mobilité francophone") == "de Mobilité francophone"
    assert _date(date(2026, 12, 1), "fr") == "1er décembre 2026"
    assert _date(date(2026, 12, 2), "fr") == "2 décembre 2026"


def test_the_french_iec_fit_step_elides_de(db: Database, settings: Settings) -> None:
    lead_id = _lead(db, NOV, first_name="Camille", email="camille.elide@example.fr", citizenships=["FR"],
                    date_of_birth="1998-06-01", preferred_language="fr")
    fit = _flat(_emails(db, settings, lead_id, NOV)["iec-fit"].text)
    assert "au sujet d'EIC Vacances-Travail" in fit and "au sujet de EIC" not in fit


@pytest.mark.parametrize(("language", "code", "field"), [
    # The program's name ends in parentheses of its own: the code follows after a comma, not in a second pair
    ("en", "(CUSMA, CPTPP, CETA, CUKTCA), exemption code T36.", "in your field (Civil engineer)"),
    ("fr", "(ACEUM, PTPGP, AECG, ACCCRU), code de dispense T36.", "dans votre domaine (Civil engineer)"),
])
def test_a_us_professional_reads_only_the_code_that_fits_and_a_readable_occupation(
        db: Database, settings: Settings, language: str, code: str, field: str) -> None:
    lead_id = _lead(db, NOV, first_name="Bob", email=f"bob.{language}@example.com", citizenships=["US"],
                    date_of_birth="1980-06-01", occupation="Civil engineer", job_offer=True, job_offer_province="ON",
                    french_ability="none", preferred_language=language)
    first = _flat(_emails(db, settings, lead_id, NOV)["answer-worker"].text)
    assert code in first, first
    assert "T52" not in first and "F66" not in first
    assert field in first and " as Civil engineer" not in first and "comme Civil" not in first


@pytest.mark.parametrize(("language", "heading", "police"), [
    ("en", "WHAT YOUR EMPLOYER PREPARES", "Police certificates"),
    ("fr", "CE QUE PRÉPARE VOTRE EMPLOYEUR", "certificats de police"),
])
def test_a_global_talent_worker_reads_the_list_as_the_employers_file_without_a_police_tip(
        db: Database, settings: Settings, language: str, heading: str, police: str) -> None:
    lead_id = _lead(db, NOV, first_name="Raj", email=f"raj.{language}@example.in", citizenships=["IN"],
                    date_of_birth="1990-06-01", occupation="Software engineer", job_offer=True,
                    job_offer_province="BC", french_ability="none", preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    assert "answer-worker" in emails
    documents = emails["documents"].text
    assert heading in documents, documents
    assert police.lower() not in documents.lower()


@pytest.mark.parametrize(("language", "police"), [("en", "Police certificates"), ("fr", "certificats de police")])
def test_the_police_tip_stays_where_the_list_has_a_police_certificate(db: Database, settings: Settings,
                                                                      language: str, police: str) -> None:
    lead_id = _lead(db, NOV, first_name="Aoife", email=f"aoife.police.{language}@example.ie", citizenships=["IE"],
                    date_of_birth="1998-06-01", preferred_language=language)
    documents = _emails(db, settings, lead_id, NOV)["documents"].text
    assert police.lower() in documents.lower()
    assert ("request them first" if language == "en" else "demandez-les en premier") in documents


def _html_text(html: str) -> str:
    import re

    return _flat(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("language", "joined"), [
    ("en", ["you can apply to IEC Working Holiday. Citizens of Australia can also take part",
            "we can look at this with you. The age range for citizens of Australia is 18 to 35"]),
    ("fr", ["présenter une demande pour : EIC Vacances-Travail. Les citoyens de votre pays peuvent aussi",
            "nous pourrons l'examiner avec vous. La tranche d'âge est de 18 à 35 ans"]),
])
def test_the_sentences_of_the_iec_answer_are_separated_in_text_and_html(
        db: Database, settings: Settings, language: str, joined: list[str]) -> None:
    # The {% if %} blocks ate the line break between sentences: "Holiday.Citizens", "with you.The age"
    lead_id = _lead(db, NOV, first_name="Jack", email=f"jack.space.{language}@example.au", citizenships=["AU"],
                    date_of_birth="1998-06-01", occupation="Chef", job_offer=False,
                    enrolled_in_post_secondary=False, preferred_language=language)
    first = _emails(db, settings, lead_id, NOV)["answer-iec"]
    text, html = _flat(first.text).replace("\u00a0", " "), _html_text(first.html).replace("\u00a0", " ")
    for sentence in joined:
        assert sentence in text, text
        assert sentence in html, html


# Leads whose emails take the templates' conditional branches (IEC with and without other categories,
# every category open, a stated age, over the limit, review, worker, entrepreneur, employer, RO country)
_VARIED_LEADS = [
    {"citizenships": ["AU"], "date_of_birth": "1998-06-01", "occupation": "Chef", "job_offer": False,
     "enrolled_in_post_secondary": False},
    {"citizenships": ["FR"], "age": 35},
    {"citizenships": ["IE"], "date_of_birth": "1990-12-01"},
    {"citizenships": ["FR"], "date_of_birth": "1999-03-01", "job_offer": True, "job_offer_province": "ON",
     "french_ability": "native", "enrolled_in_post_secondary": True, "spouse_status_in_canada": "worker"},
    {"citizenships": ["SE"], "date_of_birth": "1993-06-01", "french_ability": "none"},
    {"citizenships": ["US"], "date_of_birth": "1980-06-01", "occupation": "Civil engineer", "job_offer": True,
     "job_offer_province": "ON", "french_ability": "none"},
    {"citizenships": ["US"], "date_of_birth": "1980-06-01", "owns_business": True, "interest": "business"},
    {"interest": "hire", "company_name": "Acme"},
    {"citizenships": ["BR"], "date_of_birth": "1995-03-01"},
    {"citizenships": ["LU"], "date_of_birth": "1993-05-05"},
]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_email_runs_two_sentences_together(db: Database, settings: Settings, language: str) -> None:
    import re

    glued = re.compile(r"[a-zà-ÿ)»]\.[A-ZÀ-Ý«]")
    found = []
    for number, form in enumerate(_VARIED_LEADS):
        lead_id = _lead(db, NOV, first_name="Sam", email=f"sam{number}.glue.{language}@example.com",
                        preferred_language=language, **form)
        for template, email in _emails(db, settings, lead_id, NOV).items():
            for body in (_flat(email.text), _html_text(email.html), email.subject):
                body = re.sub(r"https?://\S+", "", body)  # tokens in links are not sentences
                found += [(number, template, body[max(0, m.start() - 40):m.end() + 20]) for m in glued.finditer(body)]
    assert not found, found


@pytest.mark.parametrize(("language", "subject", "can_apply"), [
    ("en", "How IEC works for citizens of the United Kingdom",
     "As a citizen of the United Kingdom, you can apply to IEC Working Holiday and IEC Young Professionals."),
    ("fr", "Comment fonctionne EIC pour votre pays (Royaume-Uni)",
     "vous pouvez présenter une demande pour : EIC Vacances-Travail et EIC Jeunes professionnels."),
])
def test_iec_emails_write_the_before_such_country_names_and_and_before_the_last_category(
        db: Database, settings: Settings, language: str, subject: str, can_apply: str) -> None:
    # A British engineer with a Canadian job offer: Working Holiday and Young Professionals both open
    lead_id = _lead(db, NOV, first_name="Olivia", email=f"olivia.{language}@example.co.uk", citizenships=["GB"],
                    country_of_residence="GB", date_of_birth="1998-03-01", occupation="Civil engineer",
                    job_offer=True, job_offer_province="ON", preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    assert emails["iec-fit"].subject == subject
    answer = _flat(emails["answer-iec"].text)
    assert can_apply in answer, answer
    assert "citizens of United" not in answer and "citizen of United" not in _flat(emails["iec-fit"].text)


def test_a_country_name_takes_the_only_where_english_writes_it() -> None:
    from crm.countries import country_in_text

    assert country_in_text("NL", "en") == "the Netherlands" and country_in_text("PH", "en") == "the Philippines"
    assert country_in_text("US", "en") == "the United States" and country_in_text("FR", "en") == "France"
    assert country_in_text("GB", "fr") == "Royaume-Uni"


@pytest.mark.parametrize(("language", "since"), [("en", "Since January 21, 2025:"),
                                                 ("fr", "Depuis le 21 janvier 2025 :")])
def test_a_date_in_a_program_description_is_written_in_the_leads_language(
        db: Database, settings: Settings, language: str, since: str) -> None:
    from tests.email.helpers import new_lead

    lead_id = new_lead(db, "spousal-open-work-permit", NOV, email=f"sam.spouse.{language}@example.com",
                       preferred_language=language, interest="family", spouse_status_in_canada="worker")
    emails = _emails(db, settings, lead_id, NOV)
    texts = " ".join(_flat(email.text) for email in emails.values())
    assert since in texts, texts
    assert "2025-01-21" not in texts and "2025-01-21" not in " ".join(email.html for email in emails.values())


def test_iso_dates_in_text_for_the_lead_are_written_out() -> None:
    from crm.sequences.rendering import dates_in_words

    assert dates_in_words("Since 2025-01-21: spouses", "en") == "Since January 21, 2025: spouses"
    assert dates_in_words("depuis le 2024-03-01", "fr") == "depuis le 1er mars 2024"
    assert dates_in_words("not a day: 2025-13-40", "en") == "not a day: 2025-13-40"


def test_a_date_inside_the_leads_own_words_is_left_as_they_wrote_it() -> None:
    from types import SimpleNamespace

    from crm.sequences.content import _candidate

    classification = SimpleNamespace(candidates=[{
        "stream": "iec-working-holiday", "verdict": "likely",
        "reasons": ["Age from the message: the message says “born 1990-05-12”", "Since 2025-01-21: open"]}])
    reasons = _candidate(classification, "iec-working-holiday", "en")["reasons"]  # type: ignore[arg-type]
    assert reasons == ["Age from the message: the message says “born 1990-05-12”", "Since January 21, 2025: open"]
