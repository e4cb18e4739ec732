"""The classifier: a lead's facts in, ranked candidates, a primary stream, a score and flags out.

Pure domain code: no database, web or queue. It never raises on odd input (missing, contradictory
or unknown facts): such leads get the `needs-review` stream with the reasons.
"""

from __future__ import annotations

from dataclasses import replace

from crm.classify import streams
from crm.classify.context import Context
from crm.classify.iec import iec_candidates
from crm.classify.model import Candidate, ClassificationResult, LeadInput
from crm.classify.ruleset import Ruleset, load_ruleset
from crm.classify.signals import relative_mentioned

MAX_CANDIDATES = 8
TEXT_LANGUAGES = ("en", "fr")  # the workspace's languages: the texts are kept in each
# The points every lead starts with before _score adds its reasons (each with its value); the score is
# this plus the listed reasons, clamped to 0-100. The workspace shows it as the "starting points" line.
BASE_POINTS = 10
# A lead who needs no permit but asks about a relative: above an ordinary review lead (base, review and message: 20,
# 30 with a job offer), below a likely fit (40 or more).
FAMILY_POINTS = 15


def classify(lead: LeadInput, ruleset: Ruleset | None = None) -> ClassificationResult:
    """Classify one lead against the ruleset (the packaged one by default)."""
    rs = ruleset or load_ruleset()
    if lead.is_spam:
        return ClassificationResult("needs-review", "worker", 0, [], ["spam"], [], rs.version,
                                    lead.language if lead.language in ("en", "fr") else "en")
    ctx = Context(lead, rs)
    no_permit = ctx.no_permit_needed() if ctx.lead_type != "employer" else None
    if no_permit is not None:  # a Canadian citizen or permanent resident: no work-permit stream is offered at all
        for reason in no_permit.reasons:
            ctx.review(reason)
        # chooses the acknowledgement sequence instead of the review one (sequences.yaml `flags`)
        ctx.flag("no-permit-needed")
    if no_permit is None:
        candidates = _candidates(ctx)
    else:  # no work-permit route of the lead's own; the spouse's when the inquiry is about the spouse
        sponsored = streams.sponsored_spouse(ctx, no_permit)
        candidates = [sponsored] if sponsored is not None else []
    candidates.sort(key=Candidate.sort_key)
    _coop_before_working_holiday(ctx, candidates)
    _francophone_before_iec(ctx, candidates)
    # The spouse's route is what a lead who needs no permit asked about, also while it waits on a fact (a girlfriend's
    # months of living together): a question to ask, not a review.
    primary = candidates[0].stream if no_permit is not None and candidates else _primary(ctx, candidates)
    if primary == "needs-review":
        ctx.flag("needs-review")
        review = _review_candidate(ctx, candidates)
        if no_permit is not None:  # the rule the review rests on, with its own source
            review.confidence, review.source = no_permit.confidence, no_permit.source
            review.no_permit = no_permit.status
        candidates.insert(0, review)
    else:  # the primary stream leads the list (it may not be the first by rank, see _primary)
        candidates.sort(key=lambda c: c.stream != primary)
    if candidates:  # the consultant's notes go on the first candidate, which the workspace shows first
        for note in ctx.consultant_notes:
            candidates[0].note_for_consultant(note)
    if ctx.signals:
        ctx.flag("free-text")
    if ctx.fact("job_offer") is None and "job_offer" in ctx.signals:
        offer = (bool(ctx.job_offer), ctx.job_province if ctx.job_offer else None)
        for candidate in candidates:
            candidate.message_offer = offer
    score, score_reasons = _score(ctx, primary, candidates)
    return ClassificationResult(
        primary_stream=primary, lead_type=ctx.lead_type, score=score, score_reasons=score_reasons,
        flags=sorted(ctx.flags), candidates=candidates[:MAX_CANDIDATES], ruleset_version=rs.version,
        language=ctx.lang,
        signals=[{"kind": s.kind, "value": s.value, "quote": s.quote} for s in ctx.signals.values()],
        message_citizenships=[code for code, quote in ctx.citizenships if quote is not None],
    )


def add_texts(result: ClassificationResult, lead: LeadInput, ruleset: Ruleset | None = None) -> None:
    """Write the result's texts (reasons, missing facts, score reasons) in the other workspace language
    too, beside the lead's: `Candidate.texts`, the score reasons on the first candidate. A consultant
    reads them in the interface's language; the emails keep reading the lead's.

    The same classification run again with only the texts' language changed (the lead's language stays
    a fact, see LeadInput.text_language): pure and deterministic, so it gives the same candidates in the
    same order. Should a list ever come out with another shape (two phrases that read the same in one
    language, kept once), that list is left without its translation and the workspace shows the lead's."""
    for language in TEXT_LANGUAGES:
        if language == result.language:
            continue
        other = classify(replace(lead, text_language=language), ruleset)
        if other.language != language or [(c.stream, c.verdict) for c in other.candidates] != \
                [(c.stream, c.verdict) for c in result.candidates]:
            continue
        for mine, theirs in zip(result.candidates, other.candidates, strict=True):
            texts = {key: list(getattr(theirs, key)) for key in ("reasons", "missing")
                     if len(getattr(theirs, key)) == len(getattr(mine, key))}
            if texts:
                mine.texts[language] = texts
        if result.candidates and len(other.score_reasons) == len(result.score_reasons):
            result.candidates[0].texts.setdefault(language, {})["score_reasons"] = list(other.score_reasons)


