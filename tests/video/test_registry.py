"""The registry through the console: credentials sealed (never on a page or in the audit log), the
dining area never public, precise refusals with nothing written, a blank secret keeps the old one."""

import json

from tests.conftest import login
from zhucan.core.models import AuditLog
from zhucan.video.models import Channel, Device

SECRET, APP_KEY = "Xk2NeyQc9s7R4iS1rTmB", "24890117"


def _create(client, world, **over):
    data = {"name": "海康平台", "vendor": "海康威视", "access_mode": "isc", "address": "https://isc.example.cn:443",
            "remote_id": "", "username": APP_KEY, "secret": SECRET, "active": "on", **over}
    return client.post(f"/video/devices/canteens/{world.canteen.pk}/new/", data)


def test_credentials_are_sealed_and_never_shown_or_audited(client, world):
    login(client, world.users["canteen_manager"])
    response = _create(client, world)
    assert response.status_code == 302
    device = Device.objects.get()
    assert (device.username, device.secret) == (APP_KEY, SECRET)
    assert SECRET not in device.secret_encrypted and APP_KEY not in device.username_encrypted
    page = client.get(f"/video/devices/{device.pk}/").content.decode()
    assert SECRET not in page and APP_KEY not in page and "账号和密码已设置" in page
    audit = AuditLog.objects.get(action="video.device.create")
    assert audit.actor == world.users["canteen_manager"] and audit.after["credentials_set"] is True
    assert SECRET not in json.dumps(audit.after, ensure_ascii=False)
    assert APP_KEY not in json.dumps(audit.after, ensure_ascii=False)
    # Saving with blank credentials keeps them; a new secret replaces only the secret.
    edit = {"name": "海康平台", "vendor": "海康威视", "access_mode": "isc", "address": "https://isc.example.cn:8443",
            "remote_id": "", "username": "", "secret": "", "active": "on"}
    assert client.post(f"/video/devices/{device.pk}/", edit).status_code == 302
    device.refresh_from_db()
    assert (device.username, device.secret, device.address) == (APP_KEY, SECRET, "https://isc.example.cn:8443")
    assert client.post(f"/video/devices/{device.pk}/", {**edit, "secret": "N3w-Secret"}).status_code == 302
    device.refresh_from_db()
    assert (device.username, device.secret) == (APP_KEY, "N3w-Secret")
    update = AuditLog.objects.filter(action="video.device.update").order_by("id").last()
    assert update.after["credentials_changed"] is True and "N3w-Secret" not in json.dumps(update.after)


def test_bad_input_is_refused_precisely_and_writes_nothing(client, world):
    login(client, world.users["district_admin"])
    page = _create(client, world, secret="").content.decode()
    assert "该接入方式须填写AppKey 和 AppSecret" in page
    page = _create(client, world, access_mode="rtsp").content.decode()
    assert "接入地址应以 rtsp:// 开头" in page
    page = _create(client, world, access_mode="gb28181", remote_id="123").content.decode()
    assert "国标接入须填写设备的20位国标编码" in page
    assert not Device.objects.exists() and not AuditLog.objects.filter(action__startswith="video.").exists()

    assert _create(client, world).status_code == 302
    device = Device.objects.get()
    dining = {"name": "就餐区全景", "zone": "dining", "public": "on", "remote_id": "cam-1", "active": "on"}
    page = client.post(f"/video/devices/{device.pk}/channels/new/", dining).content.decode()
    assert "就餐区画面拍到老人，不能设为公开展示" in page and not Channel.objects.exists()
    assert client.post(f"/video/devices/{device.pk}/channels/new/", {**dining, "public": ""}).status_code == 302
    page = client.post(f"/video/devices/{device.pk}/channels/new/", {**dining, "public": ""}).content.decode()
    assert "该设备已有名为“就餐区全景”的通道" in page and Channel.objects.count() == 1


def test_the_list_speaks_chinese_with_names_and_status(client, world):
    from tests.video.conftest import make_channel, make_device
    from zhucan.core import clock
    from zhucan.video.adapters import ProbeResult
    from zhucan.video.health import status_record

    device = make_device(world, "hls", "http://127.0.0.1:9", name="后厨录像机")
    channel = make_channel(world, device, "cooking", "/live/c.m3u8", name="烹饪间")
    status_record(channel, ProbeResult(False, "设备上没有这个播放列表（HTTP 404）", clock.now()))
    login(client, world.users["auditor"])
    page = client.get("/video/devices/").content.decode()
    assert "北山长者食堂" in page and "烹饪间" in page and "离线" in page and "尚未核验" in page
    assert "HZ-" not in page and "/live/c.m3u8" not in page
