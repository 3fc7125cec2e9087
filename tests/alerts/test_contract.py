"""The contract other apps code against: register_rule, alert_raise (idempotent), open_alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zhucan.alerts import rules
from zhucan.alerts.models import Alert
from zhucan.alerts.selectors import open_alerts
from zhucan.alerts.services import alert_raise
from zhucan.core.errors import DomainError
from zhucan.core.models import AuditLog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def camera_rule():
    rules.register_rule("test.camera", title_zh="测试摄像头", title_en="test camera", defaults={"minutes": 5})
    yield "test.camera"
    rules.RULES.pop("test.camera", None)


def test_raise_is_idempotent_placed_in_the_canteens_area_and_audited(world, camera_rule):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    first = alert_raise(rule=camera_rule, occurred_at=at, title="就餐区画面异常", canteen=world.canteen,
                        details={"通道": "就餐区1"}, dedupe_key="cam:1:2026-03-02", snapshot=PNG)
    again = alert_raise(rule=camera_rule, occurred_at=at, title="另一个标题", canteen=world.canteen.pk,
                        dedupe_key="cam:1:2026-03-02")
    assert again.pk == first.pk and Alert.objects.count() == 1
    assert first.district == world.xihu and first.region_path == world.xihu_sub.path
    assert first.snapshot_content_type == "image/png" and first.local_date.isoformat() == "2026-03-02"
    assert AuditLog.objects.filter(action="alerts.raise", object_id=str(first.pk)).count() == 1
    # The district and the canteen's subdistrict see it; the other district and canteen staff do not.
    assert [a.pk for a in open_alerts(world.users["district_admin"])] == [first.pk]
    assert [a.pk for a in open_alerts(world.users["subdistrict_staff"])] == [first.pk]
    assert [a.pk for a in open_alerts(world.users["city_admin"])] == [first.pk]
    assert open_alerts(world.other["district_admin"]) == []
    assert open_alerts(world.users["canteen_manager"]) == []


def test_raise_refuses_an_unknown_rule_and_a_snapshot_that_is_not_an_image(world, camera_rule):
    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with pytest.raises(DomainError) as exc:
        alert_raise(rule="no.such.rule", occurred_at=at, title="x", dedupe_key="k1")
    assert exc.value.code == "ALERT_RULE_UNKNOWN"
    with pytest.raises(DomainError) as exc:
        alert_raise(rule=camera_rule, occurred_at=at, title="x", dedupe_key="k2", snapshot=b"GIF89a....")
    assert exc.value.code == "ALERT_SNAPSHOT"
    assert Alert.objects.count() == 0
