"""Classification: the ruleset (data), the pure classifier, free-text signals, assignment and the sweep.

See docs/classification.md. Public entry points: `crm.classify.ruleset.load_ruleset`,
`crm.classify.classifier.classify`, `crm.classify.service.classify_pending` (the actor: a batch per
transaction) and `crm.classify.service.classify_and_store` (one lead, e.g. `crm leads reclassify`).
"""
