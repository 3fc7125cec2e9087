"""The filing screens as their users read them, on the demo's data: the district's queue and review
page, the manager's filing page, the public directory and a canteen's page. What they read carries
the requirements' titles, never their codes or internal keys, and the phone pages stay small."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen
from zhucan.filing.models import Filing, FilingStatus

# What a reader meets that is not Chinese and is meant: the language switch, the export button,
# file and open-data formats, paper sizes.
ALLOWED_LATIN = {"English", "Excel", "PDF", "pdf", "png", "A4", "A3", "JSON", "CSV"}


class _Readable(HTMLParser):
    """The text a person reads: body text plus the attributes a browser shows (alt, title, placeholder)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in ("alt", "title", "placeholder") and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def _readable(response) -> str:
    assert response.status_code == 200, response.status_code
    parser = _Readable()
    parser.feed(response.content.decode())
    return " ".join(parser.parts)


def _assert_written_for_people(text: str) -> None:
    assert not re.findall(r"F[1-8]", text), re.findall(r".{0,20}F[1-8].{0,20}", text)
    latin = set(re.findall(r"[A-Za-z_]{3,}", text)) - ALLOWED_LATIN
    assert not latin, latin


@pytest.fixture(scope="module")
def _demo_once(module_db):
    """The demo seeded once for the module (see module_db): every test here reads it, and what a test
    writes (a review) rolls back with the test's savepoint."""
    from zhucan.demo.seed import seed_all

    seed_all(elders=8, meals_per_canteen=1)


@pytest.fixture
def demo(_demo_once, db):
    return _demo_once


def test_the_district_reads_titles_not_codes(demo, client):
    client.force_login(User.objects.get(username="xihu_admin"))
    waiting = Filing.objects.get(status=FilingStatus.SUBMITTED)
    designated = Canteen.objects.get(name="北山街道颐乐食堂")
    for url in ["/filing/", f"/filing/canteens/{designated.pk}/", f"/filing/rounds/{waiting.pk}/",
                f"/filing/canteens/{waiting.canteen_id}/"]:
        _assert_written_for_people(_readable(client.get(url)))
    assert "阳光厨房实时画面" in _readable(client.get(f"/filing/rounds/{waiting.pk}/"))


def test_the_manager_reads_titles_not_codes(demo, client):
    client.force_login(User.objects.get(username="beishan_mgr"))
    page = _readable(client.get("/filing/mine/"))
    _assert_written_for_people(page)
    assert "阳光厨房实时画面现场照片.png" in page


def test_the_city_register_reads_titles_not_codes(demo, client):
    client.force_login(User.objects.get(username="hz_city"))
    _assert_written_for_people(_readable(client.get("/filing/register/")))


def test_the_public_pages_are_small_and_plain(demo, client):
    canteen = Canteen.objects.get(name="北山街道颐乐食堂")
    for url in ["/public/canteens/", "/public/canteens/?city=330100", f"/public/canteens/{canteen.pk}/"]:
        response = client.get(url)
        # An elder's phone on a weak signal: the page, not counting the shared stylesheet, under 100 KB.
        assert len(response.content) < 100 * 1024, (url, len(response.content))
        _assert_written_for_people(_readable(response))


def test_the_public_filing_facts_do_not_break_a_date(demo, client):
    canteen = Canteen.objects.get(name="北山街道颐乐食堂")
    page = client.get(f"/public/canteens/{canteen.pk}/").content.decode()
    # Stacked under their labels, each date kept whole: on a 390-pixel phone in large type the
    # filing facts otherwise broke "2028-03-31" at a hyphen.
    assert '<dl class="facts stacked">' in page
    assert re.search(r'<span class="nb">\d{4}-\d{2}-\d{2}</span> 至 <span class="nb">\d{4}-\d{2}-\d{2}</span>', page)


def test_the_review_form_chooses_nothing_for_the_official(demo, client):
    from zhucan.filing.models import Review

    client.force_login(User.objects.get(username="xihu_admin"))
    waiting = Filing.objects.get(status=FilingStatus.SUBMITTED)
    page = client.get(f"/filing/rounds/{waiting.pk}/").content.decode()
    # A requirement nobody has looked at yet offers both answers and pre-selects neither.
    assert not re.search(r'value="(pass|return)"[^>]*checked', page)
    item = waiting.items.get(requirement="F2")
    response = client.post(f"/filing/items/{item.pk}/review/", {"reason": ""}, follow=True)
    assert "请选择“通过”或“退回修改”" in response.content.decode()
    item.refresh_from_db()
    assert item.review == Review.PENDING
    client.post(f"/filing/items/{item.pk}/review/", {"decision": "pass"})
    item.refresh_from_db()
    assert item.review == Review.PASSED
    page = client.get(f"/filing/rounds/{waiting.pk}/").content.decode()
    assert len(re.findall(r'value="pass" required checked', page)) == 1


def test_the_queue_opens_the_waiting_round_and_aligns_its_counts(demo, client):
    client.force_login(User.objects.get(username="xihu_admin"))
    waiting = Filing.objects.get(status=FilingStatus.SUBMITTED)
    page = client.get("/filing/").content.decode()
    assert f'<a href="/filing/rounds/{waiting.pk}/">第1轮备案待审核</a>' in page
    # The stage counts are right-aligned numbers; their headings stand over them, not a column away.
    assert '<th class="num">已遴选</th>' in page and '<th class="num">撤销定点</th>' in page


def test_the_open_data_links_say_what_they_are(demo, client):
    page = _readable(client.get("/public/canteens/?city=330100"))
    assert "开放数据下载： JSON" in page.replace("：JSON", "： JSON")
    english = client.get("/public/canteens/?city=330100&lang=en").content.decode()
    assert "Open data: " in english
