"""The audit log reads the rows of the apps merged in the second batch (alerts, inspections) in
Chinese: action names, the people and the objects involved by name, not raw codes or ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.conftest import login


def test_audit_page_names_the_new_apps_actions(world, client, frozen_clock):
    from zhucan.alerts.services import alert_assign, alert_raise
    from zhucan.inspections import services as inspections

    frozen_clock(datetime(2025, 6, 10, 3, 30, tzinfo=UTC))
    district = world.users["district_admin"]
    inspections.inspector_add(actor=district, region_id=world.xihu.pk, user_id=district.pk)
    inspections.checklist_standard(actor=district, region_id=world.xihu.pk)
    alert = alert_raise(rule="elder.after_status", occurred_at=datetime(2025, 6, 10, 3, 0, tzinfo=UTC),
                        title="老人身故后仍有就餐记录", canteen=world.canteen, elder=world.elder,
                        dedupe_key="labels-test")
    alert_assign(actor=district, alert_id=alert.pk, assignee_id=district.pk, note="请核实")

    login(client, world.users["city_admin"])
    response = client.get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    visible = re.sub(r"<details class=\"technical\">.*?</details>", "", html, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", visible, flags=re.S))
    for label in ("增加检查人员", "设置检查事项", "生成预警", "预警指派"):
        assert label in visible, label
    for code in ("alerts.assign", "alerts.raise", "inspections.inspector_add", "inspections.checklist"):
        assert code not in visible, code
    assert district.display_name in visible
    # The filter offers the new groups in Chinese, and filtering by one keeps only its rows.
    assert "预警" in visible and "监督检查" in visible
    only = client.get("/audit/?group=alerts").content.decode()
    assert "预警指派" in only and "增加检查人员" not in only
