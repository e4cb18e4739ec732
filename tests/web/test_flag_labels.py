"""Every flag the classifier can set has a label in both interface languages, not its slug."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm.web.common import stream_label

CLASSIFY = Path(__file__).resolve().parents[2] / "crm" / "classify"


def _flags_the_classifier_sets() -> set[str]:
    return {flag for path in CLASSIFY.glob("*.py")
            for flag in re.findall(r'ctx\.flag\("([a-z-]+)"\)', path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_flag_has_a_label(lang: str) -> None:
    flags = _flags_the_classifier_sets()
    assert "no-permit-needed" in flags and len(flags) >= 5
    for flag in sorted(flags):
        assert stream_label(flag, lang) != flag, flag
