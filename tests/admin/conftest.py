"""Admin fixtures: a staff user, and an app on moto (S3 + CloudFront)."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.extensions import db
from portal.models import User
from portal.storage import client as s3
from tests import factories
from tests.helpers import config_from_env, for_tests, fresh_database


@pytest.fixture
def staff(world) -> User:
    """A Sitepack operator: belongs to Sitepack's own organisation, sees everyone's exports."""
    operators = factories.organization("Sitepack")
    user = factories.user(operators, "ops@sitepack.test", is_staff=True)
    db.session.commit()
    return user


@pytest.fixture
def moto_app(sitepack_env, moto_endpoint, postgres_schema):
    """The app with its bucket and CloudFront on moto's server, which has the multipart and
    CloudFront APIs that rclone's S3 lacks."""
    config = config_from_env(sitepack_env)
    config.update(
        S3_ENDPOINT_URL=moto_endpoint.url,
        CLOUDFRONT_ENDPOINT_URL=moto_endpoint.url,
        AWS_ACCESS_KEY_ID=moto_endpoint.access_key,
        AWS_SECRET_ACCESS_KEY=moto_endpoint.secret_key,
    )
    app = create_app(config)
    for_tests(app)
    with app.app_context():
        fresh_database()
        s3.ensure_bucket()
        yield app
        db.session.remove()
        db.engine.dispose()
