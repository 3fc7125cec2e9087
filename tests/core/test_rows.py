"""core.rows: model instances from raw rows, as the ORM would load them."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import make_elder
from zhucan.core import rows
from zhucan.elders.models import Elder


def _row(elder_id: int, names=None):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {rows.columns(Elder, 'e', names)} FROM elders_elder e WHERE e.id = %s", [elder_id])
        return cur.fetchone()


def test_build_gives_what_the_orm_loads(world):
    elder = make_elder(world.xihu_c1, name="张三")
    built = rows.build(Elder, _row(elder.pk))
    orm = Elder.objects.get(pk=elder.pk)
    assert not built._state.adding and built._state.db == "default"
    for f in Elder._meta.concrete_fields:
        assert getattr(built, f.attname) == getattr(orm, f.attname), f.name  # converters applied (dates on SQLite)
    assert built == orm and built.get_deferred_fields() == set()


def test_fields_not_read_are_deferred_and_load_on_access(world):
    elder = make_elder(world.xihu_c1, name="李四")
    built = rows.build(Elder, _row(elder.pk, ("id", "name")), ("id", "name"))
    assert built.name == "李四"
    assert "birth_date" in built.get_deferred_fields()
    assert built.birth_date == elder.birth_date  # loaded from the database on first access
    assert "birth_date" not in built.get_deferred_fields()


def test_a_row_of_the_wrong_width_is_refused(world):
    elder = make_elder(world.xihu_c1, name="王五")


    with pytest.raises(ValueError, match="values for"):
        rows.build(Elder, _row(elder.pk)[:-1])


def test_models_with_post_init_receivers_take_from_db(world):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Elder)
    try:
        built = rows.loaded(Elder, ("id", "name"), (1, "赵六"))
    finally:
        post_init.disconnect(receiver, sender=Elder)
    assert seen == [built] and built.name == "赵六" and not built._state.adding
