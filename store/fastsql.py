"""Hot-path Core statements straight on SQLite's DBAPI connection, with SQLAlchemy's own SQL and types.

Why: executing a Core statement through SQLAlchemy's async engine costs about 60 us of Python around the
statement (execution context, parameter processing, a greenlet switch per statement, aiosqlite's future, the
result proxy) - more than most of the statements themselves. A green-lane clearance runs about twenty of them
(its lodging's look-ups, the accepted read model, the outcome's transaction with the audit log and the exchange,
a declarant's reads). Here each statement is compiled once by SQLAlchemy for the engine's dialect, and executed
on the `sqlite3` connection underneath with SQLAlchemy's own bind and result processors: the same SQL, the same
stored values (datetimes, JSON, bytes), the same rows by attribute (`row.view`), in the caller's transaction.

Only SQLite connections of `store.db` that run inline (the writer's and the readers') take this path; everything
else, PostgreSQL included, executes through SQLAlchemy as before, so `execute()`/`first()` are safe everywhere.
A statement this module cannot run as compiled (an INSERT whose columns have Python-side defaults the parameters
leave out) goes through SQLAlchemy too.
"""

from __future__ import annotations

import json
import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic_core import from_json
from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import sqltypes

Params = Mapping[str, Any]


class Json(str):
    """A JSON column's value encoded already (a model's `model_dump_json()`, three times faster than dumping it to
    Python objects and those to text): the fast path stores the text as it is; SQLAlchemy's execution gets it
    decoded, since its JSON type encodes what it is given."""


# statements an inline SQLite session ran on the fast path, and those it ran through SQLAlchemy (tests watch them)
fast_statements = 0
fallbacks = 0
_RAW = "fastsql.raw"  # session.info: (transaction, sqlite3 connection or None)


class Prepared:
    """A statement compiled for one dialect and one set of parameter names."""

    __slots__ = ("binds", "by_size", "compiled", "defaults", "expanding", "lists", "names", "results", "row", "sql")

    def __init__(self, statement: Any, dialect: Dialect, keys: tuple[str, ...] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.compiled = compiled
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.binds: dict[str, Callable[[Any], Any]] = dict(compiled._bind_processors)
        # parameters the statement carries itself (literal LIMITs, a constant id): their values; a column's
        # Python-side default or onupdate is not one (SQLAlchemy computes it at execution)
        computed = {c.key for c in [*compiled.insert_prefetch, *compiled.update_prefetch]}
        self.defaults: dict[str, Any] = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if not bind.required and name not in computed
        }
        self.expanding = bool(compiled.post_compile_params or compiled.literal_execute_params)
        # IN lists (expanding parameters): the SQL depends only on their lengths, so it is expanded once per lengths
        # (literal-execute parameters render their values into the SQL: expanded for every call)
        self.lists = tuple(b.key for b in compiled.post_compile_params) if not compiled.literal_execute_params else None
        self.by_size: dict[tuple[int, ...], tuple[str, tuple[tuple[str, int | None], ...]]] = {}
        columns = list(compiled._result_columns)
        self.row: type | None = namedtuple("Row", [c.keyname for c in columns], rename=True) if columns else None  # type: ignore[misc]
        self.results: list[Callable[[Any], Any] | None] = [
            _json_result
            if dialect.name == "sqlite" and isinstance(c.type, sqltypes.JSON)
            else c.type._cached_result_processor(dialect, None)
            for c in columns
        ]

    def runnable(self, params: Params) -> bool:
        """Whether every parameter the SQL needs is given (or carried by the statement)."""
        return self.expanding or all(name in params or name in self.defaults for name in self.names)

    def bind(self, params: Params) -> tuple[str, tuple[Any, ...]]:
        if self.expanding:
            return self._bind_expanding(params)
        binds, defaults = self.binds, self.defaults
        out = []
        for name in self.names:
            value = params[name] if name in params else defaults[name]
            processor = binds.get(name)
            if processor is None or type(value) is Json:
                out.append(value)
            else:
                out.append(processor(value))  # None too: a JSON column stores it as null
        return self.sql, tuple(out)

    def _bind_expanding(self, params: Params) -> tuple[str, tuple[Any, ...]]:
        params = _decoded(params)  # (rare here: IN lists beside JSON values)
        if self.lists is None:
            state = self.compiled.construct_expanded_state(dict(params))
            binds = {**self.binds, **state.processors}
            values = state.parameters
            return state.statement, tuple(
                binds[name](values[name]) if name in binds else values[name] for name in state.positiontup or ()
            )
        sizes = tuple(len(params[name]) for name in self.lists)
        plan = self.by_size.get(sizes)
        if plan is None:  # each expanded name comes from (its list, its index in it)
            state = self.compiled.construct_expanded_state(dict(params))
            origin: dict[str, tuple[str, int | None]] = {}
            for name, expanded in state.parameter_expansion.items():
                origin.update((each, (name, i)) for i, each in enumerate(expanded))
            plan = (state.statement, tuple(origin.get(name, (name, None)) for name in state.positiontup or ()))
            self.by_size[sizes] = plan
        sql, slots = plan
        binds, defaults = self.binds, self.defaults
        out = []
        for name, index in slots:
            value = params[name] if name in params else defaults[name]
            if index is not None:
                value = value[index]
            processor = binds.get(name)
            out.append(value if processor is None else processor(value))
        return sql, tuple(out)

    def rows(self, cursor: sqlite3.Cursor) -> list[Any]:
        if self.row is None:
            return []
        make, results = self.row, self.results
        found = cursor.fetchall()
        if not any(results):
            return [make(*values) for values in found]
        return [make(*(v if f is None else f(v) for f, v in zip(results, values, strict=True))) for values in found]


