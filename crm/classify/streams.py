"""The LMIA-exempt and employer streams other than IEC, one function each.

Each returns a Candidate (or None when nothing points to the stream). Priorities order candidates of
equal verdict and confidence: permits tied to the lead's present situation in Canada come first.
"""

from __future__ import annotations

import re

from crm.classify.ages import add_months
from crm.classify.context import Context, NoPermit
from crm.classify.model import Candidate
from crm.classify.signals import CITY_NAMES, DATING_PARTNER, normalise

PRIORITY = {"bridging-open-work-permit": 0, "post-graduation-work-permit": 1, "spousal-open-work-permit": 2,
            "intra-company-transferee": 3, "francophone-mobility": 7, "free-trade-professional": 8,
            "global-talent-stream": 9, "entrepreneur": 10, "reciprocal-employment": 11, "significant-benefit": 13}
# A transfer's words that name an existing Canadian workplace, and those that speak of opening one (C61).
_OFFICE_NAMED = re.compile(
    r"\b(?:(?:canadian|" + CITY_NAMES + r") (?:office|branch|subsidiary|entity|headquarters|site)|"
    r"(?:office|branch|subsidiary|headquarters|site) in (?:canada|" + CITY_NAMES + r")|"
    r"(?:bureau|filiale|succursale|siege)(?: canadien| canadienne| (?:au|du) canada| (?:de|a|d') ?(?:" + CITY_NAMES
    + r")))\b")
_NEW_OFFICE = re.compile(r"\b(?:open|opening|new|set up|setting up|establish|establishing|launch|launching|start|"
                         r"starting|ouvrir|nouveau|nouvelle|creer)\b")
EXECUTIVE_WORDS = ("manager", "director", "executive", "vp", "vice president", "head of", "directeur", "directrice",
                   "gestionnaire", "cadre")


def _new(ctx: Context, stream: str, code: str | None, verdict: str) -> Candidate:
    rule = ctx.rs.stream(stream)
    return Candidate(stream, code, verdict, [], [], rule.confidence, rule.source, PRIORITY.get(stream, 50))


def _from(ctx: Context, field: str, signal: str, form_reason: str) -> str | None:
    """The reason a fact holds: the form field, else the message's words, else None."""
    if ctx.fact(field):
        return ctx.t(form_reason)
    if ctx.said(signal):
        return ctx.quote_reason(signal)
    return None


def bridging(ctx: Context) -> Candidate | None:
    reason = _from(ctx, "pr_application_pending", "pr_pending", "Has applied for permanent residence")
    if reason is None:
        return None
    candidate = _new(ctx, "bridging-open-work-permit", "A75", "likely")
    candidate.reasons.append(reason)
    programs = [program for key in ctx.signals["pr_program"].value for program in ctx.rs.pr_programs
                if program.key == key] if ctx.said("pr_program") else []
    if programs:
        candidate.reasons.append(ctx.t("PR program: {programs} (the message says “{quote}”)",
                                       programs=", ".join(program.name[ctx.lang] for program in programs),
                                       quote=ctx.signals["pr_program"].quote))
        if not any(program.bridging for program in programs):
            candidate.verdict = "needs_info"
            candidate.note_for_consultant(ctx.t(
                "{program}: an economic program the bridging permit's instructions do not list; check that the "
                "permit fits", program=", ".join(program.name[ctx.lang] for program in programs)))
        for program in programs:
            if program.note:
                candidate.note_for_consultant(program.note[ctx.lang])
    else:
        candidate.missing.append(ctx.t("PR program (it must be an economic class)"))
    expiry = ctx.permit_expiry
    if expiry is None:
        candidate.missing.append(ctx.t("Current work permit expiry date"))
    else:
        candidate.reasons.append(ctx.quote_reason("permit_expiry"))
        # "expires in 2 months", "next March": a day counted from the message's, said as such to the consultant
        around = ctx.permit_expiry_estimated
        if expiry < ctx.today:
            ctx.flag("permit-expires-soon")
            candidate.note_for_consultant(ctx.t(
                "The current work permit expired around {day} (counted from the day the message came in): check the "
                "lead's status" if around else "The current work permit expired on {day}: check the lead's status",
                day=expiry.isoformat()))
        elif expiry <= add_months(ctx.today, ctx.rs.permit_expiry_warning_months):
            ctx.flag("permit-expires-soon")
            candidate.note_for_consultant(ctx.t(
                "The current work permit expires around {day} (counted from the day the message came in): apply "
                "before then" if around else "The current work permit expires on {day}: apply before then",
                day=expiry.isoformat()))
    if ctx.residence and ctx.residence != "CA":
        candidate.verdict = "needs_info"
        candidate.reasons.append(ctx.t("A bridging permit is for people working in Canada; lives in {country}",
                                       country=ctx.country(ctx.residence)))
    return candidate


