"""International Experience Canada: the per-country table, ages, and Recognized Organizations."""

from __future__ import annotations

from datetime import date

from crm.classify.ages import AgeKnowledge, add_months
from crm.classify.context import Context
from crm.classify.model import CONFIDENCE_RANK, VERDICT_RANK, Candidate
from crm.classify.ruleset import CATEGORY_STREAM, IecCountry, Ruleset

PRIORITY = {"iec-working-holiday": 4, "iec-young-professionals": 5, "iec-co-op": 6,
            "iec-recognized-organization": 12}
RO_AGE = (18, 35)  # what Recognized Organization programs commonly accept (secondary)


def _better(new: Candidate, new_out: date, old: tuple[Candidate, date] | None) -> bool:
    """Best across citizenships: the better verdict, then the later age-out day (more time left)."""
    if old is None:
        return True
    return (new.sort_key()[:2], -new_out.toordinal()) < (old[0].sort_key()[:2], -old[1].toordinal())


def iec_candidates(ctx: Context) -> list[Candidate]:
    best: dict[str, tuple[Candidate, date]] = {}
    non_partner: list[tuple[str, str | None]] = []
    for code, quote in ctx.citizenships:
        country = ctx.rs.iec_country(code)
        if country is None:
            non_partner.append((code, quote))
            continue
        for candidate, out in _country_candidates(ctx, country, quote):
            if _better(candidate, out, best.get(candidate.stream)):
                best[candidate.stream] = (candidate, out)
    found = [candidate for candidate, _ in best.values()]
    for stream, (candidate, out) in best.items():
        if candidate.confidence == "unconfirmed":
            # Flag only a rule that the chosen candidate rests on, not one a better citizenship made moot.
            ctx.flag("unconfirmed-rule")
            ctx.review(candidate.reasons[-1])
        if candidate.viable and stream != "iec-recognized-organization" and ctx.age is not None:
            warn = add_months(ctx.today, ctx.rs.age_out_warning_months)
            if out <= warn:
                ctx.flag("age-out-soon")
                if ctx.age.exact and (out - ctx.today).days <= ctx.rs.iec_invitation_days:
                    # Too close for a new invitation's steps: only a lead already invited can still apply.
                    _downgrade(candidate, "likely")
                    days = ctx.rs.iec_invitation_days
                    candidate.missing.append(ctx.t("Whether an IEC invitation has already been received (the steps "
                                                   "after one take up to {days} days)", days=days))
                # For the consultant only: the emails say it to the lead in their own words.
                if ctx.age.exact:
                    candidate.note_for_consultant(ctx.t("Ages out of IEC on {day}: apply before then",
                                                        day=out.isoformat()))
                else:  # a stated age: the earliest day the lead may age out, not the day
                    candidate.note_for_consultant(ctx.t("May age out of IEC as early as {day} (stated age only): "
                                                        "ask for the date of birth", day=out.isoformat()))
    if non_partner and not any(c.viable for c in found):
        found.append(_recognized_organization(ctx, non_partner))
    elif not ctx.citizenships and ctx.residence and ctx.rs.iec_country(ctx.residence):
        ctx.review(ctx.t("Lives in {country}, but IEC depends on citizenship, which is not known",
                         country=ctx.country(ctx.residence)))
    return found


def _origin(ctx: Context, country: IecCountry, quote: str | None) -> str:
    name = ctx.country_after_of(country.code)
    if quote:
        return ctx.t("Citizen of {country} (the message says “{quote}”)", country=name, quote=quote)
    return ctx.t("Citizen of {country}", country=name)


