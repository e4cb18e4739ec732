"""GET /metrics: Prometheus text computed from the database, so every process reports the same figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from crm.db import Database, utcnow
from crm.models import Delivery, Enrolment, Job, Lead, LeadStatus, ScheduledStep, StepStatus


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def post_lead(client: FlaskClient, n: int) -> str:
    response = client.post("/api/leads", json={"first_name": f"Metric{n}", "email": f"metric{n}@example.org",
                                               "citizenships": ["FR"]})
    assert response.status_code == 201
    return str(response.get_json()["id"])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_metrics_count_leads_emails_queue_and_latency(client: FlaskClient, db: Database) -> None:
    # Given three leads received, one classified, one failed, and two first emails sent
    lead_ids = [post_lead(client, n) for n in range(3)]
    now = utcnow()
    with db.transaction() as session:
        first, second, third = (session.get(Lead, lead_id) for lead_id in lead_ids)
        assert first and second and third
        first.status, first.classified_at = LeadStatus.CLASSIFIED.value, now
        third.status = LeadStatus.FAILED.value
        for lead, seconds, status in ((first, 4, "sent"), (second, 100, "sent"), (third, 0, "bounced")):
            inquiry_time = lead.inquiries[0].received_at
            session.add(Delivery(lead_id=lead.id, content_key=f"welcome-{lead.id}", sequence="s", template="t",
                                 language="en", status=status, to_address="x@example.org",
                                 sent_at=inquiry_time + timedelta(seconds=seconds) if status == "sent" else None))
        enrolment = Enrolment(lead_id=first.id, sequence="s", language="en")
        session.add(enrolment)
        session.flush()
        session.add(ScheduledStep(enrolment_id=enrolment.id, lead_id=first.id, step_index=1, content_key="k1",
                                  template="t", due_at=now - timedelta(minutes=10),
                                  status=StepStatus.SCHEDULED.value))
        session.add(ScheduledStep(enrolment_id=enrolment.id, lead_id=first.id, step_index=2, content_key="k2",
                                  template="t", due_at=now + timedelta(days=2), status=StepStatus.SCHEDULED.value))

    # When Prometheus scrapes
    samples = scrape(client)

    # Then the figures are the database's
    assert samples[("crm_database_up", ())] == 1
    assert samples[("crm_leads_received_total", ())] == 3
    assert samples[("crm_inquiries_received_total", ())] == 3
    assert samples[("crm_leads_classified_total", ())] == 1
    assert samples[("crm_leads_failed_total", ())] == 1
    assert samples[("crm_leads", (("status", "received"),))] == 1
    assert samples[("crm_emails_sent_total", ())] == 2
    assert samples[("crm_emails_bounced_total", ())] == 1
    assert samples[("crm_emails_failed_total", ())] == 0
    # three classify jobs recorded at intake, none done (no worker here)
    assert samples[("crm_queue_depth", (("queue", "job:classify_lead"),))] == 3
    assert samples[("crm_queue_depth", (("queue", "email_steps_due"),))] == 1
    assert samples[("crm_queue_oldest_age_seconds", (("queue", "email_steps_due"),))] >= 600
    assert samples[("crm_first_email_latency_seconds_count", ())] == 2
    assert samples[("crm_first_email_latency_seconds_sum", ())] == pytest.approx(104, abs=0.01)
    assert samples[("crm_first_email_latency_seconds_bucket", (("le", "5.0"),))] == 1
    assert samples[("crm_first_email_latency_seconds_bucket", (("le", "120.0"),))] == 2


def test_finished_jobs_leave_the_queue(client: FlaskClient, db: Database) -> None:
    lead_id = post_lead(client, 1)
    with db.transaction() as session:
        for job in session.query(Job).filter(Job.lead_id == lead_id):
            job.status = "done"
    samples = scrape(client)
    assert ("crm_queue_depth", (("queue", "job:classify_lead"),)) not in samples
    assert samples[("crm_queue_depth", (("queue", "email_steps_due"),))] == 0


def test_an_empty_database_scrapes_cleanly(client: FlaskClient) -> None:
    samples = scrape(client)
    assert samples[("crm_leads_received_total", ())] == 0
    assert samples[("crm_first_email_latency_seconds_count", ())] == 0
