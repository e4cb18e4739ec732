"""The classification ruleset: data in ruleset.yaml, read once per process into frozen objects.

`load_ruleset()` is the public entry point (cached); `validate_ruleset()` lists what is wrong with a
ruleset file without raising, for `crm rules check`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

RULESET_FILE = Path(__file__).parent / "ruleset.yaml"

CONFIDENCES = ("official", "secondary", "unconfirmed")
# The streams whose exemption code the classifier picks among several, the only ones `code_confidence` and
# `agreement_codes` apply to (crm/classify/streams.py, intra_company).
CODE_RULE_STREAMS = ("intra-company-transferee",)
IEC_CATEGORIES = ("working-holiday", "young-professionals", "co-op")
IEC_STATUSES = ("active", "suspended", "unclear")
LANGUAGES = ("en", "fr")
# The contract's stream slugs (shared/docs/intake-contract.md): the ruleset must define each one.
STREAM_SLUGS = (
    "iec-working-holiday", "iec-young-professionals", "iec-co-op", "iec-recognized-organization",
    "global-talent-stream", "entrepreneur", "intra-company-transferee", "francophone-mobility",
    "reciprocal-employment", "free-trade-professional", "spousal-open-work-permit",
    "post-graduation-work-permit", "bridging-open-work-permit", "significant-benefit", "needs-review",
)
CATEGORY_STREAM = {
    "working-holiday": "iec-working-holiday",
    "young-professionals": "iec-young-professionals",
    "co-op": "iec-co-op",
}


class RulesetError(ValueError):
    """The ruleset file cannot be used; the message lists every problem found."""


@dataclass(frozen=True)
class IecCountry:
    code: str
    categories: list[str]
    min_age: int | None
    max_age: int | None
    max_duration_months: int | None
    status: str  # active, suspended, unclear
    confidence: str
    source: str  # URL
    notes: str = ""
    # Where sources disagree on the upper age, the other figure: ages between the two go to review.
    disputed_max_age: int | None = None


@dataclass(frozen=True)
class StreamRule:
    slug: str
    name: dict[str, str]
    exemption_codes: list[str]
    description: dict[str, str]
    documents: dict[str, list[str]]
    source: str  # URL
    confidence: str
    # code -> (confidence, notes) where a code is less sure than the stream (ruleset `code_confidence`)
    code_confidence: dict[str, tuple[str, str]] = field(default_factory=dict)
    # agreement key -> {"executive": code, "specialized_knowledge": code} (ruleset `agreement_codes`)
    agreement_codes: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Agreement:
    key: str
    name: str
    code: str
    countries: frozenset[str]
    confidence: str
    source: str
    notes: str = ""
    names: dict[str, str] = field(default_factory=dict)  # the name in each language, where it differs

    def name_in(self, language: str) -> str:
        """The agreement's name as written in `language` (CUSMA is ACEUM in French)."""
        return self.names.get(language, self.name)


@dataclass(frozen=True)
class PrProgram:
    """A permanent residence program a lead may name (ruleset `bridging.programs`)."""

    key: str
    name: dict[str, str]
    bridging: bool  # listed by the bridging permit's instructions
    words: tuple[str, ...]  # lower case, without accents
    note: dict[str, str] = field(default_factory=dict)  # for the consultant, by language


