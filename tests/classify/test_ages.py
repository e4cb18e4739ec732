"""Ages on a day: exact at birthdays, 29 February, and ranges from a stated age."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.ages import add_months, age_on, birthday, from_date_of_birth, from_stated_age


@pytest.mark.parametrize(("born", "day", "age"), [
    (date(2008, 3, 15), date(2026, 3, 15), 18),  # 18th birthday today
    (date(2008, 3, 16), date(2026, 3, 15), 17),  # one day short
    (date(1990, 3, 15), date(2026, 3, 15), 36),  # turns 36 today: no longer "35"
    (date(1990, 3, 16), date(2026, 3, 15), 35),  # last day at 35
    (date(2004, 2, 29), date(2022, 2, 28), 17),  # leap-day birth: not 18 until 1 March in a common year
    (date(2004, 2, 29), date(2022, 3, 1), 18),
    (date(2004, 2, 29), date(2024, 2, 29), 20),
])
def test_age_on(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_birthday_of_a_leap_day_birth_in_a_common_year_is_1_march() -> None:
    assert birthday(date(2004, 2, 29), 18) == date(2022, 3, 1)
    assert birthday(date(2004, 2, 29), 20) == date(2024, 2, 29)


def test_within_and_age_out_day_from_a_date_of_birth() -> None:
    knowledge = from_date_of_birth(date(1990, 3, 16), date(2026, 3, 15))
    assert knowledge.within(18, 35) is True
    assert knowledge.ages_out_on(35) == date(2026, 3, 16)
    assert from_date_of_birth(date(1990, 3, 15), date(2026, 3, 15)).within(18, 35) is False


def test_a_stated_age_is_a_range_of_birth_dates() -> None:
    # "35" said today: born between 1990-03-16 and 1991-03-15, so still 35 today, but perhaps not tomorrow
    knowledge = from_stated_age(35, date(2026, 3, 15), date(2026, 3, 15))
    assert (knowledge.born_earliest, knowledge.born_latest) == (date(1990, 3, 16), date(1991, 3, 15))
    assert (knowledge.low, knowledge.high, knowledge.exact) == (35, 35, False)
    assert knowledge.ages_out_on(35) == date(2026, 3, 16)
    # "35" said nine months ago: 35 or 36 today, the limit cannot be told; a year ago to the day: 36
    older = from_stated_age(35, date(2025, 6, 1), date(2026, 3, 15))
    assert (older.low, older.high) == (35, 36) and older.within(18, 35) is None
    assert from_stated_age(35, date(2025, 3, 15), date(2026, 3, 15)).within(18, 35) is False


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 15), 6) == date(2026, 9, 15)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_over_the_iec_limit_quotes_a_birthday_only_when_the_date_of_birth_is_known(language: str) -> None:
    from crm.classify.classifier import classify
    from crm.classify.model import LeadInput

    today = date(2026, 11, 26)
    # Belgium accepts 18 to 30. A stated age of 33 says nothing about the day the lead turned 31
    stated = classify(LeadInput(citizenships=["BE"], stated_age=33, stated_age_on=today, language=language,
                                today=today))
    working_holiday = next(c for c in stated.candidates if c.stream == "iec-working-holiday")
    assert working_holiday.verdict == "ineligible"
    assert not any("2023" in reason for reason in working_holiday.reasons), working_holiday.reasons
    assert any("33" in reason for reason in working_holiday.reasons), working_holiday.reasons
    # A date of birth does: the reason names the 31st birthday
    known = classify(LeadInput(citizenships=["BE"], date_of_birth=date(1993, 5, 4), language=language, today=today))
    working_holiday = next(c for c in known.candidates if c.stream == "iec-working-holiday")
    assert any("2024-05-04" in reason for reason in working_holiday.reasons), working_holiday.reasons


@pytest.mark.parametrize(("language", "firm", "earliest"), [
    ("en", "Ages out of IEC on 2026-11-27", "May age out of IEC as early as 2026-11-27"),
    ("fr", "Dépasse l'âge limite d'EIC le 2026-11-27", "Pourrait dépasser l'âge limite d'EIC dès le 2026-11-27"),
])
def test_a_stated_age_gives_the_earliest_age_out_day_not_a_firm_one(language: str, firm: str,
                                                                   earliest: str) -> None:
    from crm.classify.classifier import classify
    from crm.classify.model import LeadInput

    today = date(2026, 11, 26)
    # "35" said today by a French citizen (18-35): the 36th birthday may be tomorrow, or a year away
    stated = classify(LeadInput(citizenships=["FR"], stated_age=35, stated_age_on=today, language=language,
                                today=today))
    working_holiday = next(c for c in stated.candidates if c.stream == "iec-working-holiday")
    assert any(reason.startswith(earliest) for reason in working_holiday.reasons), working_holiday.reasons
    assert not any(reason.startswith(firm) for reason in working_holiday.reasons), working_holiday.reasons
    # A date of birth gives the day itself
    known = classify(LeadInput(citizenships=["FR"], date_of_birth=date(1990, 11, 27), language=language,
                               today=today))
    working_holiday = next(c for c in known.candidates if c.stream == "iec-working-holiday")
    assert any(reason.startswith(firm) for reason in working_holiday.reasons), working_holiday.reasons


@pytest.mark.parametrize(("citizenships", "born", "stated", "message"), [
    (["JP", "FR"], date(1994, 5, 5), None, None),  # over Japan's 30, within France's 35: France
    (["FR", "JP"], date(1994, 5, 5), None, None),
    (["JP", "FR"], date(2000, 5, 5), None, None),  # within both: the later age-out day (France)
    (["BE", "IE"], None, 29, None),  # a stated age
    (["LU", "FR"], date(1993, 5, 5), None, None),  # Luxembourg's disputed limit against France's official one
    (["IE", "JP"], None, None, None),  # no age at all: the first one given
    # The age read from the message (no form age): France, as with a form age
    (["JP", "FR"], None, None, "Hello, I'm 32 years old and I would like to work in Canada."),
    (["JP", "FR"], None, None, "J'ai 32 ans et je voudrais travailler au Canada."),
    # Citizenships and age read from the message (no form field at all)
    ([], None, None, "Hello, I am a Japanese citizen and a French citizen, I'm 32 years old."),
    ([], None, None, "I'm a Japanese citizen, 27 years old."),
    # The form's age wins over the message's (and the message does not move the country)
    (["JP", "FR"], date(2000, 5, 5), None, "I'm 32 years old"),
])
def test_the_country_the_emails_name_is_the_one_the_classifier_chose(
        citizenships: list[str], born: date | None, stated: int | None, message: str | None) -> None:
    from crm.classify.ages import from_date_of_birth, from_stated_age
    from crm.classify.classifier import classify
    from crm.classify.iec import chosen_country
    from crm.classify.model import LeadInput
    from crm.classify.ruleset import load_ruleset
    from crm.countries import country_name
    from crm.models import Lead
    from crm.sequences.content import iec_aged_out, iec_view

    today = date(2026, 11, 26)
    ruleset = load_ruleset()
    result = classify(LeadInput(citizenships=citizenships, date_of_birth=born, stated_age=stated,
                                stated_age_on=today if stated else None, messages=[message] if message else [],
                                today=today))
    working_holiday = next(c for c in result.candidates if c.stream == "iec-working-holiday")
    classifier_country = working_holiday.country
    assert classifier_country is not None
    assert working_holiday.reasons[0].startswith(f"Citizen of {country_name(classifier_country, 'en')}"), \
        working_holiday.reasons
    # The emails read the classification as stored (JSON), with the lead's own fields
    lead = Lead(citizenships=citizenships, date_of_birth=born, stated_age=stated,
                stated_age_on=today if stated else None, facts={"message": message} if message else {})
    stored = result.candidates_json()
    for stream in ("iec-working-holiday", result.primary_stream):
        view = iec_view(ruleset, lead, "en", today, stream, stored)
        assert view is not None and view["code"] == classifier_country, (stream, view)
    # ... and the age they go by is the classifier's: the same country's limits, the same verdict
    if born or stated or message:
        later = date(2046, 1, 1)  # every one of these leads is over every limit by then
        aged_out = iec_aged_out(lead, "iec-working-holiday", later, ruleset, stored)
        assert aged_out is not None and aged_out.country == classifier_country, aged_out
    if message is None:
        # A classification stored before the candidates carried their country: the fallback still agrees
        age = from_date_of_birth(born, today) if born else from_stated_age(stated, today, today) if stated else None
        chosen = chosen_country(ruleset, citizenships, age, "iec-working-holiday")
        assert chosen is not None and chosen.code == classifier_country
        old = [{k: v for k, v in c.items() if k not in ("country", "message_age")} for c in stored]
        view = iec_view(ruleset, lead, "en", today, "iec-working-holiday", old)
        assert view is not None and view["code"] == classifier_country
