"""After login the browser goes to `next` only when it is a path on this site.

Each case is the query string as it would appear in a link; what is checked is the Location
header as Werkzeug writes it (it collapses `////host` into `//host`), not the input.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from tests.factories import PASSWORD
from tests.helpers import csrf

OFF_SITE = [
    "//evil.test",
    "///evil.test",
    "////evil.test",
    "%2F%2Fevil.test",
    "/%2F%2Fevil.test",
    "/%252F%252Fevil.test",
    "/%252Fevil.test",
    "%5C%5Cevil.test",
    "/%5Cevil.test",
    "%5C/evil.test",
    "/%255Cevil.test",
    "/%09/evil.test",
    "%09//evil.test",
    "/%0A/evil.test",
    "/%0D%0A/evil.test",
    "/%0D/evil.test",
    "%20//evil.test",
    "/%00/evil.test",
    "https://evil.test/",
    "https:evil.test",
    "https:/evil.test",
    "//user@evil.test",
    "//user:pass@evil.test/x",
    "https://sitepack.test@evil.test/",
    "javascript:alert(1)",
    "JaVaScRiPt%3Aalert(1)",
    "data:text/html,hi",
    "http://localhost/exports",
    "evil.test",
    "exports",
]
ON_SITE = [
    "/exports",
    "/projects/AbCdEfGhIjKlMnOp/records?kind=issue&q=wall",
    "/exports/AbCdEfGhIjKlMnOp",
    "/@evil.test",
]


def log_in(client, raw_next: str):
    token = csrf(client, "/login")
    return client.post(
        f"/login?next={raw_next}",
        data={"email": "member@acme.test", "password": PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("raw_next", OFF_SITE)
def test_login_with_an_off_site_next_lands_on_the_home_page(client, world, raw_next):
    response = log_in(client, raw_next)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("path", ON_SITE)
def test_login_with_a_path_on_this_site_goes_there(client, world, path):
    response = log_in(client, quote(path, safe="/"))
    location = response.headers["Location"]
    assert response.status_code == 302
    assert location == path
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and not location.startswith("//")


def test_a_page_that_needed_login_is_where_login_returns(client, world):
    bounce = client.get("/exports?page=2")
    login_url = bounce.headers["Location"]
    token = csrf(client, login_url)
    response = client.post(
        login_url,
        data={"email": "member@acme.test", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/exports?page=2"