def _country_candidates(ctx: Context, country: IecCountry, quote: str | None) -> list[tuple[Candidate, date]]:
    origin = _origin(ctx, country, quote)
    far = date.max
    if country.status != "active":
        reason = ctx.t("{country}: IEC status is {status} ({notes})", country=ctx.country(country.code),
                       status=ctx.t(country.status), notes=ctx.t(country.notes))
        status = ctx.t("Current IEC status for {country}", country=ctx.country(country.code))
        suspended = Candidate("iec-working-holiday", "C21", "needs_info", [origin, reason], [status],
                              "unconfirmed", country.source, PRIORITY["iec-working-holiday"])
        suspended.for_consultant.append(status)  # the consultant checks it; the lead cannot answer it
        return [(suspended, far)]
    assert country.min_age is not None and country.max_age is not None
    results: list[tuple[Candidate, date]] = []
    for category in country.categories:
        stream = CATEGORY_STREAM[category]
        candidate = Candidate(stream, "C21", "eligible", [origin], [], country.confidence, country.source,
                              PRIORITY[stream], country=country.code, message_age=ctx.message_age)
        out = _age_check(ctx, country, candidate)
        if candidate.verdict != "ineligible" and not _category_check(ctx, category, candidate):
            continue
        if quote and candidate.verdict == "eligible":
            candidate.verdict = "likely"
            candidate.missing.append(ctx.t("Citizenship (read from the message)"))
        if not ctx.rs.iec_dependants_allowed and ctx.said("family_along") and candidate.verdict != "ineligible":
            _downgrade(candidate, "likely")
            # Not a reason it fits: the consultant reads the words, and the lead, who said it, is not asked again.
            family = ctx.signals["family_along"].quote
            candidate.note_for_consultant(ctx.t("Family may come along (the message says “{quote}”): an IEC permit "
                                                "is for the participant alone", quote=family))
        results.append((candidate, out))
    return results


def age_fit(country: IecCountry, age: AgeKnowledge | None) -> tuple[str, str, date]:
    """The verdict and confidence the age alone gives under an active country's limits, and the day the
    person may age out (date.max when the age is unknown): what the classifier ranks citizenships by
    (_age_check gives the same, with reasons)."""
    assert country.min_age is not None and country.max_age is not None
    if age is None:
        return "needs_info", country.confidence, date.max
    low, high = country.min_age, country.max_age
    within = age.within(low, high)
    if within is True:
        confidence = "secondary" if country.disputed_max_age is not None or country.confidence == "unconfirmed" \
            else country.confidence
        return ("eligible" if age.exact else "likely"), confidence, age.ages_out_on(high)
    if within is False and age.high < low:
        return "ineligible", country.confidence, age.ages_out_on(high)
    if within is False:
        if country.disputed_max_age is not None and age.low <= country.disputed_max_age:
            return "likely", "unconfirmed", age.ages_out_on(country.disputed_max_age)
        return "ineligible", country.confidence, age.ages_out_on(high)
    return "needs_info", country.confidence, age.ages_out_on(high)


def chosen_country(ruleset: Ruleset, citizenships: list[str], age: AgeKnowledge | None,
                   stream: str | None) -> IecCountry | None:
    """The citizenship whose active arrangement the classifier rests `stream` on (better age verdict, then
    the later age-out day, then the first given), for the emails to name the same country. Any IEC
    category when `stream` is not one of them. Only for classifications stored before the candidates
    carried their country (Candidate.country), which the emails read first."""
    category = next((key for key, value in CATEGORY_STREAM.items() if value == stream), None)
    best: tuple[tuple[int, int, int], IecCountry] | None = None
    for code in citizenships:
        country = ruleset.iec_country(code)
        if country is None or country.status != "active":
            continue
        if category is not None and category not in country.categories:
            continue
        verdict, confidence, out = age_fit(country, age)
        key = (VERDICT_RANK[verdict], CONFIDENCE_RANK.get(confidence, 2), -out.toordinal())
        if best is None or key < best[0]:
            best = (key, country)
    return best[1] if best else None


