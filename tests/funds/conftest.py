"""Funds fixtures: Liaocheng canteens and users, and cheap ledger rows for meal counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

import pytest

from tests.conftest import make_canteen, make_elder, make_user

_receipts = count(1)


@pytest.fixture
def lc(world):
    """Liaocheng: a second district beside the development zone, users per role, two canteens."""
    return build_lc(world)


@pytest.fixture(scope="module")
def _lc_once(module_world):
    return build_lc(module_world)


@pytest.fixture
def lc_in_savepoint(_lc_once, db, monkeypatch):
    """`lc` built once per module (tests/conftest.py module_world), each test in a savepoint of it;
    the test's own elders take ID-number sequences from 10 on, clear of the world's."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "_seq", iter(range(10, 10_000_000)))
    return _lc_once


def build_lc(w):
    from tests.conftest import make_region

    w.lc_other = make_region("371502", "东昌府区", "district", w.lc, "urban")
    w.lc_other_sub = make_region("371502001", "古楼街道", "subdistrict", w.lc_other)
    w.lc.policy_id = "liaocheng"
    w.lc.save()
    w.new_build = make_canteen(w.lc_sub, "蒋官屯街道幸福食堂", canteen_type="community_new_build",
                               opening_date=date(2022, 9, 1))
    w.upgrade = make_canteen(w.lc_sub, "北城街道幸福食堂", canteen_type="upgrade", opening_date=date(2022, 10, 15))
    w.branded = make_canteen(w.lc_sub, "物流产业园区幸福食堂", canteen_type="enterprise_branded",
                             opening_date=date(2022, 12, 1))
    w.foreign = make_canteen(w.lc_other_sub, "古楼街道幸福食堂", canteen_type="upgrade", opening_date=date(2022, 1, 1))
    w.lc_users = {
        "city_admin": w.other["city_admin"],  # lc_city
        "district_admin": make_user("kfq_admin", "district_admin", region=w.lc_zone),
        "subdistrict_staff": make_user("jgt_staff", "subdistrict_staff", region=w.lc_sub),
        "canteen_manager": make_user("jgt_mgr", "canteen_manager", canteen=w.new_build),
        "cashier": make_user("jgt_cashier", "cashier", canteen=w.new_build),
        "auditor": make_user("kfq_auditor", "auditor", region=w.lc_zone),
    }
    w.other_district_admin = make_user("dcf_admin", "district_admin", region=w.lc_other)
    w.other_manager = make_user("gl_mgr", "canteen_manager", canteen=w.foreign)
    return w


def add_meals(canteen, elder, n: int, day: date, *, reversals: int = 0, non_elder: int = 0):
    """Write `n` elder sales (the first `reversals` of them voided) and `non_elder` anonymous sales on
    `day`, straight into the ledger: valid rows (the table's constraints still check them), no
    checkout. One prepared INSERT run over plain tuples: thousands of rows cost milliseconds, not
    a model instance each."""
    from django.db import connection

    from zhucan.checkout.models import Meal

    at = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
    base = Meal.objects.filter(canteen=canteen).count()
    fields = [f for f in Meal._meta.concrete_fields if not f.primary_key]
    varying = ("elder_id", "receipt_no", "idempotency_key", "chain_seq", "reverses_id")
    columns = [f.column for f in fields if f.attname not in varying] + list(varying)
    table = connection.ops.quote_name(Meal._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")

    def constant(kind):
        """Every column but the varying ones, prepared once for the database by the model's fields."""
        sign = 1 if kind == "sale" else -1
        template = Meal(canteen=canteen, kind=kind, at=at, local_date=day, gross_fen=sign * 1200,
                        benefit_fen=sign * 200, payable_fen=sign * 1000, benefit_city_fen=sign * 100,
                        benefit_district_fen=sign * 100, settle_month=day.replace(day=1),
                        request_digest="0" * 64, prev_hash="0" * 64, record_hash="0" * 64, created_at=at)
        return tuple(f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields
                     if f.attname not in varying)

    def rows(kind, whos, reverses):
        fixed = constant(kind)
        out = []
        for who, reversed_id in zip(whos, reverses, strict=True):
            k = next(_receipts)
            out.append((*fixed, who, f"T{k:012d}", f"k{k}", base + len(out) + 1, reversed_id))
        return out

    elder_id = elder.pk if elder is not None else None
    sales = rows("sale", [elder_id] * n + [None] * non_elder, [None] * (n + non_elder))
    with connection.cursor() as cursor:
        cursor.executemany(sql, sales)
        if reversals:
            voided = list(Meal.objects.filter(canteen=canteen, chain_seq__gt=base, chain_seq__lte=base + reversals)
                          .order_by("chain_seq").values_list("id", flat=True))
            base += len(sales)
            cursor.executemany(sql, rows("void", [elder_id] * reversals, voided))


@pytest.fixture
def lc_elder(lc):
    return make_elder(lc.lc_c1, birth=date(1945, 3, 15), name="王桂兰")
