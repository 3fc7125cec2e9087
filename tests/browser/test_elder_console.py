"""A district administrator logs in, finds an elder by masked ID, creates an elder
with a bad ID number and sees the Chinese error, fixes it and saves — in real headless Chromium."""

from __future__ import annotations

import re
from datetime import date

import pytest

pytestmark = pytest.mark.browser

BAD_CHECK_DIGIT_ZH = "身份证号码校验位不正确"


def _with_wrong_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def _log_in(page, live_server, w) -> None:
    """Through the real login form, from the redirect that an anonymous visit gets."""
    from playwright.sync_api import expect

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("用户名").fill(w.admin.username)
    page.get_by_label("密码").fill(w.password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")  # an official lands on the dashboard


def test_district_admin_finds_and_registers_elders(console_world, page, live_server, shot):
    from playwright.sync_api import expect

    from zhucan.core.idnumber import make_id_number
    from zhucan.elders.models import Elder

    w = console_world
    _log_in(page, live_server, w)

    # 老年人档案 → search the last four digits of the elder's ID number.
    page.locator("summary", has_text="老人与助餐点").click()  # the menus are dropdowns
    page.get_by_role("link", name="老年人档案").click()
    expect(page.get_by_role("heading", name="老年人档案")).to_be_visible()
    last4 = w.elder.plain_id_number[-4:]
    assert not w.neighbour.plain_id_number.endswith(last4)
    page.get_by_placeholder("姓名、身份证号或后四位、电话").fill(last4)
    page.get_by_role("button", name="查询").click()
    results = page.locator("table.list tbody tr")
    expect(results).to_have_count(1)
    masked = f"330106********{last4}"
    assert w.elder.id_number_masked == masked
    expect(results.first).to_contain_text("张秀英")
    expect(results.first).to_contain_text(masked)
    body = page.locator("table.list tbody").inner_text()
    assert w.elder.plain_id_number not in body  # the list never shows the whole number
    assert "陈阿婆" not in body and "李桂兰" not in body
    shot(page, "search")

    # 新建档案 with a wrong check digit: the Chinese error appears next to the ID field.
    page.get_by_role("link", name="新建档案").click()
    expect(page.get_by_role("heading", name="新建老人档案")).to_be_visible()
    good = make_id_number("330106", date(1951, 11, 23), 41, "M")
    page.get_by_label("姓名").fill("王建国")
    page.get_by_label("所属社区").select_option(label="北山街道 · 保俶社区")
    page.get_by_label("身份证号").fill(_with_wrong_check_digit(good))
    page.get_by_role("button", name="保存").click()
    id_field = page.locator("div.field-error").filter(has=page.locator("#id_id_number"))
    expect(id_field.locator(".errorlist")).to_contain_text(BAD_CHECK_DIGIT_ZH)
    expect(page.get_by_label("姓名")).to_have_value("王建国")  # what was typed is kept
    assert not Elder.objects.filter(name="王建国").exists()
    shot(page, "bad-id")

    # Fix the number and save: the detail page shows the new elder with the masked number.
    page.get_by_label("身份证号").fill(good)
    page.get_by_label("身份证号").press("Tab")  # "change": the HTMX inline check derives the birth date
    expect(page.locator("#id-number-check")).to_contain_text("1951-11-23")
    page.get_by_role("button", name="保存").click()
    elder = Elder.objects.get(name="王建国")
    expect(page).to_have_url(f"{live_server.url}/elders/{elder.pk}/")
    expect(page.get_by_role("heading", name=re.compile("王建国"))).to_be_visible()
    expect(page.locator("#id-number")).to_have_text(f"330106********{good[-4:]}")
    expect(page.locator("main")).to_contain_text("已新建老人档案")
    assert good not in page.locator("main").inner_text()
    assert (elder.birth_date, elder.sex, elder.community_id) == (date(1951, 11, 23), "M", w.xihu_c1.pk)
    shot(page, "detail")


def test_searching_twice_replaces_the_results_instead_of_nesting_them(console_world, page, live_server):
    """The list's HTMX search swaps #elder-results; the page must keep exactly one such element."""
    from playwright.sync_api import expect

    w = console_world
    _log_in(page, live_server, w)
    page.goto("/elders/")
    search = page.get_by_placeholder("姓名、身份证号或后四位、电话")
    for q in ("张秀英", "陈阿婆"):
        search.fill(q)
        page.get_by_role("button", name="查询").click()
        expect(page.locator("table.list tbody")).to_contain_text(q)
        expect(page).to_have_url(re.compile(r"q="))
    expect(page.locator("#elder-results")).to_have_count(1)
