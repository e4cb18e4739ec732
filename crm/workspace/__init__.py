"""The consultant workspace's domain logic (no Flask): accounts, the queue, lead actions, privacy, stats.

Every function takes a session and plain values and never commits: the caller (a view, a CLI command)
owns the transaction.
"""


class WorkspaceError(Exception):
    """A request the domain refuses (bad transition, unknown user...); the web layer maps it to 4xx."""

    def __init__(self, message: str, status: int = 422, field: str = "request") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field
