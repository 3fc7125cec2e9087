"""Shared fixtures: a small two-city tree, one user per role on each side, canteens and elders.

`world` builds everything once per test (fast: a few dozen rows) and returns a namespace:
  world.hz (city), world.xihu / world.shangcheng (districts), world.xihu_sub / world.sc_sub
  (subdistricts), world.xihu_c1 / world.xihu_c2 / world.sc_c1 (communities), world.lc (Liaocheng)…
  world.users["district_admin"] → user of 西湖区; world.other["district_admin"] → of 上城区.
"""

from __future__ import annotations

import itertools
import os
import sys
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from zhucan.core.idnumber import make_id_number

PASSWORD = "Zhucan-test-2025"


# Fixtures through which a test reaches a database (item.fixturenames is the whole closure, so a test
# using `world` or `client` with a login counts).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                      "live_server", "django_db_setup"}


def _uses_database(item) -> bool:
    return bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("django_db")


def pytest_collection_modifyitems(config, items):
    """`make test` runs the suite twice, on SQLite and on PostgreSQL, side by side. A test that touches
    no database (the policy engine, money, ID numbers, the production server on its own file, the
    Makefile) would only repeat itself in the second half: with ZHUCAN_TEST_HALF=postgres (set by
    `make test-postgres`) those are deselected, and they run in the SQLite half."""
    if os.environ.get("ZHUCAN_TEST_HALF") != "postgres":
        return
    database_free = [item for item in items if not _uses_database(item)]
    if database_free:
        config.hook.pytest_deselected(items=database_free)
        items[:] = [item for item in items if _uses_database(item)]


def make_region(code, name, level, parent=None, area=""):
    from zhucan.regions.models import Region

    return Region.objects.create(code=code, name=name, level=level, parent=parent, area=area)


_seq = iter(range(1, 10_000_000))


def make_elder(community, *, birth=date(1945, 3, 15), sex="F", name="测试老人", actor=None, **extra):
    """An elder registered through the service (encrypted ID, blind index, audit row)."""
    from zhucan.elders.services import ElderData, elder_register

    number = make_id_number(community.code[:6], birth, next(_seq) % 500, sex)
    data = ElderData(name=name, id_number=number, community=community, **extra)
    elder = elder_register(actor=actor or _system_user(), data=data)
    elder.plain_id_number = number
    return elder


def bind_card(elder, number: str):
    """Give an elder an active citizen card (through the card service, as staff would)."""
    from zhucan.identity.services import card_bind

    return card_bind(actor=_system_user(), elder_id=elder.pk, number=number)


def _system_user():
    from zhucan.accounts.models import User

    user, _ = User.objects.get_or_create(username="system-superuser", defaults={"is_superuser": True,
                                                                                "is_staff": True})
    return user


def make_user(username, role, *, region=None, canteen=None, password=PASSWORD):
    from zhucan.accounts.models import User

    user = User(username=username, role=role, region=region, canteen=canteen, display_name=username)
    user.set_password(password)
    user.save()
    return user


# Fixture canteens are designated from a date before every test's meals (benefits need it, HZ-8).
# The tests of the designation lifecycle itself start from canteens not designated yet
# (tests/filing/conftest.py sets "from" to None).
DESIGNATED_FROM = date(2020, 1, 1)
fixture_designation = {"from": DESIGNATED_FROM}
_FIXTURE_DEFAULT = object()


def designate(canteen, start=DESIGNATED_FROM, end=None):
    """Open a designated span for a fixture canteen directly (the filing workflow is tested in
    tests/filing); moves the canteen's config_version as the filing services do."""
    from zhucan.canteens.models import DesignatedSpan
    from zhucan.canteens.services import canteen_touch

    DesignatedSpan.objects.create(canteen=canteen, start=start, end=end)
    canteen_touch(canteen.pk)
    canteen.refresh_from_db(fields=["config_version"])
    return canteen


