"""Preview: what the lead got (as stored) and will get (rendered now); the CLI commands."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import update

from crm.cli.emails import emails
from crm.cli.sequences import sequences
from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Delivery, Lead
from crm.sequences import preview, timeline
from tests.email.conftest import Sink
from tests.email.helpers import T0, new_lead, run_due


def test_preview_shows_sent_emails_as_sent_and_the_rest_as_scheduled(db: Database, smtp_settings: Settings,
                                                                     sink: Sink) -> None:
    # Given a lead whose first email went out
    lead_id = new_lead(db, email="preview@example.ie")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0)
    transport.close()
    # And whose stored copy differs from what the template would render today
    with db.transaction() as session:
        session.execute(update(Delivery).where(Delivery.lead_id == lead_id).values(subject="As sent back then"))
    # When the consultant previews the sequence
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        found = preview(session, lead, settings=smtp_settings)
        only_third = preview(session, lead, 2, settings=smtp_settings)
        history = [a.kind for a in timeline(session, lead_id)]
    # Then the sent one is shown exactly as stored, the others rendered now with their due times
    assert [e.status for e in found] == ["sent", "scheduled", "scheduled", "scheduled", "scheduled"]
    assert found[0].subject == "As sent back then" and found[0].sent_at is not None
    assert found[1].subject == "Your document checklist: IEC Working Holiday"
    assert "Police certificates" in found[1].text and "<ul" in found[1].html
    assert found[1].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(e.due_at is not None for e in found)
    assert [e.step for e in only_third] == [2]
    assert history[:2] == ["sequence", "email-sent"]


def test_cli_preview_and_simulate(db: Database, smtp_settings: Settings) -> None:
    lead_id = new_lead(db, email="cli@example.ie")
    runner = CliRunner()
    result = runner.invoke(emails, ["preview", lead_id, "--step", "1"])
    assert result.exit_code == 0, result.output
    assert "Your document checklist: IEC Working Holiday" in result.output and "step 1" in result.output
    simulated = runner.invoke(sequences, ["simulate", "--stream", "francophone-mobility", "--lang", "fr"])
    assert simulated.exit_code == 0, simulated.output
    assert "Mobilité francophone" in simulated.output and "Bonjour Camille," in simulated.output
    assert simulated.output.count("Subject:") == 5
    unknown = runner.invoke(sequences, ["simulate", "--stream", "nope"])
    assert unknown.exit_code != 0


def test_every_sequence_renders_in_both_languages() -> None:
    from crm.sequences.definitions import definitions

    runner = CliRunner()
    for name in definitions().sequences:
        for lang in ("en", "fr"):
            result = runner.invoke(sequences, ["simulate", "--stream", name, "--lang", lang, "--html"])
            assert result.exit_code == 0, (name, lang, result.output[-2000:])
            assert result.output.count("<!DOCTYPE html>") == len(definitions().sequences[name].steps)
