"""The elders' coverage facts (elders.ElderReach): kept by the database's triggers from every write
of the registry and of the elder × month roll-up, rebuilt and verified from them, and the
"ate in a range" condition coverage and the not-reached list read from them."""

from __future__ import annotations

import importlib
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.analytics.conftest import sell
from tests.conftest import _system_user, make_elder
from zhucan.analytics import selectors
from zhucan.analytics.reached import ate_in_range, month_masks
from zhucan.checkout import rollups
from zhucan.checkout.models import ElderMonthRollup
from zhucan.checkout.reach import reach_refresh, reach_verify
from zhucan.elders.models import Elder, ElderReach, ElderStatus, Tag, month_number
from zhucan.elders.services import ElderData, elder_update, elder_verify


def _reach(elder) -> ElderReach:
    return ElderReach.objects.get(pk=elder.pk)


@pytest.mark.django_db
def test_the_registry_half_follows_every_change(world):
    elder = make_elder(world.xihu_c1, birth=date(1944, 7, 1), name="钱八十")
    row = _reach(elder)
    assert (row.community_id, row.region_path, row.name, row.birth_date) == (
        world.xihu_c1.pk, world.xihu_c1.path, "钱八十", date(1944, 7, 1))
    assert (row.eligible, row.tag_ids, row.month, row.months_mask) == (False, "", None, 0)  # not verified yet

    elder_verify(actor=_system_user(), elder_id=elder.pk, approve=True)
    assert _reach(elder).eligible is True
    alone, poor = Tag.objects.get(code="living_alone"), Tag.objects.get(code="dibao")
    Elder.objects.get(pk=elder.pk).tags.add(poor, alone)
    assert _reach(elder).tag_ids == f",{min(alone.pk, poor.pk)},{max(alone.pk, poor.pk)},"
    Elder.objects.get(pk=elder.pk).tags.remove(poor)
    assert _reach(elder).tag_ids == f",{alone.pk},"

    # A move and a new name through the service; then death, then erasure, each by itself.
    elder_update(actor=_system_user(), elder_id=elder.pk,
                 data=ElderData(name="钱八十一", id_number="", community=world.xihu_c2, tag_codes=("living_alone",)))
    row = _reach(elder)
    assert (row.community_id, row.region_path, row.name, row.eligible) == (
        world.xihu_c2.pk, world.xihu_c2.path, "钱八十一", True)
    assert reach_verify() == (ElderReach.objects.count(), [])
    Elder.objects.filter(pk=elder.pk).update(status=ElderStatus.DECEASED, status_since=date(2025, 6, 1))
    assert _reach(elder).eligible is False
    Elder.objects.filter(pk=elder.pk).update(status=ElderStatus.ACTIVE, status_since=None)
    assert _reach(elder).eligible is True
    Elder.objects.filter(pk=elder.pk).update(erased_at=datetime(2025, 6, 10, tzinfo=UTC))
    assert _reach(elder).eligible is False
    assert reach_verify() == (ElderReach.objects.count(), [])


def test_meals_through_the_checkout_reach_the_facts(ledger):
    # A ate 05-30, 06-02; 06-03 voided. B's 06-05 refunded. E last ate 05-01.
    a, b, e = _reach(ledger.a), _reach(ledger.b), _reach(ledger.e)
    june = month_number(date(2025, 6, 1))
    assert (a.month, a.months_mask, a.days_mask, a.prev_days_mask) == (june, 0b11, 1 << 1, 1 << 29)
    assert (b.month, b.months_mask, b.days_mask) == (june, 0, 0)  # a row for June, no day left
    assert (e.month, e.months_mask, e.days_mask, e.prev_days_mask) == (june - 1, 1, 1, 0)
    assert _reach(ledger.d).month is None
    assert reach_verify()[1] == []


def test_a_tampered_fact_is_found_and_rebuilt(ledger):
    ElderReach.objects.filter(pk=ledger.a.pk).update(days_mask=0)
    ElderReach.objects.filter(pk=ledger.c.pk).update(name="改过的名字")
    _rows, problems = reach_verify()
    assert {(p.elder_id, p.what) for p in problems} == {
        (ledger.a.pk, "differ from the month roll-up"), (ledger.c.pk, "differ from the registry")}
    with pytest.raises(CommandError, match="coverage facts disagree"):
        call_command("ledger", "verify")
    rollups.rollups_rebuild()  # rewrites the eating half; the name is the registry's to give back
    assert [p.elder_id for p in reach_verify()[1]] == [ledger.c.pk]
    Elder.objects.filter(pk=ledger.c.pk).update(name="陈七五")
    assert reach_verify()[1] == []
    assert _reach(ledger.a).days_mask == 1 << 1


def test_coverage_reads_the_same_after_a_rebuild(ledger, menu):
    user = ledger.users["district_admin"]
    before = selectors.coverage(user=user, start=date(2025, 5, 1), end=date(2025, 6, 10))
    rollups.rollups_rebuild()
    after = selectors.coverage(user=user, start=date(2025, 5, 1), end=date(2025, 6, 10))
    assert before == after
    assert (after.total.eligible, after.total.reached) == (5, 3)  # A, C and E; B refunded, D never
    sell(ledger.canteen, ledger.d, menu["套餐"], "d1", "2025-06-10 11:30")
    assert selectors.coverage(user=user, start=date(2025, 6, 10), end=date(2025, 6, 10)).total.reached == 1
    assert ledger.d.pk not in {r.pk for r in selectors.not_reached(user=user, today=date(2025, 6, 10))}