@dataclass(frozen=True)
class Ruleset:
    version: str
    effective_date: date
    countries: dict[str, IecCountry]
    streams_by_slug: dict[str, StreamRule]
    agreements: dict[str, Agreement]
    gts_noc_codes: frozenset[str]
    gts_keywords: tuple[str, ...]
    gts_confidence: str
    gts_source: str
    age_out_warning_months: int = 6
    iec_dependants_allowed: bool = True  # ruleset iec.accompanying_dependants.allowed
    iec_invitation_days: int = 0  # ruleset iec.invitation_steps: days to accept plus days to submit
    sources: dict[str, str] = field(default_factory=dict)
    # Citizenships (ISO codes) whose holders need no work permit (Canadian): `no_work_permit_needed`.
    no_permit_citizenships: frozenset[str] = frozenset()
    no_permit_confidence: str = "official"
    no_permit_source: str = ""
    # Permanent residents of Canada need none either (`no_work_permit_needed.permanent_residents`).
    no_permit_permanent_residents: bool = False
    no_permit_pr_confidence: str = "official"
    no_permit_pr_source: str = ""
    # The open work permit of a spouse sponsored by a Canadian citizen or permanent resident (`sponsored_spouse`):
    # its exemption code (None: the rule is not in the ruleset), confidence and source.
    sponsored_spouse_code: str | None = None
    sponsored_spouse_confidence: str = "official"
    sponsored_spouse_source: str = ""
    # What the emails say of that permit (its name, description and documents): the spousal stream's own texts are
    # about the spouses of workers and students (C41/C42). None: the ruleset gives none.
    sponsored_spouse_rule: StreamRule | None = None
    # A post-graduation work permit is issued once (`post_graduation.once_in_a_lifetime`): not offered to a holder.
    pgwp_once: bool = False
    pgwp_once_source: str = ""
    # The bridging permit's PR programs and the months before a permit expires when the lead should apply.
    pr_programs: tuple[PrProgram, ...] = ()
    permit_expiry_warning_months: int = 4
    bridging_source: str = ""

    def iec_country(self, code: str) -> IecCountry | None:
        return self.countries.get(code.upper()) if code else None

    def stream(self, slug: str) -> StreamRule:
        return self.streams_by_slug[slug]

    @property
    def streams(self) -> list[StreamRule]:
        return list(self.streams_by_slug.values())

    def agreements_for(self, code: str) -> list[Agreement]:
        return [agreement for agreement in self.agreements.values() if code in agreement.countries]


@cache
def load_ruleset(path: Path | None = None) -> Ruleset:
    """The ruleset from `path` (default: the packaged ruleset.yaml), read once per process."""
    data = yaml.safe_load((path or RULESET_FILE).read_text(encoding="utf-8"))
    problems = validate_data(data)
    if problems:
        raise RulesetError("invalid ruleset:\n- " + "\n- ".join(problems))
    return _build(data)


