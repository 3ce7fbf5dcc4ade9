"""The statements of a message's path, composed once per process and run many times.

Writing a message reads the person and the case and inserts three rows. Through the ORM,
composing each of those statements costs more of the server's CPU than PostgreSQL takes
to run it, and every connection of a process shares that CPU. Here each statement is
composed once from the models (a read by the ORM's own compiler, an insert from the
model's fields) and then run with new values: what is read and written is exactly what
the ORM reads and writes. Only what is on that path uses them; everything else goes
through the ORM as usual.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
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
    fields: list[models.Field[Any, Any]]
    returns_pk: bool


_inserts: dict[tuple[type[models.Model], str, bool], _Insert] = {}


def insert(obj: models.Model) -> None:
    """``obj.save(force_insert=True)``, with the INSERT composed once per model.

    Values are prepared as the ORM prepares them (defaults, ``auto_now_add``); an
    auto-incremented key is read back. No model signals are sent: none are connected to
    the models this is used for (``tests/realtime/test_statements.py`` checks that).
    """
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    meta = model._meta
    assert meta.pk is not None
    auto_pk = obj.pk is None and meta.pk in meta.db_returning_fields
    statement = _inserts.get((model, alias, auto_pk)) or _compose_insert(model, alias, auto_pk)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in statement.fields]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        if statement.returns_pk:
            if connection.features.can_return_columns_from_insert:
                row = cursor.fetchone()
                assert row is not None
                obj.pk = row[0]
            else:
                obj.pk = cursor.lastrowid
    obj._state.adding = False
    obj._state.db = alias


def _compose_insert(model: type[models.Model], alias: str, auto_pk: bool) -> _Insert:
    connection = connections[alias]
    meta = model._meta
    assert meta.pk is not None
    fields = [f for f in meta.local_concrete_fields if not (auto_pk and f is meta.pk)]
    placeholders = []
    for f in fields:
        if isinstance(f, models.BinaryField):  # as the ORM writes it on this database
            placeholders.append(cast(Any, f).get_placeholder(None, None, connection))
        elif hasattr(f, "get_placeholder") or f.generated:
            raise ValueError(f"{meta.label}.{f.name}: an insert cannot be composed for it")
        else:
            placeholders.append("%s")
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(str(f.column)) for f in fields)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(placeholders)})"
    )
    if auto_pk and connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(str(meta.pk.column))}"
    statement = _Insert(sql, fields, auto_pk)
    _inserts[(model, alias, auto_pk)] = statement
    return statement
