"""Email sequences: definitions (data), enrolment and scheduling, CASL consent rules, rendering,
sending exactly once, stop conditions and preview. Never imports Flask or Dramatiq.

The interface other packages use:
- on_classified(session, lead, classification, now): enrol or move the lead (classification actor)
- on_status_changed(session, lead, old_status, new_status, now): stop when a consultant takes over
- pause / resume / stop: the consultant's controls on the lead page
- preview(session, lead, step_index=None) -> list[RenderedEmail]; timeline(session, lead_id)
"""

from __future__ import annotations

from crm.sequences.enrolment import on_classified, on_status_changed, pause, resume, stop
from crm.sequences.history import timeline
from crm.sequences.preview import preview
from crm.sequences.rendering import RenderedEmail

__all__ = ["RenderedEmail", "on_classified", "on_status_changed", "pause", "preview", "resume", "stop", "timeline"]
