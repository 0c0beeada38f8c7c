from portal import create_app
from portal.storage import client as s3
from portal.storage.rules import BUNDLES_RULE, EXPORTS_RULE, MULTIPART_RULE, RENDERS_RULE

FOREIGN_RULE = {
    "ID": "keep-logs",
    "Filter": {"Prefix": "logs/"},
    "Status": "Enabled",
    "Expiration": {"Days": 30},
}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["storage", "ensure", *args])


def configuration() -> dict:
    api, name = s3.boto(), s3.bucket()
    return {
        "rules": api.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
        "encryption": api.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"],
        "public": api.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
    }


def rules_by_id() -> dict[str, dict]:
    return {rule["ID"]: rule for rule in configuration()["rules"]}


def put_rules(rules: list[dict]) -> None:
    s3.boto().put_bucket_lifecycle_configuration(
        Bucket=s3.bucket(), LifecycleConfiguration={"Rules": rules}
    )


def test_ensure_on_empty_endpoint_creates_bucket_and_rules(moto_app):
    result = run(moto_app)

    assert result.exit_code == 0, result.output
    assert f"created bucket {s3.bucket()}" in result.output
    rules = rules_by_id()
    assert rules[EXPORTS_RULE]["Filter"] == {"Prefix": "exports/"}
    assert rules[EXPORTS_RULE]["Expiration"] == {"Days": moto_app.config["EXPORT_LIFECYCLE_DAYS"]}
    assert rules[RENDERS_RULE]["Filter"] == {"Prefix": "renders/"}
    assert rules[RENDERS_RULE]["Expiration"] == {"Days": moto_app.config["RENDER_CACHE_DAYS"]}
    assert rules[MULTIPART_RULE]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    config = configuration()
    algorithm = config["encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert algorithm["SSEAlgorithm"] == "AES256"
    assert set(config["public"].values()) == {True} and len(config["public"]) == 4


def test_second_ensure_changes_nothing(moto_app):
    run(moto_app)
    before = configuration()

    result = run(moto_app)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"bucket {s3.bucket()} already as configured"
    assert configuration() == before


def test_foreign_lifecycle_rule_survives_ensure(moto_app):
    s3.ensure_bucket()
    put_rules([FOREIGN_RULE])

    result = run(moto_app)

    assert result.exit_code == 0, result.output
    rules = rules_by_id()
    assert rules["keep-logs"] == FOREIGN_RULE
    assert {EXPORTS_RULE, MULTIPART_RULE} <= set(rules)


def test_ensure_updates_our_rule_when_export_days_change(moto_app, moto_config):
    s3.ensure_bucket()
    put_rules([FOREIGN_RULE])
    run(moto_app)
    longer = create_app({**moto_config, "EXPORT_LIFECYCLE_DAYS": 30})

    with longer.app_context():
        result = run(longer)
        rules = rules_by_id()

    assert f"updated lifecycle rule {EXPORTS_RULE}" in result.output
    assert rules[EXPORTS_RULE]["Expiration"] == {"Days": 30}
    assert rules["keep-logs"] == FOREIGN_RULE


def test_ensure_drops_obsolete_rules_of_its_own(moto_app):
    s3.ensure_bucket()
    put_rules([{**FOREIGN_RULE, "ID": "sitepack-old-rule"}])

    result = run(moto_app)

    assert "removed obsolete lifecycle rule sitepack-old-rule" in result.output
    bundles = {BUNDLES_RULE.format(days=days) for days in range(1, 8)}  # a week's TTL
    assert set(rules_by_id()) == {EXPORTS_RULE, RENDERS_RULE, MULTIPART_RULE, *bundles}


def test_check_passes_after_ensure(moto_app):
    run(moto_app)

    result = run(moto_app, "--check")

    assert result.exit_code == 0, result.output
    assert "drift" not in result.output


def test_check_names_the_rule_that_was_removed(moto_app):
    run(moto_app)
    put_rules([rule for rule in configuration()["rules"] if rule["ID"] != EXPORTS_RULE])
    before = configuration()

    result = run(moto_app, "--check")

    assert result.exit_code != 0
    assert f"lifecycle rule {EXPORTS_RULE} is missing" in result.output
    assert MULTIPART_RULE not in result.output
    assert configuration() == before


def test_check_reports_encryption_off_and_public_access_open(moto_app):
    run(moto_app)
    api, name = s3.boto(), s3.bucket()
    api.delete_bucket_encryption(Bucket=name)
    api.delete_public_access_block(Bucket=name)

    result = run(moto_app, "--check")

    assert result.exit_code != 0
    assert "default encryption is off" in result.output
    assert "public access is not blocked" in result.output
    assert "lifecycle" not in result.output


def test_check_on_missing_bucket_fails_and_creates_nothing(moto_app):
    result = run(moto_app, "--check")

    assert result.exit_code != 0
    assert f"bucket {s3.bucket()} does not exist" in result.output
    assert not s3.bucket_exists()


def test_ensure_against_rclone_warns_and_still_creates_bucket(app):
    result = run(app)

    assert result.exit_code == 0, result.output
    assert "does not support bucket configuration" in result.output
    assert "lifecycle" in result.output and "real S3" in result.output
    assert s3.bucket_exists()
    assert run(app).exit_code == 0
    assert s3.bucket_exists()


def test_the_render_caches_rule_is_added_to_a_bucket_that_predates_it(moto_app):
    s3.ensure_bucket()
    put_rules(_rules_before_the_cache(moto_app))

    check = run(moto_app, "--check")
    result = run(moto_app)

    assert check.exit_code != 0
    assert f"lifecycle rule {RENDERS_RULE} is missing" in check.output
    assert f"added lifecycle rule {RENDERS_RULE} (prefix 'renders/'" in result.output
    assert rules_by_id()[RENDERS_RULE]["Expiration"] == {"Days": 30}
    assert run(moto_app, "--check").exit_code == 0


def test_check_reports_a_changed_cache_age_as_drift(moto_app, moto_config):
    run(moto_app)
    shorter = create_app({**moto_config, "RENDER_CACHE_DAYS": 7})

    with shorter.app_context():
        result = run(shorter, "--check")

    assert result.exit_code != 0
    assert f"lifecycle rule {RENDERS_RULE} differs" in result.output
    assert "Expiration.Days=30" in result.output and "Expiration.Days=7" in result.output


def _rules_before_the_cache(app) -> list[dict]:
    run(app)
    return [rule for rule in configuration()["rules"] if rule["ID"] != RENDERS_RULE]


def test_ensure_adds_a_rule_per_bundle_day_count_up_to_the_export_ttl(moto_app, moto_config):
    """Each a day past its lifetime, as S3 counts from the upload's start (rules.py says why)."""
    shorter = create_app({**moto_config, "EXPORT_TTL_HOURS": 49})  # a bundle lasts 1 to 3 days
    with shorter.app_context():
        s3.ensure_bucket()
        result = run(shorter)
        rules = rules_by_id()
        check = run(shorter, "--check")

    bundle_rules = {rid: rule for rid, rule in rules.items() if "bundles" in rid}
    assert {rid: (r["Filter"], r["Expiration"]) for rid, r in bundle_rules.items()} == {
        BUNDLES_RULE.format(days=d): ({"Prefix": f"bundles/{d}d/"}, {"Days": d + 1})
        for d in (1, 2, 3)
    }
    assert f"added lifecycle rule {BUNDLES_RULE.format(days=3)} (prefix 'bundles/3d/'" in (
        result.output
    )
    assert check.exit_code == 0, check.output


def test_check_reports_a_missing_bundle_rule(moto_app):
    run(moto_app)
    gone = BUNDLES_RULE.format(days=2)
    put_rules([rule for rule in configuration()["rules"] if rule["ID"] != gone])

    result = run(moto_app, "--check")

    assert result.exit_code != 0
    assert f"lifecycle rule {gone} is missing" in result.output
