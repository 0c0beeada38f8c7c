"""Logo files for the branding tests: a real one in each accepted format, and hostile SVGs."""

from __future__ import annotations

import io

from PIL import Image

MAGENTA = (228, 0, 124)  # the logos' colour, which nothing else in a record PDF uses


def raster(fmt: str, size=(300, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, MAGENTA).save(out, fmt)
    return out.getvalue()


def svg(body: str = "", attributes: str = "", prologue: str = "") -> bytes:
    return (
        f'{prologue}<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 300 100" {attributes}>'
        f'<rect width="300" height="100" fill="#e4007c"/>{body}</svg>'
    ).encode()


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)


def hostile(url: str) -> dict[str, bytes]:
    """Each way an SVG could make a renderer run code or fetch something, `url` being where."""
    return {
        "script": svg(f"<script>fetch('{url}')</script>"),
        "event handler": svg(attributes=f"onload=\"fetch('{url}')\""),
        "external image": svg(f'<image href="{url}" width="10" height="10"/>'),
        "xlink image": svg(f'<image xlink:href="{url}" width="10" height="10"/>'),
        "local file": svg('<image href="file:///etc/passwd" width="10" height="10"/>'),
        "external use": svg(f'<use href="{url}#logo"/>'),
        "style url": svg(f'<rect width="5" height="5" style="fill: url({url})"/>'),
        "style import": svg(f"<style>@import url({url});</style>"),
        "foreign object": svg('<foreignObject width="9" height="9"><p>hi</p></foreignObject>'),
        "billion laughs": svg("<text>&d;</text>", prologue=LAUGHS),
        "external entity": svg(
            "<text>&x;</text>", prologue=f'<!DOCTYPE svg [<!ENTITY x SYSTEM "{url}">]>'
        ),
    }