def post_graduation(ctx: Context) -> Candidate | None:
    reason = _from(ctx, "studied_in_canada", "studied_in_canada", "Graduated from a Canadian post-secondary program")
    later = None  # studying now, or the permit named without a word of studies in Canada: asked, not offered
    if reason is None and ctx.fact("studied_in_canada") is None:
        for signal in ("studying_in_canada", "pgwp_mentioned"):
            if ctx.said(signal):
                later = ctx.quote_reason(signal)
                break
    if reason is None and later is None:
        return None
    if ctx.rs.pgwp_once and ctx.said("pgwp_held"):
        # Issued once in a lifetime (ruleset `post_graduation`): the lead is told nothing of it, the consultant why.
        ctx.note(ctx.t("Holds or held a post-graduation work permit (the message says “{quote}”): it is issued once, "
                       "so it is not offered again", quote=ctx.signals["pgwp_held"].quote))
        return None
    candidate = _new(ctx, "post-graduation-work-permit", "C43", "likely" if reason else "needs_info")
    if reason:
        candidate.reasons.append(reason)
        if ctx.said("pgwp_doubt"):
            candidate.verdict = "needs_info"
            candidate.reasons.append(ctx.quote_reason("pgwp_doubt"))
    else:
        candidate.reasons.append(later)  # type: ignore[arg-type]
        candidate.missing.append(ctx.t("Studies in Canada: the school, and whether they are finished"))
    candidate.missing += [ctx.t("Program length and completion date"), ctx.t("Whether the program is PGWP-eligible")]
    return candidate


def spousal(ctx: Context) -> Candidate | None:
    status = ctx.fact("spouse_status_in_canada")
    quote = None
    if status is None:
        if ctx.said("spouse_worker"):
            status, quote = "worker", ctx.quote_reason("spouse_worker")
        elif ctx.said("spouse_student"):
            status, quote = "student", ctx.quote_reason("spouse_student")
    if status is None and ctx.said("spouse_canadian"):
        status, quote = "sponsor", ctx.quote_reason("spouse_canadian")
    if status in ("permanent_resident", "sponsor"):
        ctx.review(ctx.t("Spouse is a permanent resident: spousal sponsorship (outside the IMP) may fit")
                   if quote is None else ctx.t("Spouse or partner is a Canadian citizen or permanent resident: spousal "
                                               "sponsorship (outside the IMP) may fit"))
        return _sponsored_by_spouse(ctx, quote)
    if status not in ("worker", "student"):
        return None
    if status == "worker":
        candidate = _new(ctx, "spousal-open-work-permit", "C41", "likely")
        candidate.reasons.append(quote or ctx.t("Spouse or partner works in Canada"))
        candidate.missing += [ctx.t("Spouse's occupation (TEER 0 or 1, or an eligible TEER 2 or 3)"),
                              ctx.t("Months left on the spouse's work permit (16 or more)")]
    else:
        candidate = _new(ctx, "spousal-open-work-permit", "C42", "likely")
        candidate.reasons.append(quote or ctx.t("Spouse or partner studies in Canada"))
        candidate.missing.append(ctx.t("Spouse's program (master's of 16 months or more, doctorate, or eligible "
                                       "professional program)"))
    if quote is not None and _dating_partner(ctx, f"spouse_{status}"):
        # A girlfriend or boyfriend is a spouse for these permits only as a common-law partner: asked first.
        candidate.verdict = "needs_info"
        candidate.missing.insert(0, _cohabitation_question(ctx))
    return candidate