def make_canteen(region, name, *, designated_from=_FIXTURE_DEFAULT, **extra):
    """A canteen created through the service; designated from `designated_from` (None: not designated;
    by default from the fixtures' date)."""
    from zhucan.canteens.services import canteen_create

    values = {"name": name, "operator": f"{name}运营公司", "canteen_type": "community_new_build",
              "area": "urban", "region": region, "address": f"{region.name}1号", "seats": 40,
              "floor_area_m2": 320, "status": "open"}
    values.update(extra)
    canteen = canteen_create(actor=_system_user(), values=values)
    if designated_from is _FIXTURE_DEFAULT:
        designated_from = fixture_designation["from"]
    if designated_from is not None:
        designate(canteen, designated_from)
    return canteen


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a whole module, rolled back when the module ends. Module-scoped
    fixtures that depend on it build their data once (a demo seed, the world); every test still runs
    in its own savepoint of it (the function-scoped `db` fixture, which the test must request), so
    what a test writes is gone before the next one. Only for data the tests read and never change in
    memory, and not in a module with transactional tests (a live server, threads or other processes
    cannot see uncommitted rows, and their flush would empty the module's data)."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def module_world(module_db):
    """`world` built once for the module (see module_db); its elders take ID numbers 1 and 2 of a
    fresh sequence, so a test's own elders should start their numbers at 10."""
    global _seq
    outer, _seq = _seq, iter(range(1, 10))
    try:
        w = build_world()
    finally:
        _seq = outer
    return w


@pytest.fixture(autouse=True)
def _elder_numbers_clear_of_the_module_world(request, monkeypatch):
    """A test on a module's world (module_world, whose elders took sequence numbers 1 and 2) makes its
    own elders from 10 up: the process-wide sequence wraps every 500 (make_id_number's range) and
    could otherwise give a test's elder the ID number of one of the world's."""
    if "module_world" in request.fixturenames:
        monkeypatch.setattr(sys.modules[__name__], "_seq", itertools.cycle(range(10, 500)))


@pytest.fixture
def world_in_savepoint(module_world, db):
    """`world` built once per module (module_world), this test in a savepoint of it."""
    return module_world


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.hz = make_region("330100", "杭州市", "city")
    w.hz.policy_id = "hangzhou"
    w.hz.save()
    w.xihu = make_region("330106", "西湖区", "district", w.hz, "urban")
    w.shangcheng = make_region("330102", "上城区", "district", w.hz, "urban")
    w.xihu_sub = make_region("330106001", "北山街道", "subdistrict", w.xihu)
    w.xihu_sub2 = make_region("330106002", "西溪街道", "subdistrict", w.xihu)
    w.sc_sub = make_region("330102001", "湖滨街道", "subdistrict", w.shangcheng)
    w.xihu_c1 = make_region("330106001001", "保俶社区", "community", w.xihu_sub)
    w.xihu_c2 = make_region("330106002001", "西溪社区", "community", w.xihu_sub2)
    w.sc_c1 = make_region("330102001001", "东坡社区", "community", w.sc_sub)
    w.lc = make_region("371500", "聊城市", "city")
    w.lc_zone = make_region("371571", "聊城经济技术开发区", "district", w.lc, "urban")
    w.lc_sub = make_region("371571001", "蒋官屯街道", "subdistrict", w.lc_zone)
    w.lc_c1 = make_region("371571001001", "蒋官屯社区", "community", w.lc_sub)

    w.canteen = make_canteen(w.xihu_sub, "北山长者食堂")
    w.other_canteen = make_canteen(w.sc_sub, "湖滨长者食堂")
    w.users = {
        "city_admin": make_user("hz_city", "city_admin", region=w.hz),
        "district_admin": make_user("xihu_admin", "district_admin", region=w.xihu),
        "subdistrict_staff": make_user("beishan_staff", "subdistrict_staff", region=w.xihu_sub),
        "canteen_manager": make_user("beishan_mgr", "canteen_manager", canteen=w.canteen),
        "cashier": make_user("beishan_cashier", "cashier", canteen=w.canteen),
        "auditor": make_user("xihu_auditor", "auditor", region=w.xihu),
    }
    # The same roles on the other side of a jurisdiction boundary.
    w.other = {
        "city_admin": make_user("lc_city", "city_admin", region=w.lc),
        "district_admin": make_user("sc_admin", "district_admin", region=w.shangcheng),
        "subdistrict_staff": make_user("hubin_staff", "subdistrict_staff", region=w.sc_sub),
        "canteen_manager": make_user("hubin_mgr", "canteen_manager", canteen=w.other_canteen),
        "cashier": make_user("hubin_cashier", "cashier", canteen=w.other_canteen),
        "auditor": make_user("sc_auditor", "auditor", region=w.shangcheng),
    }
    w.elder = make_elder(w.xihu_c1, name="张秀英")
    w.other_elder = make_elder(w.sc_c1, name="李桂兰")
    return w


@pytest.fixture
def menu(world):
    """A menu at 北山长者食堂 (one dish off sale) and one dish at 湖滨长者食堂 ("other:套餐")."""
    from zhucan.canteens.models import Dish

    dishes = {
        "套餐": Dish.objects.create(canteen=world.canteen, name="套餐", price_fen=1500),
        "米饭": Dish.objects.create(canteen=world.canteen, name="米饭", price_fen=100),
        "红烧肉": Dish.objects.create(canteen=world.canteen, name="红烧肉", price_fen=2000),
        "停售菜": Dish.objects.create(canteen=world.canteen, name="停售菜", price_fen=800, active=False),
    }
    other = Dish.objects.create(canteen=world.other_canteen, name="套餐", price_fen=1500)
    dishes["other:套餐"] = other
    return dishes


@pytest.fixture
def frozen_clock(monkeypatch):
    """Freeze zhucan.core.clock at a given aware moment: `frozen_clock(datetime(...))`."""
    from zhucan.core import clock

    def freeze(moment: datetime):
        monkeypatch.setattr(clock, "now", lambda: moment)
        monkeypatch.setattr(clock, "real_now", lambda: moment)
        return moment

    return freeze


def _flush_by_delete(truncate):
    """PostgreSQL's flush as DELETE FROM every table instead of one TRUNCATE of all of them.

    After every transactional test (a live server, threads, other processes) pytest-django empties the
    database with Django's flush. TRUNCATE gives each of the ~120 tables and their indexes new files,
    seconds on a loaded machine; deleting the few dozen rows a test left takes milliseconds. Django's
    foreign keys on PostgreSQL are DEFERRABLE INITIALLY DEFERRED (tests/core/test_flush.py checks it),
    so the order of the deletes inside flush's one transaction does not matter. Resetting sequences or
    cascading to tables not named still go through TRUNCATE."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [" ".join(f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
                         for table in tables)]

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _postgresql_flush_by_delete():
    from django.db.backends.postgresql.operations import DatabaseOperations

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _flush_by_delete(DatabaseOperations.sql_flush))
        yield


@pytest.fixture(autouse=True)
def _fresh_checkout_context():
    """Tests create dishes and periods directly (bypassing the services that move a canteen's
    config_version), and database ids repeat between tests: start each with an empty cache."""
    from zhucan.checkout import context

    context.forget()
    yield
    context.forget()


def login(client, user):
    client.force_login(user)
    return client
