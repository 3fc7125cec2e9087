"""The SMS interface: a provider adapter is a class named in ZHUCAN_SMS_BACKEND, nothing more."""

from __future__ import annotations

from tests.elderphone.conftest import ELDER_PHONE, PASSWORD
from zhucan.elderphone import services, sms
from zhucan.elderphone.models import SmsCode

SENT: list[tuple[str, str, dict]] = []


class RecordingBackend:
    """What a real provider adapter looks like (Aliyun, Tencent Cloud …): one method."""

    def send(self, phone: str, template_code: str, params: dict[str, str]) -> str:
        SENT.append((phone, template_code, dict(params)))
        return f"provider-{len(SENT)}"


class RefusingBackend:
    def send(self, phone, template_code, params):
        raise sms.SmsSendError("quota exceeded")


def test_a_provider_is_a_drop_in(settings, world, staff):
    settings.ZHUCAN_SMS_BACKEND = "tests.elderphone.test_sms_backend.RecordingBackend"
    SENT.clear()
    assert isinstance(sms.get_backend(), sms.SmsBackend) and not sms.backend_is_console()
    result = services.binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self")
    assert result.sms == "activation"
    [(phone, template, params)] = SENT
    assert (phone, template) == (ELDER_PHONE, "H5_ACTIVATE") and set(params) == {"code", "name"}
    assert SmsCode.objects.get().message_id == "provider-1"
    assert sms.outbox() == []  # the console outbox is the console backend's only
    account = services.password_set_with_code(phone=ELDER_PHONE, code=params["code"], password=PASSWORD,
                                              password2=PASSWORD)
    assert account.activated


def test_a_refused_sms_never_undoes_the_binding_and_its_code_is_unusable(settings, world, staff):
    settings.ZHUCAN_SMS_BACKEND = "tests.elderphone.test_sms_backend.RefusingBackend"
    result = services.binding_create(actor=staff, elder_id=world.elder.pk, phone=ELDER_PHONE, relation="self")
    assert result.sms == "failed" and result.binding.pk
    row = SmsCode.objects.get()
    assert not row.delivered and row.expires_at <= row.created_at


def test_the_deploy_check_warns_about_the_console_backend(settings):
    from zhucan.elderphone.checks import sms_backend_is_real

    assert [w.id for w in sms_backend_is_real(None)] == ["elderphone.W001"]
    settings.ZHUCAN_SMS_BACKEND = "tests.elderphone.test_sms_backend.RecordingBackend"
    assert sms_backend_is_real(None) == []
