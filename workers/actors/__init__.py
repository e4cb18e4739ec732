"""Every actor, declared on the broker from workers.broker (imported first)."""

import workers.broker  # noqa: F401  (sets the global broker before any actor is declared)
from workers.actors import classify, email, sweep  # noqa: F401  (classify_lead, send_step, sweep)
