from tests.conftest import login


def test_district_admin_sees_only_own_elders(world, client):
    login(client, world.users["district_admin"])
    response = client.get("/elders/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "张秀英" in body
    assert "李桂兰" not in body