def sponsored_spouse(ctx: Context, no_permit: NoPermit) -> Candidate | None:
    """For a lead who needs no permit (a Canadian citizen or permanent resident) and asks about their spouse or partner
    coming to or working in Canada: the spouse's route (ruleset `sponsored_spouse`), which the inquiry is about."""
    code = ctx.rs.sponsored_spouse_code
    if code is None or ctx.lead_type != "worker" or not ctx.said("spouse_coming"):
        return None
    dating = _dating_partner(ctx, "spouse_coming")
    candidate = _new(ctx, "spousal-open-work-permit", code, "needs_info" if dating else "likely")
    candidate.confidence, candidate.source = ctx.rs.sponsored_spouse_confidence, ctx.rs.sponsored_spouse_source
    candidate.no_permit = no_permit.status  # the acknowledgement still speaks to the lead's own status
    candidate.reasons += [*no_permit.reasons, ctx.quote_reason("spouse_coming")]
    candidate.note_for_consultant(ctx.t(
        "The spouse or partner's route: sponsorship (outside the IMP), with an open work permit ({code}) once the "
        "sponsorship application is complete and the spouse lives in Canada at the sponsor's address", code=code))
    candidate.missing += [ctx.t("Spouse's or partner's citizenship and country of residence"),
                          ctx.t("Whether a sponsorship application for the spouse or partner has been submitted"),
                          ctx.t("Whether the spouse or partner is in Canada with valid status")]
    if dating:
        candidate.missing.insert(0, _cohabitation_question(ctx))
    return candidate


def _dating_partner(ctx: Context, kind: str) -> bool:
    """The signal names a girlfriend or boyfriend ("my girlfriend", "ma copine"): a spouse for these routes only as a
    common-law partner, after 12 months of living together, which is then asked."""
    signal = ctx.signals.get(kind)
    return signal is not None and DATING_PARTNER.search(signal.quote) is not None


def _cohabitation_question(ctx: Context) -> str:
    return ctx.t("How long the couple has lived together (12 months or more makes a common-law partner)")


def _sponsored_by_spouse(ctx: Context, quote: str | None) -> Candidate | None:
    """A lead whose spouse is a Canadian citizen or permanent resident: sponsored, the lead may get an open work permit
    in Canada (ruleset `sponsored_spouse`). A question (needs_info) until the sponsorship and the stay are known."""
    code = ctx.rs.sponsored_spouse_code
    if code is None:
        return None
    candidate = _new(ctx, "spousal-open-work-permit", code, "needs_info")
    candidate.confidence, candidate.source = ctx.rs.sponsored_spouse_confidence, ctx.rs.sponsored_spouse_source
    candidate.reasons.append(quote or ctx.t("Spouse is a permanent resident of Canada"))
    candidate.note_for_consultant(ctx.t(
        "Sponsored by the spouse (outside the IMP), the lead may get an open work permit ({code}) once the sponsorship "
        "application is complete, while living in Canada at the spouse's address", code=code))
    candidate.missing += [ctx.t("Whether a spousal sponsorship application has been submitted"),
                          ctx.t("Current stay in Canada: valid status, living at the spouse's address")]
    if quote is not None and _dating_partner(ctx, "spouse_canadian"):
        candidate.missing.insert(0, _cohabitation_question(ctx))
    return candidate


def intra_company(ctx: Context) -> Candidate | None:
    years = ctx.number("years_with_employer")
    office = ctx.fact("employer_has_canadian_office")
    transfer = ctx.said("transfer")
    if years is None and office is None and not transfer:
        return None
    tenure = None  # the message's words for the years, when the form gave none
    if transfer and office is None and _OFFICE_NAMED.search(normalise(transfer)):
        # "transfer me to their Canadian office", "au bureau de Montréal": the office exists; "to open our new
        # Canadian office": it is to be opened (C61)
        office = not _NEW_OFFICE.search(normalise(transfer))
    if transfer and years is None and ctx.said("tenure"):
        years, tenure = float(ctx.signals["tenure"].value), ctx.quote_reason("tenure")
    occupation = str(ctx.fact("occupation") or "").casefold()
    executive = any(word in occupation for word in EXECUTIVE_WORDS)
    rule = ctx.rs.stream("intra-company-transferee")
    code = "C62" if executive else "C63"
    agreement_reason = None
    # A transfer to open a new office is C61 (the CUSMA codes are for an existing Canadian employer: not modelled).
    for key, codes in (rule.agreement_codes.items() if office is not False else ()):
        agreement = ctx.rs.agreements.get(key)
        citizen = next((c for c, _quote in ctx.citizenships if agreement and c in agreement.countries), None)
        if agreement is not None and citizen is not None:
            code = codes["executive" if executive else "specialized_knowledge"]
            agreement_reason = ctx.t("Citizen of {country}: a transfer under {agreement} ({code})",
                                     country=ctx.country_after_of(citizen), agreement=agreement.name_in(ctx.lang),
                                     code=code)
            break
    candidate = _new(ctx, "intra-company-transferee", code, "likely")
    if agreement_reason:
        candidate.reasons.append(agreement_reason)
    if transfer:
        candidate.reasons.append(ctx.quote_reason("transfer"))
    if office:
        candidate.reasons.append(ctx.t("The employer has a Canadian office"))
    elif office is False:
        candidate.exemption_code = "C61"
        candidate.verdict = "needs_info"
        candidate.reasons.append(ctx.t("No Canadian office yet: only a transfer to open a new office (C61) fits"))
        candidate.missing.append(ctx.t("Plans and funding for the new Canadian office"))
    else:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("Whether the employer has a Canadian office"))
    if years is None:
        candidate.verdict = "needs_info" if candidate.verdict != "ineligible" else candidate.verdict
        candidate.missing.append(ctx.t("Years with the employer"))
    elif years < 1:
        candidate.verdict = "ineligible"
        months = int(years * 12 + 1e-9)  # whole months served: 0.96 years is 11, not 12
        candidate.reasons.append(ctx.t("Needs one year or more with the employer; has 1 month") if months == 1 else
                                 ctx.t("Needs one year or more with the employer; has {months} months", months=months))
    else:
        candidate.reasons.append(ctx.t("{years} years with the employer", years=f"{years:g}"))
    if tenure is not None:
        candidate.reasons.append(tenure)
    sureness = rule.code_confidence.get(candidate.exemption_code or "")
    if sureness is not None and candidate.verdict != "ineligible":
        candidate.confidence = sureness[0]  # the code's, whatever else is still to learn
        if sureness[0] == "unconfirmed" and candidate.viable:
            ctx.flag("unconfirmed-rule")
            ctx.review(ctx.t(sureness[1]))
    return candidate


