"""Bulk import of elders against a registration committed by another user meanwhile: all or none.

Its own module: it commits (a second connection must see the rows), so it cannot share
tests/elders/test_import.py's world built once inside a transaction."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from tests.elders.test_import import GOOD_A, GOOD_B, preview, xlsx_file
from zhucan.core.errors import DomainError
from zhucan.elders import import_services, services
from zhucan.elders.models import Elder, ImportStatus


@pytest.fixture
def admin(world):
    return world.users["district_admin"]


def _wait_until_waiting_for_a_lock(worker: threading.Thread) -> None:
    """Until the worker's transaction waits for ours (PostgreSQL shows it; SQLite has no such view,
    and its write transactions run one at a time whatever the timing)."""
    deadline = time.monotonic() + 60
    while worker.is_alive() and time.monotonic() < deadline:
        if connection.vendor != "postgresql":
            time.sleep(0.3)
            return
        with connection.cursor() as cursor:
            # Inside a transaction (ours is open) PostgreSQL answers from the activity snapshot it took
            # at the first look until told to take a new one: without this the worker's wait would
            # only be seen at the deadline.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_concurrent_registration_rolls_back_everything(world, admin):
    """Another user registers 乙 in a transaction that commits while the import of 甲 and 乙 is
    being confirmed. On PostgreSQL the confirm has already read the registry: the unique index stops
    its insert and the whole import rolls back (ELDER_IMPORT_CONFLICT) until it is confirmed again.
    SQLite runs write transactions one at a time: the confirm waits, then skips 乙."""
    rows = [["甲", GOOD_A, "保俶社区"], ["乙", GOOD_B, "保俶社区"]]
    batch, _report = preview(admin, xlsx_file(["姓名", "身份证号", "所属社区"], rows))
    before = Elder.objects.count()
    outcome: dict = {}

    def confirm():
        try:
            outcome["batch"] = import_services.elder_import_confirm(actor=admin, batch_id=batch.pk)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    with transaction.atomic():
        services.elder_register(actor=admin, data=services.ElderData(name="乙", id_number=GOOD_B,
                                                                     community=world.xihu_c1))
        worker = threading.Thread(target=confirm)
        worker.start()
        _wait_until_waiting_for_a_lock(worker)
    worker.join(timeout=60)
    assert not worker.is_alive()
    if connection.vendor == "postgresql":
        assert isinstance(outcome.get("error"), DomainError), outcome
        assert outcome["error"].code == "ELDER_IMPORT_CONFLICT"
        assert Elder.objects.count() == before + 1  # 乙, by the other user; nothing of the import
        batch.refresh_from_db()
        assert batch.status == ImportStatus.PREVIEWED
        assert import_services.elder_import_confirm(actor=admin, batch_id=batch.pk).imported_count == 1
    else:
        assert "error" not in outcome and outcome["batch"].imported_count == 1
    assert Elder.objects.count() == before + 2
    for number in (GOOD_A, GOOD_B):
        assert Elder.objects.filter(id_number_index=services.id_number_index(number)).count() == 1