def _candidates(ctx: Context) -> list[Candidate]:
    if ctx.lead_type == "employer":
        return streams.employer_candidates(ctx)
    found: list[Candidate] = []
    for evaluate in (streams.bridging, streams.post_graduation, streams.spousal, streams.intra_company,
                     streams.francophone, streams.free_trade, streams.global_talent, streams.entrepreneur,
                     streams.reciprocal):
        candidate = evaluate(ctx)
        if candidate is not None:
            found.append(candidate)
    found += iec_candidates(ctx)
    benefit = streams.significant_benefit(ctx, found)
    if benefit is not None:
        found.append(benefit)
    return found


def _primary(ctx: Context, candidates: list[Candidate]) -> str:
    if ctx.flags & {"contradiction"}:
        return "needs-review"
    viable = [c for c in candidates if c.viable]
    sponsored = _sponsorship_is_the_subject(ctx, candidates, viable)
    if sponsored is not None:
        # The spousal stream with the sponsored spouse's code: its emails speak of this permit (ruleset
        # `sponsored_spouse` texts) and ask this candidate's questions, not of the spouses of workers and students.
        candidates.remove(sponsored)
        candidates.insert(0, sponsored)
        return sponsored.stream
    confirmed = [c for c in viable if c.confidence != "unconfirmed"]
    if confirmed:
        if ctx.lead_type == "entrepreneur":
            # What a business owner asked about comes first when it fits, even if another stream fits better.
            for candidate in confirmed:
                if candidate.stream == "entrepreneur":
                    return candidate.stream
        return confirmed[0].stream
    if viable:
        ctx.review(ctx.t("The only fit rests on an unconfirmed rule"))
        return "needs-review"
    if not ctx.citizenships and ctx.lead_type == "worker":
        ctx.review(ctx.t("Citizenship is not known"))
    if candidates and all(c.verdict == "ineligible" for c in candidates):
        ctx.review(ctx.t("No stream fits on what we know: {reason}", reason=candidates[0].reasons[-1]))
    if not ctx.review_reasons:
        ctx.review(ctx.t("Not enough information to choose a stream"))
    return "needs-review"


def _coop_before_working_holiday(ctx: Context, candidates: list[Candidate]) -> None:
    """A lead whose internship is a required part of their post-secondary studies asks for what IEC Co-op is for:
    a fitting Co-op comes before Working Holiday (and Young Professionals), even when that one is surer (eligible
    against likely: enrolment is still to prove), which would otherwise spend the lead's one working holiday."""
    if not ctx.said("degree_internship"):
        return
    coop = next((c for c in candidates if c.stream == "iec-co-op" and c.viable), None)
    if coop is None:
        return
    first_iec = next(k for k, c in enumerate(candidates)
                     if c.stream in ("iec-co-op", "iec-working-holiday", "iec-young-professionals"))
    candidates.remove(coop)
    candidates.insert(first_iec, coop)


_IEC_STREAMS = frozenset({"iec-working-holiday", "iec-young-professionals", "iec-co-op", "iec-recognized-organization"})


def _francophone_before_iec(ctx: Context, candidates: list[Candidate]) -> None:
    """A lead who states a good French ability (advanced or native on the form, "native French", "je parle français"
    in the message) and has a job offer outside Quebec fits Mobilité francophone, which a consultant leads with: a
    permit for that job, LMIA-exempt, with no IEC quota or invitation round to wait for, and the lead's IEC
    participation left for later. So a fitting Mobilité francophone comes before the IEC categories, even when one
    of them is surer (eligible against likely: the French test is still to take); IEC stays listed."""
    if not ((ctx.french_level or 0) >= 3 or ctx.said("french_speaker")):
        return
    mobility = next((c for c in candidates if c.stream == "francophone-mobility" and c.viable), None)
    if mobility is None or not ctx.job_offer or ctx.job_province in (None, "QC"):
        return
    first_iec = next((k for k, c in enumerate(candidates) if c.stream in _IEC_STREAMS), None)
    if first_iec is None or first_iec > candidates.index(mobility):
        return
    candidates.remove(mobility)
    candidates.insert(first_iec, mobility)
    mobility.note_for_consultant(ctx.t("French speaker with a job offer outside Quebec: Mobilité francophone comes "
                                       "before IEC (employer-specific, LMIA-exempt, no IEC quota or invitation)"))


