"""Core statements compiled once and run straight on the driver's cursor (the intake's hot path).

SQLAlchemy's `Connection.execute` of even a cached statement costs several times the SQL itself on
SQLite (execution context, cache key, result object, event dispatch). A `DriverStatement` keeps what
that work produces and does not change between requests: the SQL string of the dialect and, per
bind parameter, the type's bind processor. Values go through the same processors as with
`Connection.execute` (UTC datetimes, JSON, booleans, bytes), and a driver error is raised through the
connection's own handler, so callers see the same `IntegrityError` / `OperationalError` (and a lost
connection invalidates the pool) as with Core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


class _Compiled:
    __slots__ = ("plan", "positional", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.escaped_bind_names:
            raise ValueError("bind parameter names must not need escaping")
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        # (name, its type's bind processor or None), in the order the driver takes them.
        self.plan: list[tuple[str, Callable[[Any], Any] | None]] = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        ]

    def parameters(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        processed = [values[name] if processor is None else processor(values[name])
                     for name, processor in self.plan]
        if self.positional:
            return tuple(processed)
        return dict(zip([name for name, _ in self.plan], processed, strict=True))


class DriverStatement:
    """A statement with named bind parameters (every one given at each call), per dialect compiled once."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, dialect)
        return compiled

    def bind(self, dialect: Dialect, values: dict[str, Any]) -> BoundStatement:
        """The SQL and its driver parameters for `values`: all of the work but running it."""
        compiled = self.compiled(dialect)
        return BoundStatement(compiled.sql, compiled.parameters(values))

    def execute(self, connection: Connection, values: dict[str, Any]) -> Any:
        """Run on `connection`'s driver connection inside its transaction; returns the DBAPI cursor."""
        return self.bind(connection.dialect, values).execute(connection)


class BoundStatement:
    """A statement's SQL with its parameters already processed, ready for the driver's cursor."""

    __slots__ = ("parameters", "sql")

    def __init__(self, sql: str, parameters: tuple[Any, ...] | dict[str, Any]) -> None:
        self.sql = sql
        self.parameters = parameters

    def execute(self, connection: Connection) -> Any:
        """Run on `connection`'s driver connection inside its transaction; returns the DBAPI cursor."""
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(self.sql, self.parameters)
        except BaseException as exc:
            cursor.close()
            # The handler Core's execute uses: the same exception classes, disconnects invalidate.
            connection._handle_dbapi_exception(exc, self.sql, self.parameters, None, None)
        return cursor
