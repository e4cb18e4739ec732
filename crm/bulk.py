"""Many rows in one statement, for the batched writes of classification and enrolment.

On PostgreSQL the rows travel as ONE JSON parameter and the server expands them with
`jsonb_to_recordset` (INSERT ... SELECT, UPDATE ... FROM): a short, fixed statement text whatever the
number of rows, so neither the driver nor the server parses a statement per row or per batch size. On
SQLite (in-process, no round trips) a plain executemany does the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, Text, any_, bindparam, cast, column, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import TableValuedAlias

ROWS = "bulk_rows"


def among(connection: Connection, column_: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, ONE parameter: the driver caches the
    parsing of statements with at most 50 parameters, and an IN list of a batch has a hundred."""
    if connection.dialect.name == "postgresql":
        return column_ == any_(literal(list(values), ARRAY(column_.type)))
    return column_.in_(list(values))


def recordset(table: Table, columns: Sequence[str], name: str = "r") -> TableValuedAlias:
    """`jsonb_to_recordset(:bulk_rows) AS r(col type, ...)`, typed like the table's columns."""
    return (func.jsonb_to_recordset(cast(bindparam(ROWS, type_=Text), JSONB))
            .table_valued(*[column(col, table.c[col].type) for col in columns])
            .render_derived(name=name, with_types=True))


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} in a bulk row")


def rows_param(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The statement parameter carrying `rows` (datetimes must be timezone-aware, as the columns are)."""
    # The rows of a batch share a few datetime objects (its `now`, the steps' due times): each is formatted
    # once. Keyed by identity, not equality (equal instants in two time zones print differently); `rows`
    # keeps every value alive during the call, so no id is reused.
    formatted: dict[int, str] = {}

    def default(value: Any) -> str:
        text = formatted.get(id(value))
        if text is None:
            text = formatted[id(value)] = _default(value)
        return text

    return {ROWS: json.dumps(rows, default=default, ensure_ascii=False, separators=(",", ":"))}


@lru_cache(maxsize=64)
def _postgresql_insert(table: Table, columns: tuple[str, ...], returning: tuple[str, ...],
                       ignore_conflicts_on: tuple[str, ...]) -> Any:
    rows = recordset(table, columns)
    statement = postgresql_insert(table).from_select(list(columns), select(*[rows.c[col] for col in columns]))
    if ignore_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(ignore_conflicts_on))
    if returning:
        statement = statement.returning(*[table.c[col] for col in returning])
    return statement


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]],
                returning: Sequence[str] = (), ignore_conflicts_on: Sequence[str] = ()) -> Sequence[Row[Any]]:
    """Insert `rows` (dicts with the same keys) in one statement; the `returning` columns of each row
    inserted (in no particular order), else an empty list. A row that conflicts on the unique
    `ignore_conflicts_on` columns is skipped; any other conflict raises as usual."""
    if not rows:
        return []
    columns = tuple(rows[0])
    if connection.dialect.name == "postgresql":
        statement = _postgresql_insert(table, columns, tuple(returning), tuple(ignore_conflicts_on))
        result = connection.execute(statement, rows_param(rows))
        return result.all() if returning else []
    statement = (sqlite_insert(table).on_conflict_do_nothing(index_elements=list(ignore_conflicts_on))
                 if ignore_conflicts_on else insert(table))
    if returning:
        return connection.execute(statement.returning(*[table.c[col] for col in returning]), list(rows)).all()
    connection.execute(statement, list(rows))
    return []
