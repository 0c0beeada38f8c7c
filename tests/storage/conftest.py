"""An app whose bucket lives on moto's server: unlike rclone it has the configuration API."""

import pytest

from portal import create_app
from tests.helpers import config_from_env


@pytest.fixture
def moto_config(sitepack_env, moto_endpoint) -> dict:
    config = config_from_env(sitepack_env)
    config.update(
        S3_ENDPOINT_URL=moto_endpoint.url,
        AWS_ACCESS_KEY_ID=moto_endpoint.access_key,
        AWS_SECRET_ACCESS_KEY=moto_endpoint.secret_key,
    )
    return config


@pytest.fixture
def moto_app(moto_config):
    app = create_app(moto_config)
    with app.app_context():
        yield app
