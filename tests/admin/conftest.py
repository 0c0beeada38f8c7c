"""Admin fixtures: a staff user, exports in any state, and an app on moto (S3 + CloudFront)."""

from __future__ import annotations

import re

import pytest

from portal import create_app, storage
from portal.exports import service
from portal.extensions import db
from portal.models import Export, Project, User
from tests import factories
from tests.conftest import FreshContextClient, config_from_env, fresh_database


@pytest.fixture
def staff(world) -> User:
    """A Sitepack operator: belongs to Sitepack's own organisation, sees everyone's exports."""
    operators = factories.organization("Sitepack")
    user = factories.user(operators, "ops@sitepack.test", is_staff=True)
    db.session.commit()
    return user


@pytest.fixture
def make_export(world):
    """`make_export(status=..., **columns)`: an export of 2 fresh records in org A's project."""

    def build(requester: User | None = None, project: Project | None = None, **values) -> Export:
        requester = requester or world.member_a
        project = project or world.project_a
        records = [factories.record(project), factories.record(project)]
        db.session.flush()
        options = service.ExportOptions()
        ids = [r.id for r in records]
        export = service.create_export(
            requester, project, ids, options, service.fingerprint_of(requester.id, ids, options)
        )
        for name, value in values.items():
            setattr(export, name, value)
        db.session.commit()
        return export

    return build


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
    app.test_client_class = FreshContextClient
    with app.app_context():
        fresh_database()
        storage.ensure_bucket()
        yield app
        db.session.remove()
        db.engine.dispose()


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def confirm_and_post(client, export: Export, action: str):
    """Do what an admin does: open the confirmation page, then press its button."""
    page = client.get(f"/admin/exports/{export.public_id}/confirm/{action}")
    assert page.status_code == 200, page.status_code
    return client.post(
        f"/admin/exports/{export.public_id}/{action}",
        data={"csrf_token": form_token(page.get_data(as_text=True)), "confirmed": "yes"},
    )


def reload(export: Export) -> Export:
    db.session.expire_all()
    return db.session.get(Export, export.id)