def validate_ruleset(path: Path | None = None) -> list[str]:
    """Every problem in the file (empty when it is valid)."""
    try:
        data = yaml.safe_load((path or RULESET_FILE).read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return [f"cannot read the ruleset: not UTF-8 text ({exc.reason} at byte {exc.start})"]
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot read the ruleset: {exc}"]
    try:
        return validate_data(data)
    except (AttributeError, TypeError) as exc:
        # validate_data expects mappings where the file may hold a list or a number (`iec: [...]`).
        return [f"a section does not have the expected shape (a mapping where a list or value was given): {exc}"]


def _source_url(sources: dict[str, str], value: Any) -> str:
    text = str(value or "")
    return sources.get(text, text)


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def validate_data(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the ruleset must be a mapping"]
    problems: list[str] = []
    if not str(data.get("version") or "").strip():
        problems.append("version is missing")
    if not isinstance(data.get("effective_date"), date):
        problems.append("effective_date must be a date (YYYY-MM-DD)")
    sources = data.get("sources") or {}
    for key, url in sources.items():
        if not _is_url(str(url)):
            problems.append(f"sources.{key}: not a URL")

    def check_rule(where: str, rule: dict[str, Any]) -> None:
        if rule.get("confidence") not in CONFIDENCES:
            problems.append(f"{where}: confidence must be one of {', '.join(CONFIDENCES)}")
        if not _is_url(_source_url(sources, rule.get("source"))):
            problems.append(f"{where}: source must be a URL or a key of `sources`")

    dependants = (data.get("iec") or {}).get("accompanying_dependants")
    if dependants is not None:
        if not isinstance(dependants, dict) or not isinstance(dependants.get("allowed"), bool):
            problems.append("iec.accompanying_dependants: must be a mapping with allowed: true or false, a confidence "
                            "and a source")
        else:
            check_rule("iec.accompanying_dependants", dependants)
    steps = (data.get("iec") or {}).get("invitation_steps")
    if steps is not None:
        if not isinstance(steps, dict) or any(not isinstance(steps.get(key), int) or isinstance(steps.get(key), bool)
                                              or steps[key] < 0 for key in ("accept_days", "submit_days")):
            problems.append("iec.invitation_steps: accept_days and submit_days must be whole numbers of days")
        else:
            check_rule("iec.invitation_steps", steps)
    countries = (data.get("iec") or {}).get("countries") or {}
    if not countries:
        problems.append("iec.countries is empty")
    for code, rule in countries.items():
        where = f"iec.countries.{code}"
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        if pycountry.countries.get(alpha_2=str(code)) is None:
            problems.append(f"{where}: not an ISO 3166-1 alpha-2 code")
        check_rule(where, rule)
        if rule.get("status") not in IEC_STATUSES:
            problems.append(f"{where}: status must be one of {', '.join(IEC_STATUSES)}")
        categories = rule.get("categories") or []
        unknown = [c for c in categories if c not in IEC_CATEGORIES]
        if unknown:
            problems.append(f"{where}: unknown categories {unknown}")
        if rule.get("status") == "active":
            low, high = rule.get("min_age"), rule.get("max_age")
            if not categories:
                problems.append(f"{where}: an active country needs categories")
            if not (isinstance(low, int) and isinstance(high, int) and 0 < low <= high):
                problems.append(f"{where}: an active country needs min_age <= max_age")
        elif rule.get("confidence") != "unconfirmed":
            problems.append(f"{where}: a {rule.get('status')} country must be `unconfirmed`")
        duration = rule.get("max_duration_months")
        if duration is not None and not (isinstance(duration, int) and duration > 0):
            problems.append(f"{where}: max_duration_months must be a positive integer or null")

    streams = data.get("streams") or {}
    for slug in STREAM_SLUGS:
        if slug not in streams:
            problems.append(f"streams.{slug}: missing (every contract slug needs a rule)")
    for slug, rule in streams.items():
        where = f"streams.{slug}"
        if slug not in STREAM_SLUGS:
            problems.append(f"{where}: not a stream slug of the contract")
        if not isinstance(rule, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        check_rule(where, rule)
        if not isinstance(rule.get("exemption_codes"), list):
            problems.append(f"{where}: exemption_codes must be a list")
        for key in ("name", "description", "documents"):
            value = rule.get(key) or {}
            for language in LANGUAGES:
                if not value.get(language):
                    problems.append(f"{where}.{key}: missing {language}")
            if key == "documents" and any(not isinstance(v, list) for v in value.values()):
                problems.append(f"{where}.documents: each language needs a list")
            elif key == "documents" and len({len(v) for v in value.values()}) > 1:
                problems.append(f"{where}.documents: the languages list different numbers of documents")
        codes = rule.get("exemption_codes") if isinstance(rule.get("exemption_codes"), list) else []
        for key in ("code_confidence", "agreement_codes"):
            if key in rule and slug not in CODE_RULE_STREAMS:
                problems.append(f"{where}.{key}: read only for {', '.join(CODE_RULE_STREAMS)}")
            if key in rule and not isinstance(rule[key], dict):
                problems.append(f"{where}.{key}: must be a mapping")
                rule = {k: v for k, v in rule.items() if k != key}
        for code, entry in (rule.get("code_confidence") or {}).items():
            if code not in codes:
                problems.append(f"{where}.code_confidence: {code} is not one of the stream's exemption codes")
            if not isinstance(entry, dict) or entry.get("confidence") not in CONFIDENCES or not entry.get("notes"):
                problems.append(f"{where}.code_confidence.{code}: needs a confidence ({', '.join(CONFIDENCES)}) "
                                "and notes saying why")
        for key, entry in (rule.get("agreement_codes") or {}).items():
            if key not in (data.get("agreements") or {}):
                problems.append(f"{where}.agreement_codes: {key} is not an agreement of the ruleset")
            if (not isinstance(entry, dict) or set(entry) != {"executive", "specialized_knowledge"}
                    or any(value not in codes for value in entry.values())):
                problems.append(f"{where}.agreement_codes.{key}: needs executive and specialized_knowledge, "
                                "each one of the stream's exemption codes")

    for key, rule in (data.get("agreements") or {}).items():
        where = f"agreements.{key}"
        check_rule(where, rule)
        name = rule.get("name")
        if not (isinstance(name, str) and name) and not (isinstance(name, dict) and name.get("en")):
            problems.append(f"{where}: name must be a text or a mapping with at least en")
        for code in rule.get("countries") or []:
            if pycountry.countries.get(alpha_2=str(code)) is None:
                problems.append(f"{where}: {code} is not an ISO 3166-1 alpha-2 code")
    no_permit = data.get("no_work_permit_needed")
    if no_permit is not None and not isinstance(no_permit, dict):
        problems.append("no_work_permit_needed: must be a mapping (citizenships, confidence, source)")
    elif no_permit is not None:
        check_rule("no_work_permit_needed", no_permit)
        for code in no_permit.get("citizenships") or []:
            if pycountry.countries.get(alpha_2=str(code)) is None:
                problems.append(f"no_work_permit_needed: {code} is not an ISO 3166-1 alpha-2 code")
        residents = no_permit.get("permanent_residents")
        if residents is not None and not isinstance(residents, dict):
            # the shorthand `permanent_residents: true` leaves the rule without its source
            problems.append("no_work_permit_needed.permanent_residents: must be a mapping (applies, confidence, "
                            "source), not a single value")
        elif residents is not None:
            check_rule("no_work_permit_needed.permanent_residents", residents)
            if not isinstance(residents.get("applies"), bool):
                problems.append("no_work_permit_needed.permanent_residents: applies must be true or false")
    sponsored = data.get("sponsored_spouse")
    if sponsored is not None and not isinstance(sponsored, dict):
        problems.append("sponsored_spouse: must be a mapping (exemption_code, confidence, source)")
    elif sponsored is not None:
        check_rule("sponsored_spouse", sponsored)
        if not re.fullmatch(r"[A-Z]\d{2}", str(sponsored.get("exemption_code") or "")):
            problems.append("sponsored_spouse: exemption_code must be a code such as A74")
        texts = [key for key in ("name", "description", "documents") if key in sponsored]
        if texts and len(texts) < 3:
            problems.append("sponsored_spouse: name, description and documents go together")
        for key in texts:
            value = sponsored.get(key)
            if not isinstance(value, dict) or any(not value.get(language) for language in LANGUAGES):
                problems.append(f"sponsored_spouse.{key}: needs {', '.join(LANGUAGES)}")
            elif key == "documents" and (any(not isinstance(v, list) for v in value.values())
                                         or len({len(v) for v in value.values()}) > 1):
                problems.append("sponsored_spouse.documents: a list per language, of the same length")
    post_graduation = data.get("post_graduation")
    if post_graduation is not None:
        check_rule("post_graduation", post_graduation)
        if not isinstance(post_graduation.get("once_in_a_lifetime"), bool):
            problems.append("post_graduation: once_in_a_lifetime must be true or false")
    bridging = data.get("bridging")
    if bridging is not None:
        check_rule("bridging", bridging)
        check_rule("bridging (expiry)", {"confidence": bridging.get("expiry_confidence"),
                                         "source": bridging.get("expiry_source")})
        months = bridging.get("expiry_warning_months")
        if not (isinstance(months, int) and not isinstance(months, bool) and months > 0):
            problems.append("bridging: expiry_warning_months must be a positive whole number")
        for key, program in (bridging.get("programs") or {}).items():
            where = f"bridging.programs.{key}"
            if not isinstance(program, dict):
                problems.append(f"{where}: must be a mapping (name, bridging, words)")
                continue
            if not isinstance(program.get("bridging"), bool):
                problems.append(f"{where}: bridging must be true or false")
            if not all((program.get("name") or {}).get(language) for language in LANGUAGES):
                problems.append(f"{where}: name needs en and fr")
            if not program.get("words") or not all(isinstance(w, str) and w for w in program["words"]):
                problems.append(f"{where}: words must be a list of phrases")
            note = program.get("note")
            if note is not None and not all((note or {}).get(language) for language in LANGUAGES):
                problems.append(f"{where}: note needs en and fr")
    gts = data.get("gts_occupations") or {}
    check_rule("gts_occupations", gts)
    if any(not (isinstance(c, str) and c.isdigit() and len(c) == 5) for c in gts.get("noc_codes") or []):
        problems.append("gts_occupations.noc_codes: NOC 2021 codes are strings of five digits")
    return problems


def _agreement_names(name: Any) -> dict[str, str]:
    """{language: name} from an agreement's `name`: one name for every language, or one per language."""
    if isinstance(name, dict):
        return {str(language): str(text) for language, text in name.items()}
    return {"en": str(name)}


def _build(data: dict[str, Any]) -> Ruleset:
    sources = {str(k): str(v) for k, v in (data.get("sources") or {}).items()}
    iec = data["iec"]
    countries = {
        str(code): IecCountry(
            code=str(code), categories=list(rule.get("categories") or []), min_age=rule.get("min_age"),
            max_age=rule.get("max_age"), max_duration_months=rule.get("max_duration_months"),
            status=rule["status"], confidence=rule["confidence"], source=_source_url(sources, rule["source"]),
            notes=rule.get("notes") or "", disputed_max_age=rule.get("disputed_max_age"),
        )
        for code, rule in iec["countries"].items()
    }
    streams = {
        slug: StreamRule(
            slug=slug, name=dict(rule["name"]), exemption_codes=[str(c) for c in rule["exemption_codes"]],
            description=dict(rule["description"]), documents={k: list(v) for k, v in rule["documents"].items()},
            source=_source_url(sources, rule["source"]), confidence=rule["confidence"],
            code_confidence={str(code): (str(entry["confidence"]), str(entry.get("notes") or ""))
                             for code, entry in (rule.get("code_confidence") or {}).items()},
            agreement_codes={str(key): {str(k): str(v) for k, v in codes.items()}
                             for key, codes in (rule.get("agreement_codes") or {}).items()},
        )
        for slug, rule in data["streams"].items()
    }
    agreements = {
        key: Agreement(key=key, name=_agreement_names(rule["name"])["en"], code=rule["code"],
                       countries=frozenset(rule["countries"]), confidence=rule["confidence"],
                       source=_source_url(sources, rule["source"]), notes=rule.get("notes") or "",
                       names=_agreement_names(rule["name"]))
        for key, rule in (data.get("agreements") or {}).items()
    }
    gts = data.get("gts_occupations") or {}
    no_permit = data.get("no_work_permit_needed") or {}
    residents = no_permit.get("permanent_residents") or {}
    post_graduation = data.get("post_graduation") or {}
    sponsored = data.get("sponsored_spouse") or {}
    bridging = data.get("bridging") or {}
    programs = tuple(
        PrProgram(key=str(key), name=dict(rule["name"]), bridging=rule["bridging"] is True,
                  words=tuple(str(word).casefold() for word in rule["words"]), note=dict(rule.get("note") or {}))
        for key, rule in (bridging.get("programs") or {}).items())
    return Ruleset(
        version=str(data["version"]), effective_date=data["effective_date"], countries=countries,
        streams_by_slug=streams, agreements=agreements, gts_noc_codes=frozenset(gts.get("noc_codes") or []),
        gts_keywords=tuple(str(k).casefold() for k in gts.get("keywords") or []),
        gts_confidence=gts.get("confidence", "secondary"), gts_source=_source_url(sources, gts.get("source")),
        age_out_warning_months=int(iec.get("age_out_warning_months", 6)), sources=sources,
        iec_dependants_allowed=bool((iec.get("accompanying_dependants") or {}).get("allowed", True)),
        iec_invitation_days=sum(int((iec.get("invitation_steps") or {}).get(key) or 0)
                                for key in ("accept_days", "submit_days")),
        no_permit_citizenships=frozenset(str(code).upper() for code in no_permit.get("citizenships") or []),
        no_permit_confidence=str(no_permit.get("confidence") or "official"),
        no_permit_source=_source_url(sources, no_permit.get("source")),
        no_permit_permanent_residents=residents.get("applies") is True,
        no_permit_pr_confidence=str(residents.get("confidence") or "official"),
        no_permit_pr_source=_source_url(sources, residents.get("source")),
        sponsored_spouse_code=str(sponsored["exemption_code"]) if sponsored.get("exemption_code") else None,
        sponsored_spouse_confidence=str(sponsored.get("confidence") or "official"),
        sponsored_spouse_source=_source_url(sources, sponsored.get("source")),
        sponsored_spouse_rule=StreamRule(
            slug="spousal-open-work-permit", name=dict(sponsored["name"]),
            exemption_codes=[str(sponsored["exemption_code"])], description=dict(sponsored["description"]),
            documents={k: list(v) for k, v in sponsored["documents"].items()},
            source=_source_url(sources, sponsored.get("source")), confidence=str(sponsored.get("confidence")),
        ) if sponsored.get("exemption_code") and sponsored.get("name") else None,
        pgwp_once=post_graduation.get("once_in_a_lifetime") is True,
        pgwp_once_source=_source_url(sources, post_graduation.get("source")),
        pr_programs=programs, permit_expiry_warning_months=int(bridging.get("expiry_warning_months", 4)),
        bridging_source=_source_url(sources, bridging.get("source")),
    )
