"""Ages on a given day, from a date of birth or from an age stated on an earlier day.

An age range "18-35" counts completed years: a person may apply from their 18th birthday until the
day before their 36th birthday. Someone born on 29 February has their birthday on 1 March in other
years (they have not completed the year until 29 February has passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo


def age_on(born: date, day: date) -> int:
    """Completed years on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birthday(born: date, years: int) -> date:
    """The day the person completes `years` years (1 March for a 29 February birth in a common year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:
        return date(born.year + years, 3, 1)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate_day)
        except ValueError:
            continue
    raise ValueError("unreachable")


@dataclass(frozen=True)
class AgeKnowledge:
    """What we know of a person's age today: exact (from a date of birth) or a range (stated age)."""

    low: int  # youngest possible age today
    high: int  # oldest possible age today
    exact: bool
    born_earliest: date  # earliest possible date of birth
    born_latest: date  # latest possible date of birth
    source: str  # "date_of_birth", "stated_age", "message"

    @property
    def stated(self) -> int | str:
        """The age as the lead gave it: one number, or "low-high" when the day it was said is unknown."""
        return self.low if self.low == self.high else f"{self.low}-{self.high}"

    @property
    def plausible(self) -> bool:
        """False for an impossible age (a mistyped date of birth): the classifier and the emails ignore it."""
        return self.low >= 0 and self.high <= 110

    def within(self, min_age: int, max_age: int) -> bool | None:
        """True: certainly within; False: certainly outside; None: the range straddles a limit."""
        if self.low >= min_age and self.high <= max_age:
            return True
        if self.high < min_age or self.low > max_age:
            return False
        return None

    def ages_out_on(self, max_age: int) -> date:
        """The first day the person may be over `max_age` (their (max_age+1)th birthday, earliest case)."""
        return birthday(self.born_earliest, max_age + 1)

    def reaches_on(self, min_age: int) -> date:
        """The last day on which the person will certainly have reached `min_age`."""
        return birthday(self.born_latest, min_age)


def from_date_of_birth(born: date, today: date) -> AgeKnowledge:
    age = age_on(born, today)
    return AgeKnowledge(age, age, True, born, born, "date_of_birth")


def from_stated_age(age: int, stated_on: date, today: date, source: str = "stated_age") -> AgeKnowledge:
    """A person aged `age` on `stated_on` was born between these two days (both inclusive)."""
    latest = birthday(stated_on, -age) if (stated_on.month, stated_on.day) != (2, 29) else \
        date(stated_on.year - age, 2, 28)
    earliest = birthday(stated_on, -(age + 1)) + timedelta(days=1)
    if (stated_on.month, stated_on.day) == (2, 29):
        earliest = date(stated_on.year - age - 1, 3, 1)
    return AgeKnowledge(age_on(latest, today), age_on(earliest, today), False, earliest, latest, source)


def stated_age_day(stated_on: date | None, stated_at: datetime | None, zone: tzinfo) -> date | None:
    """The day an age given on the form was stated, in `zone` (the lead's zone as now known).

    The intake dates it in the zone it knew then: Toronto's for a lead whose country is only in the message. When
    that day is within a day of the UTC date of the lead's last inquiry, the age came with it and is re-dated in
    `zone`; otherwise an age given on a European evening is a day old by the time its country is read ("27-28")."""
    if stated_on is None or stated_at is None:
        return stated_on
    moment = stated_at if stated_at.tzinfo else stated_at.replace(tzinfo=UTC)
    if abs((stated_on - moment.astimezone(UTC).date()).days) > 1:
        return stated_on
    return moment.astimezone(zone).date()


def known_age(today: date, date_of_birth: date | None = None, stated_age: int | None = None,
              stated_age_on: date | None = None, message_age: int | None = None,
              message_age_on: date | None = None) -> AgeKnowledge | None:
    """The age the classifier and the emails go by (one rule for both): the form's date of birth, else
    the form's stated age, else an age read from the message (said on `message_age_on`, the day the
    classifier read it). Possibly implausible: see AgeKnowledge.plausible."""
    if date_of_birth is not None:
        return from_date_of_birth(date_of_birth, today)
    if stated_age is not None:
        return from_stated_age(stated_age, stated_age_on or today, today)
    if message_age is not None:
        return from_stated_age(message_age, message_age_on or today, today, source="message")
    return None
