"""The statements of a message's path, composed once per process and run many times.

Writing a message reads the person and the case and inserts three rows. Through the ORM,
composing each of those statements costs more of the server's CPU than PostgreSQL takes
to run it, and every connection of a process shares that CPU. Here each statement is
composed once from the models (a read by the ORM's own compiler, an insert from the
model's fields) and then run with new values: what is read and written is exactly what
the ORM reads and writes. On PostgreSQL, rows written together go in one statement (the
message with its first version; a room event with the room's next number), a round trip
and a statement's client work fewer each. Only what is on that path uses them;
everything else goes through the ORM as usual.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections, models, router
from django.db.models.query import get_related_populators

# The ORM's own builder of select_related objects (typed for a later Django than this one).
_related_populators: Any = get_related_populators

M = TypeVar("M", bound=models.Model)


# -- reads by primary key -------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    sql: str
    pk: models.Field[Any, Any]
    converters: list[tuple[int, list[Any], Any]]  # (position, converters, expression)
    start: int  # where the model's own columns are in a row
    end: int
    init_list: list[str]
    related: list[Any]  # the ORM's populators of select_related objects


class PrimaryKeyRead(Generic[M]):
    """``queryset.get(pk=value)``, with the SELECT composed once by the ORM's compiler.

    ``queryset`` is a callable so that the models need not be loaded when this is made.
    Raises the model's ``DoesNotExist`` as ``get`` does.
    """

    def __init__(self, queryset: Callable[[], models.QuerySet[M]]) -> None:
        self._queryset = queryset
        self._model: type[M] | None = None
        self._reads: dict[str, _Read] = {}
        self._lock = threading.Lock()

    def get(self, pk: Any) -> M:
        model: Any = self._model or self._queryset().model
        self._model = model
        alias = router.db_for_read(model)
        read = self._reads.get(alias) or self._compose(self._queryset(), alias)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(read.sql, [read.pk.get_db_prep_value(pk, connection)])
            row = cursor.fetchone()
        if row is None:
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        values = list(row)
        for position, converters, expression in read.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, expression, connection)
            values[position] = value
        obj: M = model.from_db(alias, read.init_list, values[read.start : read.end])
        for populator in read.related:
            populator.populate(values, obj)
        return obj

    def _compose(self, queryset: models.QuerySet[M], alias: str) -> _Read:
        with self._lock:
            if alias in self._reads:
                return self._reads[alias]
            pk = queryset.model._meta.pk
            assert pk is not None
            # Compiled with a stand-in value of the key's own type; its placeholder stays.
            compiler = queryset.filter(pk=_stand_in(pk)).query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            if len(params) != 1:
                raise ValueError("a primary key read takes exactly one parameter")
            klass_info = compiler.klass_info
            if (
                klass_info is None
                or compiler.annotation_col_map
                or getattr(queryset, "_known_related_objects", None)
                or getattr(queryset, "_prefetch_related_lookups", None)
            ):
                raise ValueError("only plain reads, with select_related at most, are composed")
            fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
            select = compiler.select
            selected = klass_info["select_fields"]
            read = _Read(
                sql=sql,
                pk=pk,
                converters=[
                    (position, convs, expression)
                    for position, (convs, expression) in compiler.get_converters(fields).items()
                ],
                start=selected[0],
                end=selected[-1] + 1,
                init_list=[f[0].target.attname for f in select[selected[0] : selected[-1] + 1]],
                related=_related_populators(klass_info, select, alias),
            )
            self._reads[alias] = read
            return read


def _stand_in(pk: models.Field[Any, Any]) -> Any:
    return uuid.UUID(int=0) if isinstance(pk, models.UUIDField) else 0


# -- inserts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: list[models.Field[Any, Any]]  # whose values the statement takes, in order
    returns_pk: bool

    def values(self, obj: models.Model, connection: Any) -> list[Any]:
        """``obj``'s values for the statement, prepared as the ORM prepares them."""
        return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]


_inserts: dict[tuple[Any, ...], _Insert] = {}
_together: dict[tuple[Any, ...], str] = {}


def insert(obj: models.Model) -> None:
    """``obj.save(force_insert=True)``, with the INSERT composed once per model.

    Values are prepared as the ORM prepares them (defaults, ``auto_now_add``); an
    auto-incremented key is read back. No model signals are sent: none are connected to
    the models this is used for (``tests/realtime/test_statements.py`` checks that).
    """
    _insert(obj)


