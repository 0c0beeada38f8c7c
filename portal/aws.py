"""boto3 clients, one per app and service, made on first use (they are thread-safe)."""

from __future__ import annotations

from collections.abc import Callable

import boto3
from botocore.config import Config
from flask import current_app


def client(service: str, endpoint_url: str | None, config: Callable[[], Config] | None = None):
    """`config` is a factory: called once, when the client is made, not on every use."""
    ext = current_app.extensions
    if service not in ext:
        cfg = current_app.config
        ext[service] = boto3.client(
            service,
            endpoint_url=endpoint_url,
            region_name=cfg["AWS_REGION"],
            aws_access_key_id=cfg["AWS_ACCESS_KEY_ID"] or None,
            aws_secret_access_key=cfg["AWS_SECRET_ACCESS_KEY"] or None,
            config=config() if config else None,
        )
    return ext[service]
