"""The elder page's phone-account section: staff bind and revoke; phones stay masked."""

from __future__ import annotations

from tests.conftest import login
from tests.elderphone.conftest import ELDER_PHONE, FAMILY_PHONE
from zhucan.core.models import AuditLog
from zhucan.elderphone import sms
from zhucan.elderphone.models import Binding
from zhucan.elderphone.phones import phone_index


def test_staff_bind_from_the_elder_page_and_see_masked_phones(client, world, staff):
    login(client, staff)
    body = client.get(f"/elders/{world.elder.pk}/").content.decode()
    assert "长者手机页账号" in body and "尚未绑定手机账号" in body and "绑定并发送开通短信" in body
    response = client.post(f"/elders/{world.elder.pk}/phone-accounts/bind/",
                           {"phone": "+86 139 0000 2222", "relation": "child", "display_name": "张晓东"})
    assert response.status_code == 302 and response["Location"] == f"/elders/{world.elder.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "已绑定手机号 139****2222" in body and "已发送开通短信" in body
    assert "139****2222" in body and FAMILY_PHONE not in body and "待设置密码" in body and "子女" in body
    assert sms.outbox(FAMILY_PHONE)[0].template_code == "H5_ACTIVATE"
    binding = Binding.objects.get(account__phone_index=phone_index(FAMILY_PHONE))
    assert binding.bound_by == staff


def test_a_refused_bind_says_why_and_changes_nothing(client, world, staff):
    login(client, staff)
    before = AuditLog.objects.count()
    response = client.post(f"/elders/{world.elder.pk}/phone-accounts/bind/",
                           {"phone": "12345", "relation": "self", "display_name": ""}, follow=True)
    assert "请输入正确的11位手机号码" in response.content.decode()
    response = client.post(f"/elders/{world.elder.pk}/phone-accounts/bind/",
                           {"phone": FAMILY_PHONE, "relation": "child", "display_name": ""}, follow=True)
    assert "请填写家属姓名" in response.content.decode()
    assert AuditLog.objects.count() == before and not Binding.objects.exists() and not sms.outbox()


def test_revoke_from_the_elder_page(client, world, staff, phones):
    login(client, staff)
    response = client.post(f"/elders/{world.elder.pk}/phone-accounts/{phones.child.pk}/revoke/")
    assert response.status_code == 302
    body = client.get(f"/elders/{world.elder.pk}/").content.decode()
    assert "已解除 139****2222 的绑定" in body and "已解除的绑定（1）" in body
    assert Binding.objects.get(pk=phones.child.pk).revoked_by == staff
    # Twice: a clear message, nothing changes.
    again = client.post(f"/elders/{world.elder.pk}/phone-accounts/{phones.child.pk}/revoke/", follow=True)
    assert "该绑定已解除" in again.content.decode()


def test_auditors_see_the_list_without_the_controls(client, world, phones):
    login(client, world.users["auditor"])
    body = client.get(f"/elders/{world.elder.pk}/").content.decode()
    assert "138****1111" in body and ELDER_PHONE not in body
    assert "绑定并发送开通短信" not in body and "解除绑定" not in body
