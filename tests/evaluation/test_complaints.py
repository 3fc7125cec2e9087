"""Complaints and suggestions (issue #18 item 2): received from the phone page, the public canteen
page (anonymous, with a contact number) or staff on a call; assigned by the district, answered by
the canteen, closed by the district with the complainant's satisfaction; deadlines in working days
on an injected clock; overdue cases escalated to the city once; every step audited."""

from __future__ import annotations

from datetime import date

import pytest

from tests.evaluation.conftest import ELDER_PHONE, at, h5_login, listed, meal
from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.evaluation import selectors, services
from zhucan.evaluation.models import Complaint
from zhucan.evaluation.tasks import complaints_escalate_task


def _public(world, client, **data):
    if not hasattr(world.canteen, "designation"):
        listed(world.canteen)
    body = {"kind": "complaint", "text": "菜是凉的", "contact_phone": "13712345678", **data}
    return client.post(f"/public/canteens/{world.canteen.pk}/complaint/", body)


def test_the_lifecycle_with_deadlines_escalation_and_timeliness(world, client, frozen_clock):
    # Thursday 2025-06-05: answer within 3 working days → Tue 10th, close within 7 → Mon 16th (23:59:59)
    frozen_clock(at("2025-06-05 10:00"))
    response = _public(world, client)
    assert response.status_code == 200
    c = Complaint.objects.get()
    assert c.code in response.content.decode() and "137****5678" in response.content.decode()
    assert "13712345678" not in Complaint.objects.values_list("contact_phone_encrypted", flat=True).get()
    assert (c.status, c.channel, c.district_id) == ("received", "public", world.xihu.pk)
    assert (c.answer_due, c.close_due) == (at("2025-06-10 23:59").replace(second=59),
                                           at("2025-06-16 23:59").replace(second=59))
    district, manager = world.users["district_admin"], world.users["canteen_manager"]

    with pytest.raises(DomainError) as err:  # not assigned yet
        services.complaint_answer(actor=manager, complaint_id=c.pk, answer="已整改")
    assert err.value.message_zh == "该件目前为“已受理”，不能答复"
    with pytest.raises(NotFound):  # another district's administrator
        services.complaint_assign(actor=world.other["district_admin"], complaint_id=c.pk)
    with pytest.raises(PermissionDenied):
        services.complaint_assign(actor=manager, complaint_id=c.pk)

    frozen_clock(at("2025-06-06 09:00"))
    services.complaint_assign(actor=district, complaint_id=c.pk, note="请三日内答复")
    frozen_clock(at("2025-06-10 23:00"))
    assert services.complaints_escalate() == 0  # still inside the answer deadline
    frozen_clock(at("2025-06-11 08:00"))
    assert complaints_escalate_task.call() == {"escalated": 1}
    assert services.complaints_escalate() == 0  # once
    c.refresh_from_db()
    assert (c.escalated_reason, c.escalated_at) == ("逾期未答复", at("2025-06-11 08:00"))
    city = world.users["city_admin"]
    assert list(selectors.complaints(user=city, escalated=True)) == [c]
    assert list(selectors.complaints(user=world.other["city_admin"], escalated=True)) == []

    with pytest.raises(DomainError) as err:
        services.complaint_answer(actor=manager, complaint_id=c.pk, answer="  ")
    assert err.value.code == "COMPLAINT_ANSWER_MISSING"
    services.complaint_answer(actor=manager, complaint_id=c.pk, answer="已加装保温餐台")
    with pytest.raises(DomainError) as err:
        services.complaint_close(actor=district, complaint_id=c.pk, satisfaction="")
    assert err.value.code == "COMPLAINT_SATISFACTION"
    frozen_clock(at("2025-06-12 15:00"))
    services.complaint_close(actor=district, complaint_id=c.pk, satisfaction="satisfied", note="电话回访")
    c.refresh_from_db()
    assert (c.status, c.satisfaction, c.closed_on_time) == ("closed", "satisfied", True)
    assert list(AuditLog.objects.filter(object_id=str(c.pk), object_type="evaluation.complaint")
                .order_by("id").values_list("action", flat=True)) == [
        "evaluation.complaint_receive", "evaluation.complaint_assign", "evaluation.complaint_escalate",
        "evaluation.complaint_answer", "evaluation.complaint_close"]
    assert selectors.complaint_timeliness(world.canteen.pk, date(2025, 6, 1), date(2025, 6, 30)) == (1, 1)
    assert selectors.complaint_timeliness(world.canteen.pk, date(2025, 6, 6), date(2025, 6, 30)) == (0, 0)

    # The anonymous complainant follows the case by code and number; a wrong number looks like a wrong code.
    page = client.post("/public/complaints/", {"code": c.code.lower(), "phone": "137 1234 5678"}).content.decode()
    assert "已办结" in page and "已加装保温餐台" in page
    wrong = client.post("/public/complaints/", {"code": c.code, "phone": "13712345670"})
    assert wrong.status_code == 404 and "受理编号或联系电话不正确" in wrong.content.decode()


