"""Django admin is for superusers only; the ledger is read-only there."""

from tests.conftest import login


def test_admin_refuses_officials(world, client):
    login(client, world.users["city_admin"])
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_superuser_sees_registries_and_a_read_only_ledger(world, client, django_user_model):
    root = django_user_model.objects.create(username="root", is_superuser=True, is_staff=True)
    login(client, root)
    assert client.get("/admin/elders/elder/").status_code == 200
    body = client.get(f"/admin/elders/elder/{world.elder.pk}/change/").content.decode()
    assert world.elder.id_number_masked in body and "id_number_encrypted" not in body
    assert client.get("/admin/checkout/meal/add/").status_code == 403