# ---- the trigger's arithmetic against the month rows, over 40 months and any range ----------------

FIRST = date(2023, 1, 1)


def _write(elder, community, day: date, mask: int) -> None:
    """The checkout's own statement for the elder's month row (set or clear the day's bit)."""
    with connection.cursor() as cur:
        cur.execute(rollups.ELDER_MONTH_SQL[connection.vendor], {
            "elder_id": elder.pk, "r_day": day, "r_community": community.pk, "r_mask": mask, "kind": "sale",
            "benefit_fen": 0})


def _eaten_days(elder_id: int) -> set[date]:
    days = set()
    for month, mask in ElderMonthRollup.objects.filter(elder_id=elder_id).values_list("month", "days_mask"):
        days |= {month + timedelta(days=d) for d in range(31) if mask >> d & 1}
    return days


def _ate(elder_id: int, start: date, end: date, today: date | None = None) -> bool:
    sql, params = ate_in_range(start, end, table="f", today=today)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sql} FROM elders_elderreach f WHERE f.elder_id = %s", [*params, elder_id])
        return bool(cur.fetchone()[0])


@pytest.mark.django_db
def test_any_range_reads_what_the_month_rows_hold(world):
    rng = random.Random(20261207)
    elders = [make_elder(world.xihu_c1, name=f"老人{i}") for i in range(3)]
    span = (date(2026, 4, 30) - FIRST).days
    for _step in range(160):
        elder = rng.choice(elders)
        day = FIRST + timedelta(days=rng.randrange(span))
        eaten = day in _eaten_days(elder.pk)
        _write(elder, world.xihu_c1, day, -1 if eaten and rng.random() < 0.4 else (0 if eaten else 1))
        if rng.random() < 0.03:  # a rebuild deletes a month's rows and writes them again
            month = day.replace(day=1)
            kept = list(ElderMonthRollup.objects.filter(month=month).values())
            ElderMonthRollup.objects.filter(month=month).delete()
            ElderMonthRollup.objects.bulk_create([ElderMonthRollup(**row) for row in kept])
    assert reach_verify()[1] == []
    ranges = [(FIRST, FIRST + timedelta(days=40)), (date(2026, 4, 1), date(2026, 4, 30)),
              (date(2026, 3, 3), date(2026, 4, 2)), (date(2025, 12, 31), date(2026, 4, 29))]
    for _ in range(60):
        start = FIRST + timedelta(days=rng.randrange(span))
        ranges.append((start, start + timedelta(days=rng.choice([0, 6, 29, 30, 45, 120, 364, 399]))))
    for elder in elders:
        days = _eaten_days(elder.pk)
        assert days, "the sequence should have left meals"
        for start, end in ranges:
            assert _ate(elder.pk, start, end) == any(start <= d <= end for d in days), (elder.pk, start, end)
            # Knowing that no meal is dated after the last day written, the recent ranges need no
            # fallback; the answer is the same.
            assert _ate(elder.pk, start, end, today=date(2026, 4, 30)) == any(start <= d <= end for d in days)
    # A fresh count from the month rows answers the same (the triggers' state may keep a later
    # latest month after a deletion; both read alike).
    reach_refresh()
    assert reach_verify()[1] == []
    for elder in elders:
        days = _eaten_days(elder.pk)
        for start, end in ranges:
            assert _ate(elder.pk, start, end) == any(start <= d <= end for d in days)


def test_month_masks_cover_the_range_exactly():
    masks = month_masks(date(2024, 1, 31), date(2024, 3, 1))
    assert masks == [(date(2024, 1, 1), 1 << 30), (date(2024, 2, 1), (1 << 29) - 1), (date(2024, 3, 1), 1)]


# ---- the migrations on a database with elders, tags and meals ---------------------------------------

FACTS = ("community_id", "region_path", "name", "birth_date", "eligible", "tag_ids", "month", "months_mask",
         "days_mask", "prev_days_mask")


@pytest.fixture
def standard_tags(transactional_db):
    """The tags the elders' data migration writes: a flush after an earlier transactional test
    emptied the table, and the fixture below tags its elders."""
    for code, name in importlib.import_module("zhucan.elders.migrations.0002_standard_tags").STANDARD_TAGS:
        Tag.objects.get_or_create(code=code, defaults={"name": name})


@pytest.mark.django_db(transaction=True)
def test_the_migrations_fill_the_facts_of_elders_already_there(standard_tags, ledger):
    from tests.migrations import migrate, returning_to_latest

    kept = {r["elder_id"]: r for r in ElderReach.objects.values("elder_id", *FACTS)}
    assert kept[ledger.a.pk]["tag_ids"] and kept[ledger.a.pk]["months_mask"]  # tags and meals to fill
    with returning_to_latest():
        migrate([("elders", "0007_eligible_cover")])  # before the facts (checkout 0010 undone with it)
        with connection.cursor() as cur:
            assert "elders_elderreach" not in connection.introspection.table_names(cur)
        migrate([("elders", "0009_drop_eligible_cover"), ("checkout", "0010_elder_reach_months")])
        assert {r["elder_id"]: r for r in ElderReach.objects.values("elder_id", *FACTS)} == kept
        assert reach_verify()[1] == []