def insert_together(*objs: models.Model) -> None:
    """``insert`` of each of ``objs`` in turn; on PostgreSQL all in one statement.

    Every one but the last must have its key already (an auto-incremented key is read
    back for the last only). A row may refer to one before it: the foreign keys are
    checked at commit.
    """
    *first, last = objs
    if any(obj.pk is None for obj in first):
        raise ValueError("only the last row of insert_together may take its key on insert")
    alias = router.db_for_write(type(last), instance=last)
    connection = connections[alias]
    if connection.vendor != "postgresql" or not first:
        for obj in objs:
            insert(obj)
        return
    parts = [_statement(obj, alias) for obj in objs]
    key = (alias, *(type(obj) for obj in objs), parts[-1].returns_pk)
    sql = _together.get(key)
    if sql is None:
        ctes = ", ".join(f"row{n} AS ({part.sql})" for n, part in enumerate(parts[:-1]))
        sql = _together[key] = f"WITH {ctes} {parts[-1].sql}"
    values = [
        value
        for obj, part in zip(objs, parts, strict=True)
        for value in part.values(obj, connection)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if parts[-1].returns_pk:
            row = cursor.fetchone()
            assert row is not None
            last.pk = row[0]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def insert_numbered(obj: models.Model, name: str, counter: str, params: list[Any]) -> None:
    """``insert(obj)`` with field ``name`` set to the number that the statement
    ``counter`` (with ``params``) returns: an ``INSERT … RETURNING`` that hands out the
    next number and keeps its row locked. On PostgreSQL the two are one statement.
    """
    field = type(obj)._meta.get_field(name)
    assert isinstance(field, models.Field)
    connection = connections[router.db_for_write(type(obj), instance=obj)]
    if connection.vendor == "postgresql":
        _insert(obj, field, counter, params)
        return
    with connection.cursor() as cursor:
        cursor.execute(counter, params)
        row = cursor.fetchone()
    assert row is not None
    setattr(obj, field.attname, row[0])
    _insert(obj)


def _insert(
    obj: models.Model,
    numbered: models.Field[Any, Any] | None = None,
    counter: str = "",
    params: Sequence[Any] = (),
) -> None:
    alias = router.db_for_write(type(obj), instance=obj)
    connection = connections[alias]
    statement = _statement(obj, alias, numbered, counter)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [*params, *statement.values(obj, connection)])
        if statement.returns_pk and not connection.features.can_return_columns_from_insert:
            obj.pk = cursor.lastrowid
        elif statement.returns_pk or numbered is not None:
            row = cursor.fetchone()
            assert row is not None
            if statement.returns_pk:
                obj.pk = row[0]
            if numbered is not None:
                setattr(obj, numbered.attname, row[-1])
    obj._state.adding = False
    obj._state.db = alias


def _statement(
    obj: models.Model, alias: str, numbered: models.Field[Any, Any] | None = None, counter: str = ""
) -> _Insert:
    """The INSERT of a row like ``obj`` (its key read back if the database gives it), with
    ``numbered`` taken from ``counter``'s result when given; composed once."""
    model, meta = type(obj), obj._meta
    auto_pk = obj.pk is None and meta.pk in meta.db_returning_fields
    key = (model, alias, auto_pk, numbered, counter)
    statement = _inserts.get(key)
    if statement is not None:
        return statement
    connection = connections[alias]
    assert meta.pk is not None
    fields = [f for f in meta.local_concrete_fields if not (auto_pk and f is meta.pk)]
    placeholders = []
    for f in fields:
        if f is numbered:
            placeholders.append("counter.value")
        elif isinstance(f, models.BinaryField):  # as the ORM writes it on this database
            placeholders.append(cast(Any, f).get_placeholder(None, None, connection))
        elif hasattr(f, "get_placeholder") or f.generated:
            raise ValueError(f"{meta.label}.{f.name}: an insert cannot be composed for it")
        else:
            placeholders.append("%s")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    table = quote(meta.db_table)
    if numbered is None:
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)})"  # noqa: S608 - names from the model
    else:
        sql = (
            f"WITH counter (value) AS ({counter}) "  # noqa: S608 - names from the model
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(placeholders)} FROM counter"
        )
    returning = [quote(str(meta.pk.column))] if auto_pk else []
    if numbered is not None:
        returning.append(quote(str(numbered.column)))
    if returning and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {', '.join(returning)}"
    statement = _inserts[key] = _Insert(sql, [f for f in fields if f is not numbered], auto_pk)
    return statement
