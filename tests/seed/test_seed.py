import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.extensions import db
from portal.models import Attachment, Organization, Project, Record, User
from portal.storage import client as s3
from tests.factories import login
from tests.helpers import config_from_env


def seed(app, *args):
    return app.test_cli_runner().invoke(args=["seed", *args])


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def bucket_keys() -> set[str]:
    paginator = s3.boto().get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=s3.bucket())
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def canonical_dump() -> dict:
    """Everything the seed decides, without the ids and random public ids."""
    users = db.session.scalars(select(User).order_by(User.email))
    org_names = dict(db.session.execute(select(Organization.id, Organization.name)).all())
    projects = db.session.scalars(select(Project).order_by(Project.code))
    records = db.session.scalars(
        select(Record).join(Project).order_by(Project.code, Record.reference)
    )
    return {
        "users": [(u.email, u.name, u.role, u.is_staff, u.organization.name) for u in users],
        "projects": [(p.code, p.name, p.address, org_names[p.organization_id]) for p in projects],
        "records": [record_dump(r) for r in records],
    }


def record_dump(record: Record) -> tuple:
    fields = ("kind", "reference", "title", "status", "location", "trade", "assignee")
    more = ("due_date", "description", "created_at", "updated_at", "version")
    return (
        record.project.code,
        *(getattr(record, name) for name in fields + more),
        [(c.position, c.label, c.result, c.comment) for c in record.checklist],
        [
            (a.filename, a.content_type, a.byte_size, a.sha256, a.caption)
            for a in record.attachments
        ],
    )


def test_seed_creates_organisations_people_projects_and_records(app):
    result = seed(app, "--records", "20", "--no-photos")

    assert result.exit_code == 0, result.output
    orgs = {org.name: org.id for org in db.session.scalars(select(Organization))}
    assert set(orgs) == {"Northwind Construction", "Bravo Civil"}
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert users["admin@northwind.test"].role == "admin"
    assert users["member@northwind.test"].role == "member"
    assert users["ops@sitepack.test"].is_staff
    assert users["ops@sitepack.test"].organization_id == orgs["Northwind Construction"]
    assert users["member@bravo.test"].organization_id == orgs["Bravo Civil"]
    per_org = Counter(p.organization_id for p in db.session.scalars(select(Project)))
    assert per_org == {orgs["Northwind Construction"]: 2, orgs["Bravo Civil"]: 1}
    assert count(Record) == 20
    for line in ("admin@northwind.test", "member@bravo.test", "sitepack-demo"):
        assert line in result.output


def test_seeded_records_are_numbered_per_project_and_kind_with_checklists(app):
    seed(app, "--records", "20", "--no-photos")

    for record in db.session.scalars(select(Record)):
        prefix = {"inspection": "INS", "issue": "ISS", "task": "TSK", "ncr": "NCR"}[record.kind]
        assert re.fullmatch(rf"{prefix}-\d{{4}}", record.reference)
        assert record.organization_id == record.project.organization_id
        assert 3 <= len(record.checklist) <= 8
        assert all(item.comment for item in record.checklist if item.result == "fail")
        assert "\n" in record.description and record.location and record.assignee
    by_series = Counter()
    for record in db.session.scalars(select(Record).order_by(Record.created_at)):
        by_series[record.project_id, record.kind] += 1
        assert record.reference.endswith(f"-{by_series[record.project_id, record.kind]:04d}")


def test_seeded_photos_and_renditions_are_in_the_bucket(app):
    seed(app, "--records", "20")

    attachments = db.session.scalars(select(Attachment)).all()
    assert attachments
    keys = bucket_keys()
    assert keys == {a.storage_key for a in attachments} | {a.rendition_key for a in attachments}
    first = attachments[0]
    assert first.content_type == "image/jpeg" and first.byte_size > 50_000
    assert all(0 <= len(r.attachments) <= 4 for r in db.session.scalars(select(Record)))


def test_same_seed_gives_the_same_data_in_two_fresh_databases(app, sitepack_env, tmp_path):
    seed(app, "--records", "20", "--seed", "7")
    first = canonical_dump()
    other = create_app(
        {
            **config_from_env(sitepack_env),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'second.db'}",
            "S3_BUCKET": sitepack_env["S3_BUCKET"] + "-2",
        }
    )
    with other.app_context():
        db.create_all()
        assert seed(other, "--records", "20", "--seed", "7").exit_code == 0
        second = canonical_dump()
        db.engine.dispose()

    assert any(record[-1] for record in first["records"]), "no photos were compared"
    assert first == second


def test_another_seed_gives_different_data(app):
    seed(app, "--records", "20", "--seed", "1", "--no-photos")
    first = canonical_dump()

    seed(app, "--records", "20", "--seed", "2", "--no-photos", "--reset")

    assert canonical_dump()["records"] != first["records"]


def test_seed_refuses_a_database_that_has_organisations(app):
    seed(app, "--records", "3", "--no-photos")

    result = seed(app, "--records", "3", "--no-photos")

    assert result.exit_code != 0
    assert "already has organisations" in result.output and "--reset" in result.output
    assert count(Organization) == 2 and count(Record) == 3


def test_reset_replaces_the_data_and_its_photos(app):
    seed(app, "--records", "6", "--seed", "3")
    old_keys = bucket_keys()
    assert old_keys

    result = seed(app, "--records", "6", "--seed", "4", "--reset")

    assert result.exit_code == 0, result.output
    assert count(Organization) == 2 and count(Record) == 6
    new_keys = bucket_keys()
    assert not old_keys & new_keys
    assert new_keys == {
        key
        for a in db.session.scalars(select(Attachment))
        for key in (a.storage_key, a.rendition_key)
    }


@pytest.mark.parametrize(
    ("email", "sees", "never_sees"),
    [
        ("admin@northwind.test", "Riverside Medical Centre", "Eastgate Bus Depot"),
        ("member@bravo.test", "Eastgate Bus Depot", "Harbour Point Apartments"),
    ],
)
def test_demo_users_log_in_and_see_their_own_projects(app, client, email, sees, never_sees):
    seed(app, "--records", "3", "--no-photos")

    response = login(client, email, "sitepack-demo")

    assert response.status_code == 302
    assert "/login" not in response.headers["Location"]
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert sees in page and never_sees not in page


@pytest.mark.parametrize("reset", [[], ["--reset"]])
def test_seed_on_an_unmigrated_database_says_to_migrate(app, reset):
    db.drop_all()

    result = seed(app, "--records", "3", *reset)

    assert result.exit_code != 0
    assert "flask db upgrade" in result.output
