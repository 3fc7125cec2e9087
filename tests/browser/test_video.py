"""A district official opens a live dining-area channel and the video actually plays: the simulated
camera (ffmpeg testsrc2 → HLS) → the HLS adapter → the relay's ffmpeg → our token-checked views →
hls.js in Chromium, whose <video> current time advances."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.video.viewing_helpers import register_cameras
from zhucan.video.models_viewing import ViewSession
from zhucan.video.relay import Relay
from zhucan.video.simcam import Camera, Simulator


@pytest.fixture
def camera_and_relay(world, settings, tmp_path):
    settings.ZHUCAN_VIDEO_DIR = tmp_path / "video"
    sim = Simulator([Camera("cam-2", "北山长者食堂 · 就餐大厅")], port=0, folder=tmp_path / "sim",
                    size="320x180", rate=10).start(recorder=False)
    cams = register_cameras(world, address=sim.url)
    relay = Relay(idle=30, retry=1.0)
    done = threading.Event()
    thread = threading.Thread(target=relay.run, kwargs={"interval": 0.3, "until": done.is_set}, daemon=True)
    thread.start()
    yield cams
    done.set()
    thread.join(timeout=10)
    sim.stop()


def test_district_official_watches_live_dining_video(browser, live_server, world, camera_and_relay, shot):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    official = world.users["district_admin"]
    page.goto("/accounts/login/?next=/video/")
    page.get_by_label("用户名").fill(official.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/video/$"))
    page.get_by_role("link", name=re.compile(world.canteen.name)).click()
    row = page.locator("tr", has_text="就餐大厅")
    row.locator("select[name=purpose]").select_option(label="日常巡查")
    row.get_by_role("button", name="观看").click()
    expect(page).to_have_url(re.compile(r"/video/sessions/\d+/$"))
    expect(page.locator(".watermark").first).to_contain_text(official.username)
    page.wait_for_function("document.getElementById('video').currentTime > 0.5", timeout=25_000)
    first = page.evaluate("document.getElementById('video').currentTime")
    page.wait_for_function(f"document.getElementById('video').currentTime > {first + 0.5}", timeout=10_000)
    shot(page, "video-player")
    session = ViewSession.objects.get()
    assert (session.user_id, session.channel_id, session.purpose) == (official.pk, camera_and_relay.dining.pk,
                                                                      "patrol")
    context.close()