def _json_result(value: Any) -> Any:
    """A JSON column's value as SQLAlchemy's SQLite JSON type reads it (a scalar SQLite returned as a number stays
    one), parsed by pydantic-core (~2x the standard library's speed on a clearance's view); text it refuses (a lone
    surrogate escape, which the standard library accepts) is parsed as before."""
    if not isinstance(value, str | bytes):
        return value
    try:
        return from_json(value)
    except ValueError:
        return json.loads(value)


@lru_cache(maxsize=512)
def prepared(statement: Executable, dialect: Dialect, keys: tuple[str, ...] | None) -> Prepared:
    return Prepared(statement, dialect, keys)


def _keys(statement: Any, params: Params) -> tuple[str, ...] | None:
    """INSERTs and UPDATEs compile to the columns their parameters name, as SQLAlchemy's own execution compiles
    them; a SELECT does not depend on them."""
    return tuple(sorted(params)) if getattr(statement, "is_dml", False) else None


def run(conn: sqlite3.Connection, dialect: Dialect, statement: Any, params: Params | Sequence[Params]) -> list[Any]:
    """Execute on a `sqlite3` connection (one parameter set, or many for an INSERT); rows as named tuples. Raises
    LookupError when the statement cannot run as compiled (the caller then uses SQLAlchemy)."""
    return _run(conn, dialect, statement, params)[0]


def changed_now(conn: sqlite3.Connection, dialect: Dialect, statement: Any, params: Params) -> int:
    """`run()`, for how many rows the statement wrote."""
    return _run(conn, dialect, statement, params)[1]


def _run(
    conn: sqlite3.Connection, dialect: Dialect, statement: Any, params: Params | Sequence[Params]
) -> tuple[list[Any], int]:
    if isinstance(params, Mapping):
        plan = prepared(statement, dialect, _keys(statement, params))
        if not plan.runnable(params):
            raise LookupError("needs SQLAlchemy's execution (defaults)")
        sql, values = plan.bind(params)
        cursor = conn.execute(sql, values)
        return plan.rows(cursor), cursor.rowcount
    if not params:
        return [], 0
    plan = prepared(statement, dialect, _keys(statement, params[0]))
    if plan.expanding or plan.row is not None or not all(plan.runnable(p) for p in params):
        raise LookupError("needs SQLAlchemy's execution (many)")
    cursor = conn.executemany(plan.sql, [plan.bind(p)[1] for p in params])
    return [], cursor.rowcount


async def _raw(session: AsyncSession) -> sqlite3.Connection | None:
    """The `sqlite3` connection of the session's current transaction when it is an inline one (store.db)."""
    from store.db import InlineConnection  # store.db imports this module

    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_RAW)
    if transaction is not None and cached is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    raw = driver._conn if isinstance(driver, InlineConnection) else None
    session.info[_RAW] = (session.sync_session.get_transaction(), raw)
    return raw


async def execute(session: AsyncSession, statement: Any, params: Params | Sequence[Params]) -> list[Any]:
    """Run a Core statement in the session's transaction; its rows (RETURNING, SELECT) as named tuples on the
    fast path, SQLAlchemy rows otherwise - both read by attribute and by position."""
    return (await _execute(session, statement, params))[0]


async def changed(session: AsyncSession, statement: Any, params: Params) -> int:
    """Run a Core statement in the session's transaction; how many rows it wrote (-1 where the driver does not
    say: psycopg's for an INSERT through SQLAlchemy)."""
    return (await _execute(session, statement, params))[1]


async def _execute(session: AsyncSession, statement: Any, params: Params | Sequence[Params]) -> tuple[list[Any], int]:
    raw = await _raw(session)
    if raw is not None:
        global fast_statements, fallbacks
        try:
            done = _run(raw, session.get_bind().dialect, statement, params)
            fast_statements += 1
            return done
        except LookupError:
            fallbacks += 1
    conn = await session.connection()
    result = await conn.execute(statement, _decoded(params))
    return (list(result.all()) if result.returns_rows else []), result.rowcount


def _decoded(params: Params | Sequence[Params]) -> Any:
    """The parameters as SQLAlchemy's execution takes them: `Json` values decoded."""
    if isinstance(params, Mapping):
        if not any(type(v) is Json for v in params.values()):
            return params
        return {k: json.loads(v) if type(v) is Json else v for k, v in params.items()}
    return [_decoded(p) for p in params]


async def first(session: AsyncSession, statement: Any, params: Params | None = None) -> Any:
    found = await execute(session, statement, params or {})
    return found[0] if found else None
