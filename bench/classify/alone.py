"""The classifier alone, in one process, over the test corpus repeated (a realistic mix: ~20% free text).

Baseline in the same run: the same loop building each lead's input and looking up its first
citizenship in the ruleset only (the floor any classifier pays), so the figure can be compared.
"""

from __future__ import annotations

import time
from dataclasses import replace

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import load_ruleset
from tests.classify.corpus import lead_input, load_corpus


def corpus_inputs() -> list[LeadInput]:
    today, leads = load_corpus()
    return [lead_input(spec["input"], today) for spec in leads]


def run(n: int = 100_000) -> dict[str, float]:
    inputs = corpus_inputs()
    ruleset = load_ruleset()
    for lead in inputs:  # warm caches (regexes, country names, catalogs)
        classify(lead, ruleset)
    count = len(inputs)

    start = time.perf_counter()
    for i in range(n):
        lead = replace(inputs[i % count])
        ruleset.iec_country(lead.citizenships[0] if lead.citizenships else "")
    baseline = n / (time.perf_counter() - start)

    start, cpu_start = time.perf_counter(), time.process_time()
    for i in range(n):
        classify(replace(inputs[i % count]), ruleset)
    rate = n / (time.perf_counter() - start)
    # CPU time too: on a shared 2-core machine the wall clock also counts other processes' turns.
    cpu_rate = n / (time.process_time() - cpu_start)
    with_text = sum(1 for lead in inputs if lead.messages) / count
    print(f"classifier alone: {rate:,.0f} leads/s wall clock ({cpu_rate:,.0f} per CPU-second) over {n:,} leads "
          f"({with_text:.0%} with a message); baseline (input copy + one ruleset lookup): {baseline:,.0f} leads/s")
    return {"classifier_leads_per_s": rate, "classifier_leads_per_cpu_s": cpu_rate, "baseline_leads_per_s": baseline}
