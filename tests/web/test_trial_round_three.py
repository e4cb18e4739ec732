"""Consultant trial, third round: the lead page and the dashboard."""
from __future__ import annotations

import pytest

from crm.web import labels


@pytest.mark.parametrize(("stored", "lang", "shown"), [
    ("Round-robin among 3 active consultant(s) covering language en and stream needs-review: "
     "ana@firm.example was assigned longest ago.", "en",
     "Round-robin among the 3 active consultants covering leads in English that need review: "
     "ana@firm.example was assigned longest ago."),
    ("Round-robin among 1 active consultant(s) covering language fr and stream needs-review: "
     "ana@firm.example was assigned longest ago.", "fr",
     "Assigné à ana@firm.example, seul consultant actif qui couvre les prospects à vérifier en français."),
    ("No active consultant covers language en and stream needs-review; round-robin among 2 active admin(s): "
     "boss@firm.example was assigned longest ago.", "fr",
     "Aucun consultant actif ne couvre les prospects à vérifier en anglais : tour de rôle entre les 2 "
     "administrateurs actifs, boss@firm.example avait reçu un prospect le moins récemment."),
    ("Unassigned: no active consultant covers language en and stream needs-review.", "en",
     "Unassigned: no active consultant covers leads in English that need review."),
])
def test_needs_review_is_named_as_leads_to_review_not_as_a_stream(stored: str, lang: str, shown: str) -> None:
    """Trial: "covering English and Needs review" read as if Needs review were a programme."""
    said = labels.assignment_text(stored, lang)
    assert said == shown
    assert "Needs review" not in said and "volet À vérifier" not in said