def test_a_case_closed_after_its_deadline_is_late_and_escalated(world, frozen_clock):
    frozen_clock(at("2025-06-05 10:00"))
    c = services.complaint_submit(channel="staff", canteen=world.canteen, kind="suggestion", text="希望增加粥",
                                  contact_phone="0571-88001234", actor=world.users["subdistrict_staff"])
    district = world.users["district_admin"]
    services.complaint_assign(actor=district, complaint_id=c.pk)
    services.complaint_answer(actor=world.users["canteen_manager"], complaint_id=c.pk, answer="下周起早餐供应小米粥")
    frozen_clock(at("2025-06-17 09:00"))
    assert services.complaints_escalate() == 1
    services.complaint_close(actor=district, complaint_id=c.pk, satisfaction="basic")
    c.refresh_from_db()
    assert (c.escalated_reason, c.closed_on_time, c.contact_masked) == ("逾期未办结", False, "057******1234")
    assert selectors.complaint_timeliness(world.canteen.pk, date(2025, 6, 1), date(2025, 6, 30)) == (0, 1)


@pytest.mark.parametrize(("data", "message"), [
    ({"text": ""}, "请写下投诉或建议的内容"),
    ({"kind": ""}, "请选择“投诉”或“建议”"),
    ({"contact_phone": ""}, "请留下联系电话，以便答复您"),
    ({"contact_phone": "12345"}, "联系电话格式不正确"),
])
def test_the_public_form_refuses_bad_input_and_writes_nothing(world, client, data, message):
    response = _public(world, client, **data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Complaint.objects.exists() and not AuditLog.objects.filter(action__startswith="evaluation").exists()


def test_a_canteen_not_designated_has_no_public_form(world, client):
    from tests.conftest import make_canteen

    closed = make_canteen(world.xihu_sub, "未定点食堂", designated_from=None)
    listed(world.canteen)
    assert client.get(f"/public/canteens/{closed.pk}/complaint/").status_code == 404
    assert f"/public/canteens/{world.canteen.pk}/complaint/" in client.get(
        f"/public/canteens/{world.canteen.pk}/").content.decode()


def test_the_elder_complains_on_the_phone_and_sees_the_status(world, menu, phones, client, frozen_clock):
    meal(world, menu, "2025-06-02 11:30")
    frozen_clock(at("2025-06-03 09:00"))
    h5_login(client, ELDER_PHONE)
    url = f"/h5/e/{world.elder.pk}/complaints/"
    assert "北山长者食堂" in client.get(url).content.decode()
    response = client.post(url, {"canteen": world.other_canteen.pk, "kind": "complaint", "text": "太咸"})
    assert response.status_code == 400 and "请选择助餐点" in response.content.decode()  # never ate there
    response = client.post(url, {"canteen": world.canteen.pk, "kind": "complaint", "text": "太咸"})
    c = Complaint.objects.get()
    assert (c.elder_id, c.contact_phone, c.channel) == (world.elder.pk, ELDER_PHONE, "phone")
    page = client.get(response["Location"]).content.decode()
    assert c.code in page and "已受理" in page
    services.complaint_assign(actor=world.users["district_admin"], complaint_id=c.pk)
    services.complaint_answer(actor=world.users["canteen_manager"], complaint_id=c.pk, answer="已调淡口味")
    page = client.get(url).content.decode()
    assert "已答复" in page and "已调淡口味" in page
