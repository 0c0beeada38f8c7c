from tests.factories import login


def test_anonymous_home_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_member_logs_in_and_sees_projects(client, world):
    response = login(client, "member@acme.test")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Harbour View Tower" in page
    assert "Bravo Depot" not in page
