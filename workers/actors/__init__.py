"""Every actor, declared on the broker from workers.broker (imported first)."""

import workers.broker  # noqa: F401  (sets the global broker before any actor is declared)