def francophone(ctx: Context) -> Candidate | None:
    level = ctx.french_level
    if level is not None and level < 2:
        return None
    if level is not None:
        why = ctx.t("French ability: {level}", level=ctx.t(str(ctx.fact("french_ability"))))
    elif ctx.said("french_speaker"):
        why = ctx.quote_reason("french_speaker")
    elif ctx.lead_lang == "fr":
        # French chosen on the form (or the French form) is not the same evidence as a message in French.
        why = ctx.t("Wrote to us in French") if ctx.wrote_in("fr") else ctx.t("Asked to be answered in French")
    else:
        return None
    candidate = _new(ctx, "francophone-mobility", "C16", "eligible" if (level or 0) >= 3 else "likely")
    candidate.reasons.append(why)
    if (level or 0) < 3:
        candidate.missing.append(ctx.t("French test result (NCLC 5 in speaking and listening)"))
    offer, province = ctx.job_offer, ctx.job_province
    if not offer:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("A job offer outside Quebec"))
    elif province == "QC":
        candidate.verdict = "ineligible"
        candidate.reasons.append(ctx.t("Mobilité francophone is not available for a job in Quebec"))
    elif province is None:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("Province of the job offer"))
    else:
        candidate.reasons.append(ctx.t("Job offer in {province}, outside Quebec", province=ctx.province(province)))
        if not ctx.fact("job_offer_province") and ctx.said("province"):
            candidate.reasons.append(ctx.quote_reason("province"))
    return candidate


def free_trade(ctx: Context) -> Candidate | None:
    best = None
    for order, key in enumerate(("cusma", "cuktca", "ceta", "cptpp")):
        agreement = ctx.rs.agreements.get(key)
        if agreement is None:
            continue
        for code, _quote in ctx.citizenships:
            if code in agreement.countries and (key == "cusma" or ctx.job_offer):
                best = best or (order, agreement, code)
    if best is None:
        return None
    _, agreement, code = best
    candidate = _new(ctx, "free-trade-professional", agreement.code, "likely")
    candidate.confidence, candidate.source = agreement.confidence, agreement.source
    candidate.reasons.append(ctx.t("Citizen of {country}: {agreement} professionals",
                                   country=ctx.country_after_of(code), agreement=agreement.name_in(ctx.lang)))
    candidate.missing.append(ctx.t("Occupation on the {agreement} list and the matching degree",
                                   agreement=agreement.name_in(ctx.lang)))
    if not ctx.job_offer:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("A job offer or contract from a Canadian employer"))
    elif agreement.key != "cusma":
        candidate.verdict = "needs_info"
    return candidate


