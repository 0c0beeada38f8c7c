"""What the records tests send: the headers htmx adds and the URLs of a project's pages."""

import re
from urllib.parse import urlencode

HTMX = {"HX-Request": "true"}


def csrf_headers(client, extra: dict | None = None, page: str = "/") -> dict:
    """The token htmx sends from <body hx-headers>, read from a real page."""
    html = client.get(page).get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    return {"X-CSRFToken": token, **(extra or {})}


def records_url(project, **args) -> str:
    base = f"/projects/{project.public_id}/records"
    return f"{base}?{urlencode(args)}" if args else base


def selection_url(project, action: str, **args) -> str:
    base = f"/projects/{project.public_id}/selection/{action}"
    return f"{base}?{urlencode(args)}" if args else base


def references(html: str) -> list[str]:
    """The references in the records table, in the order shown."""
    return re.findall(r'<td class="col-ref"><a href="[^"]+">([A-Z]{3}-\d+)</a>', html)