# Routes that fit on citizenship and age alone: what the lead wrote about outranks them.
_FITS_ON_NATIONALITY = frozenset({"iec-working-holiday", "iec-recognized-organization", "significant-benefit"})


def _sponsorship_is_the_subject(ctx: Context, candidates: list[Candidate],
                                viable: list[Candidate]) -> Candidate | None:
    """The sponsored-spouse candidate when the message itself says the lead's spouse or partner is Canadian or a
    permanent resident ("my husband is a Canadian citizen"): sponsorship is what the lead writes about, so it comes
    before routes that fit on nationality and age alone, unless the lead states something stronger of their own (a
    job offer, studies or a permit in Canada, a transfer, a business: any fitting route that rests on more)."""
    if not ctx.said("spouse_canadian") or ctx.job_offer:
        return None
    code = ctx.rs.sponsored_spouse_code
    sponsored = next((c for c in candidates if c.stream == "spousal-open-work-permit" and c.exemption_code == code),
                     None)
    if sponsored is None or not all(c.stream in _FITS_ON_NATIONALITY for c in viable):
        return None
    return sponsored


def _review_candidate(ctx: Context, candidates: list[Candidate]) -> Candidate:
    missing: list[str] = []
    if not ctx.citizenships and ctx.lead_type == "worker":
        missing.append(ctx.t("Citizenship"))
    for_consultant: list[str] = []
    for candidate in candidates[:3]:
        for item in candidate.missing:
            if item not in missing:
                missing.append(item)
            if item in candidate.for_consultant and item not in for_consultant:
                for_consultant.append(item)
    rule = ctx.rs.stream("needs-review")
    review = Candidate("needs-review", None, "needs_info", list(ctx.review_reasons), missing, rule.confidence,
                       rule.source, -10)
    review.for_consultant += for_consultant
    return review


def _score(ctx: Context, primary: str, candidates: list[Candidate]) -> tuple[int, list[str]]:
    """Priority 0-100: how likely and how urgent. Each point comes with its reason."""
    points = BASE_POINTS
    reasons: list[str] = []

    def add(value: int, reason: str) -> None:
        nonlocal points
        points += value
        reasons.append(f"{value:+d} {reason}")

    best = next((c for c in candidates if c.stream == primary), None)
    if best is not None and best.verdict == "eligible":
        add(35, ctx.t("eligible for {stream}", stream=ctx.rs.stream(primary).name[ctx.lang]))
    elif best is not None and best.verdict == "likely":
        add(25, ctx.t("likely fit for {stream}", stream=ctx.rs.stream(primary).name[ctx.lang]))
    else:
        add(5, ctx.t("needs a consultant's review"))
    if "age-out-soon" in ctx.flags:
        add(25, ctx.t("ages out of IEC within {months} months", months=ctx.rs.age_out_warning_months))
    expiry = ctx.permit_expiry
    if "permit-expires-soon" in ctx.flags and expiry is not None:
        # As urgent as an age-out: past that day the lead may no longer work (or stay) while PR is processed.
        around = ctx.permit_expiry_estimated  # a day counted from "in 2 months", "next March"
        if expiry < ctx.today:
            add(25, ctx.t("current work permit expired around {day}" if around else
                          "current work permit expired on {day}", day=expiry.isoformat()))
        else:
            add(25, ctx.t("current work permit expires around {day}, within {months} months" if around else
                          "current work permit expires on {day}, within {months} months", day=expiry.isoformat(),
                          months=ctx.rs.permit_expiry_warning_months))
    if ctx.job_offer:
        add(10, ctx.t("has a Canadian job offer"))
    elif primary == "intra-company-transferee" and best is not None and best.viable:
        # A transfer to the employer's Canadian office is the job in Canada, as an offer is for others.
        add(10, ctx.t("transfer to a Canadian office of the employer"))
    if ctx.lead_type == "employer":
        add(15, ctx.t("employer: possibly several hires"))
        count = ctx.signals["hire"].value if "hire" in ctx.signals else None
        if isinstance(count, int) and count >= 2:
            add(5, ctx.t("wants to hire {count}", count=count))
    elif ctx.lead_type == "entrepreneur":
        add(10, ctx.t("business owner"))
    if primary in ("bridging-open-work-permit", "post-graduation-work-permit"):
        add(10, ctx.t("time-sensitive permit"))
    if best is not None and best.viable and not best.missing:
        add(5, ctx.t("no missing facts"))
    if any(ctx.lead.messages):
        add(5, ctx.t("wrote a message"))
    if "no-permit-needed" in ctx.flags:
        relative = next((quote for message in ctx.lead.messages[:5] if message
                         and (quote := relative_mentioned(message))), None)
        if relative is not None:
            # The acknowledgement told this lead a consultant would reply in person: without these points the lead
            # would rank below every review lead (a Canadian asking about a spouse's permit scores 20).
            add(FAMILY_POINTS, ctx.t("asks about a family member (“{quote}”): the acknowledgement promised a personal "
                                     "reply", quote=relative))
    return max(0, min(100, points)), reasons