def global_talent(ctx: Context) -> Candidate | None:
    tech = ctx.tech_reason()
    if tech is None:
        return None
    candidate = _new(ctx, "global-talent-stream", None, "likely")
    # Reasons are what the lead told us; how the route works is the stream's description (ruleset).
    candidate.reasons.append(tech)
    if not ctx.job_offer:
        candidate.verdict = "needs_info"
        candidate.missing.append(ctx.t("A Canadian employer willing to use the Global Talent Stream"))
        return candidate
    province = ctx.job_province
    if province:
        candidate.reasons.append(ctx.t("Has a Canadian job offer in {province}", province=ctx.province(province)))
        if not ctx.fact("job_offer_province") and ctx.said("province"):
            candidate.reasons.append(ctx.quote_reason("province"))
    else:
        candidate.reasons.append(ctx.t("Has a Canadian job offer"))
    # The employer applies for the LMIA (and signs a Labour Market Benefits Plan): not known from the lead.
    candidate.missing.append(ctx.t("Whether the employer will apply for an LMIA through the Global Talent Stream"))
    return candidate


def entrepreneur(ctx: Context) -> Candidate | None:
    if ctx.lead_type != "entrepreneur":
        return None
    candidate = _new(ctx, "entrepreneur", "C11", "likely")
    candidate.priority = -1  # what the lead asked about comes first among equals
    candidate.reasons.append(ctx.lead_type_reason)
    candidate.missing += [ctx.t("Business plan"), ctx.t("Share of ownership and amount invested")]
    return candidate


def reciprocal(ctx: Context) -> Candidate | None:
    if not ctx.said("exchange"):
        return None
    candidate = _new(ctx, "reciprocal-employment", "C20", "likely")
    candidate.reasons.append(ctx.quote_reason("exchange"))
    candidate.missing.append(ctx.t("The exchange agreement or program letter"))
    return candidate


def significant_benefit(ctx: Context, others: list[Candidate]) -> Candidate | None:
    if ctx.said("exceptional"):
        candidate = _new(ctx, "significant-benefit", "C10", "likely")
        candidate.reasons.append(ctx.quote_reason("exceptional"))
        candidate.missing.append(ctx.t("Evidence of exceptional achievement"))
        return candidate
    # A Recognized Organization place is not a route the offer itself opens (the organization must take the lead's
    # citizens): beside it, the LMIA fallback is still shown.
    if ctx.job_offer and ctx.lead_type == "worker" and not any(
            c.viable and c.stream != "iec-recognized-organization" for c in others):
        candidate = _new(ctx, "significant-benefit", "C10", "needs_info")
        candidate.reasons.append(ctx.t("Has a job offer but no specific exemption fits; otherwise an LMIA is needed"))
        candidate.missing.append(ctx.t("Evidence of a significant benefit to Canada"))
        return candidate
    return None


def employer_candidates(ctx: Context) -> list[Candidate]:
    """An employer is classified by what it needs: Global Talent, a transfer, or IEC hires."""
    found: list[Candidate] = []
    gts = _new(ctx, "global-talent-stream", None, "likely")
    tech = ctx.tech_reason()
    gts.priority = 0
    if tech:
        gts.reasons.append(tech)
    else:
        gts.verdict = "needs_info"
        gts.missing.append(ctx.t("The role to fill and its NOC code"))
    count = ctx.signals["hire"].value if "hire" in ctx.signals else None
    if count:
        gts.reasons.append(ctx.t("Wants to hire {count}", count=count))
    found.append(gts)
    office = ctx.fact("employer_has_canadian_office")
    moved = next((kind for kind in ("staff_transfer", "transfer") if ctx.said(kind)), None)
    if office or moved:
        ict = _new(ctx, "intra-company-transferee", "C63", "likely")
        # moving its own staff to its Canadian entity, and no hire asked about: the transfer is what it asks
        ict.priority = -1 if moved == "staff_transfer" and not ctx.said("hire") else 1
        ict.reasons.append(ctx.quote_reason(moved) if moved else ctx.t("The employer has a Canadian office"))
        ict.missing.append(ctx.t("Employee's years with the company and role"))
        found.append(ict)
    # Always listed for an employer (a route description is not a reason: the ruleset's description says
    # how it works); a reason only when the employer mentioned IEC.
    yp = _new(ctx, "iec-young-professionals", "C21", "needs_info")
    yp.priority = 2
    if ctx.said("iec"):
        yp.verdict = "likely"
        yp.reasons.append(ctx.quote_reason("iec"))
    yp.missing.append(ctx.t("The candidates' citizenship and age"))
    found.append(yp)
    return found
