"""Security headers on every response, built with the `secure` package.

The CSP allows no inline script or style at all; htmx is configured by its meta tag
(`allowEval:false`, `includeIndicatorStyles:false`) so it needs neither. Photos are shown
from presigned S3 URLs, so the S3 origin is the one extra image source.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import secure
from flask import Flask, Response

# A view may set its own value for these: the download route sends no Referer to S3, and the
# dev-only mail viewer allows the inline styles every HTML email carries.
VIEW_CHOICE = ("Referrer-Policy", "Cache-Control", "Content-Security-Policy")


def s3_origin(config) -> str:
    if config["S3_ENDPOINT_URL"]:
        parts = urlsplit(config["S3_ENDPOINT_URL"])
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://{config['S3_BUCKET']}.s3.{config['AWS_REGION']}.amazonaws.com"


def content_security_policy(
    config, inline_styles: bool = False, form_to_storage: bool = False
) -> secure.ContentSecurityPolicy:
    """`form_to_storage`: a form on the page answers with a redirect to S3 (a share's Download
    button), and Chromium holds a form's whole redirect chain to `form-action`."""
    styles = ("'self'", "'unsafe-inline'") if inline_styles else ("'self'",)
    forms = ("'self'", s3_origin(config)) if form_to_storage else ("'self'",)
    return (
        secure.ContentSecurityPolicy()
        .default_src("'self'")
        .script_src("'self'")
        .style_src(*styles)
        .img_src("'self'", "data:", s3_origin(config))
        .connect_src("'self'")
        .font_src("'self'")
        .object_src("'none'")
        .base_uri("'self'")
        .form_action(*forms)
        .frame_ancestors("'none'")
    )


def policy(app: Flask) -> secure.Secure:
    headers = {
        "csp": content_security_policy(app.config),
        "referrer": secure.ReferrerPolicy().set("same-origin"),
        "xcto": secure.XContentTypeOptions(),
        "xfo": secure.XFrameOptions().set("DENY"),
        "coop": secure.CrossOriginOpenerPolicy().set("same-origin"),
        "permissions": secure.PermissionsPolicy().set("camera=(), microphone=(), geolocation=()"),
    }
    if app.config["SESSION_COOKIE_SECURE"]:
        headers["hsts"] = secure.StrictTransportSecurity().set(
            "max-age=31536000; includeSubDomains"
        )
    return secure.Secure(**headers)


def register(app: Flask) -> None:
    headers = policy(app)

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        chosen = {name: response.headers[name] for name in VIEW_CHOICE if name in response.headers}
        headers.set_headers(response)
        response.headers.update(chosen)
        return response
