"""Request bodies for the benchmark: realistic, valid intake posts, each from a new email address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from crm.intake.security import sign

# A typical website form post: every field the classifier reads, normalised on the way in (country
# names to ISO codes, phone to E.164, date of birth, abilities), plus the CASL consent wording.
_TEMPLATES = (
    {"first_name": "Aoife", "last_name": "Murphy", "phone": "+353 85 123 4567",
     "citizenships": ["Ireland"], "country_of_residence": "Ireland", "date_of_birth": "1998-04-12",
     "preferred_language": "en", "interest": "work", "occupation": "Nurse", "english_ability": "native"},
    {"first_name": "Camille", "last_name": "Dubois", "phone": "+33 6 12 34 56 78",
     "citizenships": ["France"], "country_of_residence": "FR", "date_of_birth": "1994-11-02",
     "preferred_language": "fr", "interest": "work", "occupation": "Développeuse web",
     "french_ability": "native", "english_ability": "intermediate", "job_offer": True,
     "job_offer_province": "QC"},
    {"first_name": "Min-jun", "last_name": "Kim", "phone": "+82 10-2345-6789",
     "citizenships": ["South Korea"], "country_of_residence": "Korea, Republic of",
     "date_of_birth": "1990-06-30", "interest": "business", "owns_business": True,
     "occupation": "Restaurant owner"},
)
_COMMON = {
    "message": "I would like to know which work permit fits my situation. Thank you!",
    "consent_marketing": True,
    "consent_text": "Yes, send me emails about work permits and programs. I can unsubscribe at any time.",
    "source_url": "https://maple-route.example/contact",
    "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "iec-2027", "form_id": "contact-main",
}


def bodies(run_id: str, count: int) -> Iterator[bytes]:
    """`count` distinct JSON bodies; the email address makes each one a new lead."""
    for index in range(count):
        payload = dict(_TEMPLATES[index % len(_TEMPLATES)], **_COMMON)
        payload["email"] = f"bench.{run_id}.{index}@leads.example.com"
        yield json.dumps(payload, ensure_ascii=False).encode()


def write_requests(path: Path, run_id: str, count: int, secret: str | None) -> Path:
    """One line per request for replay.lua: signature (empty when unsigned), a tab, the body."""
    with path.open("wb") as out:
        for body in bodies(run_id, count):
            signature = sign(secret, body).encode() if secret else b""
            out.write(signature + b"\t" + body + b"\n")
    return path
