"""The console is Chinese by default whatever the browser asks for; English on explicit choice."""

from tests.conftest import login


def test_chinese_by_default_even_for_english_browsers(world, client):
    login(client, world.users["district_admin"])
    body = client.get("/elders/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "老年人档案" in body
    assert "Export to Excel" not in body


def test_english_after_choosing_it(world, client):
    login(client, world.users["district_admin"])
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/elders/"})
    assert response.status_code == 302
    body = client.get("/elders/").content.decode()
    assert "Export to Excel" in body
    assert '<html lang="en">' in body
