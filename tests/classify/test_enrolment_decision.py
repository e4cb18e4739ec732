"""The enrolment rule (crm.sequences.enrolment.decide), shared by the one-lead and the batched paths."""

from __future__ import annotations

from crm.sequences.enrolment import decide, language_of


def never(name: str) -> bool:
    return False


def test_a_new_lead_is_enrolled_in_its_streams_sequence() -> None:
    decision = decide("iec-working-holiday", "worker", [], "classified", None, never)
    assert decision.action == "enrol" and decision.sequence is not None
    assert decision.sequence.name == "iec-working-holiday"
    employer = decide("iec-working-holiday", "employer", [], "classified", None, never)
    assert employer.sequence is not None and employer.sequence.name == "employer"  # lead type first


def test_a_lead_in_another_sequence_is_moved_and_one_in_the_right_one_kept() -> None:
    moved = decide("iec-co-op", "worker", [], "classified", "iec-working-holiday", never)
    assert moved.action == "enrol" and moved.sequence is not None and moved.sequence.name == "iec-co-op"
    assert decide("iec-co-op", "worker", [], "classified", "iec-co-op", never).action == "keep"


def test_spam_stops_a_live_sequence_and_enrols_nobody() -> None:
    assert decide("spam", "worker", [], "classified", "iec-co-op", never).action == "stop"
    assert decide("iec-co-op", "worker", ["spam"], "classified", "iec-co-op", never).action == "stop"
    assert decide("iec-co-op", "worker", [], "spam", None, never).action == "none"


def test_a_lead_taken_over_or_done_with_its_sequence_is_left_alone() -> None:
    for status in ("contacted", "consultation_booked", "retained", "lost"):
        assert decide("iec-co-op", "worker", [], status, None, never).action == "none"
    asked: list[str] = []

    def completed(name: str) -> bool:
        asked.append(name)
        return True

    assert decide("iec-co-op", "worker", [], "classified", None, completed).action == "none"
    assert asked == ["iec-co-op"]
    decide("iec-co-op", "worker", [], "classified", "iec-working-holiday", completed)
    assert asked == ["iec-co-op"]  # asked only when nothing is live


def test_the_language_of_the_emails() -> None:
    assert [language_of(code) for code in ("fr", "en", "es", None)] == ["fr", "en", "en", "en"]