def _age_check(ctx: Context, country: IecCountry, candidate: Candidate) -> date:
    assert country.min_age is not None and country.max_age is not None
    age = ctx.age
    if age is None:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("Date of birth"))
        return date.max
    low, high = country.min_age, country.max_age
    out = age.ages_out_on(high)
    within = age.within(low, high)
    limits = ctx.t("{country} accepts ages {low} to {high}", country=ctx.country(country.code), low=low, high=high)
    if within is True:
        how = ctx.t("aged {age} today", age=age.low) if age.exact else \
            ctx.t("stated age {age}", age=age.stated)
        candidate.reasons.append(ctx.t("{limits}; {how}", limits=limits, how=how))
        if not age.exact:
            candidate.verdict = "likely"
            candidate.missing.append(ctx.t("Date of birth"))
        if country.disputed_max_age is None and candidate.confidence == "unconfirmed":
            candidate.confidence = "secondary"
        elif country.disputed_max_age is not None:
            candidate.confidence = "secondary"  # the disputed limit does not matter at this age
    elif within is False and age.high < low:
        candidate.verdict = "ineligible"
        candidate.reasons.append(ctx.t("{limits}; too young today (eligible from {day})", limits=limits,
                                       day=age.reaches_on(low).isoformat()))
    elif within is False:
        disputed = country.disputed_max_age
        if disputed is not None and age.low <= disputed:
            candidate.verdict = "likely"
            candidate.confidence = "unconfirmed"
            candidate.reasons.append(ctx.t("Sources disagree on the upper age for {country} ({high} or {other}); "
                                           "aged {age}", country=ctx.country(country.code), high=high,
                                           other=disputed, age=age.low))
            return age.ages_out_on(disputed)
        candidate.verdict = "ineligible"
        if age.exact:
            candidate.reasons.append(ctx.t("{limits}; over the limit today (turned {next} on {day})", limits=limits,
                                           next=high + 1, day=out.isoformat()))
        else:  # a stated age gives no birthday to quote
            candidate.reasons.append(ctx.t("{limits}; over the limit today (stated age {age})", limits=limits,
                                           age=age.stated))
    else:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("Date of birth"))
        candidate.reasons.append(ctx.t("{limits}; the stated age does not tell which side of the limit", limits=limits))
    return out


def _category_check(ctx: Context, category: str, candidate: Candidate) -> bool:
    """Adjust the verdict for what the category needs; False when it does not apply at all."""
    if category == "young-professionals":
        offer = ctx.job_offer
        if offer:
            candidate.reasons.append(ctx.t("Has a Canadian job offer"))
        else:
            _downgrade(candidate, "needs_info")
            candidate.missing.append(ctx.t("A job offer that builds professional experience"))
    elif category == "co-op":
        enrolled = ctx.fact("enrolled_in_post_secondary")
        if enrolled is False:
            return False
        if enrolled:
            candidate.priority = 3  # a student's internship belongs in Co-op, which leaves Working Holiday unused
            candidate.reasons.append(ctx.t("Enrolled at a post-secondary institution"))
            if ctx.job_offer is not True:
                _downgrade(candidate, "needs_info")
                candidate.missing.append(ctx.t("An internship offer that is part of the studies"))
        elif ctx.said("degree_internship") or ctx.said("student"):
            _downgrade(candidate, "likely")
            candidate.reasons.append(ctx.quote_reason("degree_internship" if ctx.said("degree_internship")
                                                      else "student"))
            candidate.missing.append(ctx.t("Proof of enrolment"))
        else:
            return False
    return True


def _downgrade(candidate: Candidate, verdict: str) -> None:
    order = ("eligible", "likely", "needs_info", "ineligible")
    if order.index(verdict) > order.index(candidate.verdict):
        candidate.verdict = verdict


def _recognized_organization(ctx: Context, non_partner: list[tuple[str, str | None]]) -> Candidate:
    names = ", ".join(ctx.country(code) for code, _ in non_partner)
    quotes = [quote for _, quote in non_partner if quote]
    reasons = [ctx.t("{countries}: no IEC agreement; a Recognized Organization may still offer a place",
                     countries=names)]
    if quotes:
        reasons.append(ctx.t("The message says “{quote}”", quote=quotes[0]))
    if ctx.residence and ctx.rs.iec_country(ctx.residence) and ctx.residence not in [c for c, _ in non_partner]:
        reasons.append(ctx.t("Lives in {country}, but IEC depends on citizenship, not residence",
                             country=ctx.country(ctx.residence)))
    # Each organization chooses the countries whose citizens it takes: the route is only as real as that check.
    missing = [ctx.t("Whether a Recognized Organization takes citizens of {countries}",
                     countries=", ".join(ctx.country_after_of(code) for code, _ in non_partner))]
    candidate = Candidate("iec-recognized-organization", "C21", "likely", reasons, missing, "secondary",
                          ctx.rs.stream("iec-recognized-organization").source, PRIORITY["iec-recognized-organization"])
    candidate.for_consultant += missing  # the consultant's check, not a question for the lead
    age = ctx.age
    if age is None:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("Date of birth"))
    elif age.within(*RO_AGE) is not True:
        candidate.verdict = "needs_info"
        candidate.reasons.append(ctx.t("Recognized Organization programs usually take ages 18 to 35; aged {age}",
                                       age=age.low))
    if ctx.lead_type != "worker" or ctx.job_offer:
        candidate.priority += 5
    return candidate
