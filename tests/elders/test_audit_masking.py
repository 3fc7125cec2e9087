"""The elder's card number is personal data: the audit log (read by auditors and administrators on
the elder's page) keeps it masked, on registration and on every change."""

from __future__ import annotations

from datetime import date

from zhucan.core.idnumber import make_id_number
from zhucan.core.models import AuditLog
from zhucan.elders.services import ElderData, elder_register


def test_card_number_is_masked_in_the_audit_log(world):
    staff = world.users["subdistrict_staff"]
    number = make_id_number("330106", date(1948, 2, 3), 415, "F")
    elder = elder_register(actor=staff, data=ElderData(name="周阿婆", id_number=number, community=world.xihu_c1,
                                                     citizen_card_number="330100556677889900"))
    rows = AuditLog.objects.filter(object_type__in=["elders.elder", "identity.citizencard"]).order_by("id")
    text = " ".join(str(r.before) + str(r.after) for r in rows)
    assert "330100556677889900" not in text
    assert rows.get(action="elder.create", object_id=str(elder.pk)).after["citizen_card_number"] == \
        "3301**********9900"
