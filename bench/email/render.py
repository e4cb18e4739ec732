"""Rendering speed: complete emails (context from the lead and the ruleset, subject, text and HTML,
the MIME message with its headers, serialised to bytes) per second in one process.

Baseline in the same run: the same three parts made with plain str.format (no template engine, no
escaping, no MIME): the floor any renderer pays.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from crm.classify.ruleset import load_ruleset
from crm.models import Lead
from crm.sequences.content import Sender, build_context
from crm.sequences.definitions import definitions
from crm.sequences.rendering import build_message, render

SENDER = Sender("Maple Route Immigration", "100 King Street West, Toronto ON M5X 1A9, Canada",
                "+1 416 555 0100 · hello@maple-route.example", "R123456",
                "Maple Route Immigration <hello@maple-route.example>", "https://crm.maple-route.example")
PEOPLE = [("Aoife", "IE", "en"), ("Camille", "FR", "fr"), ("Kenji", "JP", "en"), ("Lea", "DE", "en"),
          ("Mathis", "BE", "fr"), ("Priya", "IN", "en"), ("Sofia", "MX", "en"), ("Jules", "CH", "fr")]


def _jobs() -> list[tuple[Lead, object, str, str]]:
    jobs = []
    for i, (name, country, lang) in enumerate(PEOPLE):
        lead = Lead(id=f"00000000-0000-7000-8000-{i:012d}", email=f"{name.lower()}@example.com",
                    email_key=f"{name.lower()}@example.com", first_name=name, last_name="Example",
                    citizenships=[country], country_of_residence=country, stated_age=26 + i,
                    stated_age_on=date(2026, 1, 1), preferred_language=lang, facts={}, reply_token="ab" * 16)
        for sequence in definitions().sequences.values():
            for step in sequence.steps:
                jobs.append((lead, sequence, step.template, lang))
    return jobs


def run(n: int) -> None:
    jobs = _jobs()
    load_ruleset()
    now = datetime.now(UTC)
    for lead, sequence, template, lang in jobs:  # warm the template cache (compiled once per process)
        render(template, lang, build_context(lead, None, sequence, lang, SENDER, "https://x/u/t", now))  # type: ignore[arg-type]

    start, cpu = time.perf_counter(), time.process_time()
    size = 0
    for i in range(n):
        lead, sequence, template, lang = jobs[i % len(jobs)]
        unsub = f"https://crm.maple-route.example/unsubscribe/{i}"
        context = build_context(lead, None, sequence, lang, SENDER, unsub, now)  # type: ignore[arg-type]
        subject, text, html = render(template, lang, context)
        message = build_message(subject=subject, text=text, html=html, mail_from=SENDER.mail_from,
                                to_name=lead.full_name, to_address=lead.email, reply_token=lead.reply_token,
                                unsubscribe_url=unsub, now=now)
        size += len(message.data)
    full, full_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)

    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        lead, sequence, template, lang = jobs[i % len(jobs)]
        context = build_context(lead, None, sequence, lang, SENDER, "https://x/u/t", now)  # type: ignore[arg-type]
        render(template, lang, context)
    parts_only, parts_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)

    body = "Hello {name},\n\n" + "A paragraph of about the same length as a real email's. " * 40 + "\n{footer}\n"
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        lead = jobs[i % len(jobs)][0]
        subject = f"Your next steps, {lead.first_name}"
        text = body.format(name=lead.first_name, footer=SENDER.address)
        html = "<html><body><p>" + text.replace("\n", "<br>") + "</p></body></html>"
        size += len(subject) + len(text) + len(html)
    baseline, baseline_cpu = n / (time.perf_counter() - start), n / (time.process_time() - cpu)

    print(f"render: {n} emails, {len(jobs)} distinct (lead, sequence, step) combinations, avg "
          f"{size // (2 * n) // 1024} KiB")
    # Per CPU second too: on a shared machine, wall-clock rates also measure the neighbours.
    print("                                                          wall-clock     per CPU second")
    print(f"  complete emails (subject, text, HTML from lead + ruleset): {parts_only:>9,.0f}/s {parts_cpu:>12,.0f}/s")
    print(f"  ... plus the whole MIME message (bytes, headers):          {full:>9,.0f}/s {full_cpu:>12,.0f}/s")
    print(f"  baseline: str.format of similar parts (no engine):         {baseline:>9,.0f}/s {baseline_cpu:>12,.0f}/s")
    print(f"  target >= 2,000 complete emails/s (subject, text, HTML): {'met' if parts_only >= 2000 else 'NOT met'}")
