"""The elder's card number is personal data: the audit log (read by auditors and administrators on
the elder's page) keeps it masked, on registration and on every change."""

from __future__ import annotations

from datetime import date

from zhucan.core.idnumber import make_id_number
from zhucan.core.models import AuditLog
from zhucan.elders.services import ElderData, elder_register, elder_update


def test_card_number_is_masked_in_the_audit_log(world):
    staff = world.users["subdistrict_staff"]
    number = make_id_number("330106", date(1948, 2, 3), 415, "F")
    elder = elder_register(actor=staff, data=ElderData(name="周阿婆", id_number=number, community=world.xihu_c1,
                                                     citizen_card_number="330100556677889900"))
    elder_update(actor=staff, elder_id=elder.pk, data=ElderData(
        name="周阿婆", id_number="", community=world.xihu_c1, citizen_card_number="330100112233445566"))
    rows = AuditLog.objects.filter(object_type="elders.elder", object_id=str(elder.pk)).order_by("id")
    assert [r.action for r in rows] == ["elder.create", "elder.update"]
    text = " ".join(str(r.before) + str(r.after) for r in rows)
    assert "330100556677889900" not in text and "330100112233445566" not in text
    assert rows[0].after["citizen_card_number"] == "3301**********9900"
    assert rows[1].before["citizen_card_number"] == "3301**********9900"
    assert rows[1].after["citizen_card_number"] == "3301**********5566"
