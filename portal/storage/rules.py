"""The bucket configuration Sitepack relies on, compared with what the bucket has, and applied.

Export zips must disappear on their own even if the sweeper never runs, abandoned multipart
uploads must not be billed forever, and nothing in the bucket may ever be public. The bucket
may be shared with other tooling, so lifecycle rules are merged by ID: ours start with
`sitepack-`, every other rule is left exactly as found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botocore.exceptions import ClientError
from flask import current_app

from portal.storage import client as s3
from portal.storage import keys

RULE_PREFIX = "sitepack-"
EXPORTS_RULE = "sitepack-expire-exports"
RENDERS_RULE = "sitepack-expire-render-cache"
MULTIPART_RULE = "sitepack-abort-incomplete-multipart"
BUNDLES_RULE = "sitepack-expire-bundles-{days}d"
# S3 counts a rule's days from when the object was created (a multipart upload's start, so
# before the bundle completed) and rounds up to midnight UTC: a rule of exactly the bundle's
# days could delete a zip assembled across midnight minutes before its link expires. The
# sweeper deletes each zip when its link expires; the rule is the backstop a day later, as
# EXPORT_LIFECYCLE_DAYS is for exports.
BUNDLE_SLACK_DAYS = 1
ENCRYPTION = "AES256"
PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
# What S3-compatible servers without the configuration API answer to PUT ?lifecycle & co.
# (rclone's `serve s3` reads them as a second create-bucket).
UNSUPPORTED_CODES = {
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "NotImplemented",
    "MethodNotAllowed",
}


class UnsupportedEndpointError(Exception):
    """The S3 endpoint has no bucket-configuration API, so the rules cannot live there."""


@dataclass
class BucketState:
    exists: bool
    rules: list[dict] = field(default_factory=list)
    # The top-level lifecycle setting S3 keeps beside the rules; carried over on every put.
    transition_minimum_size: str | None = None
    encryption: str | None = None
    public_access: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    drift: str  # what `--check` reports
    fix: str  # what `ensure` reports once it has applied the fix


@dataclass
class Plan:
    findings: list[Finding] = field(default_factory=list)
    lifecycle: dict | None = None  # the whole configuration to put, when the rules disagree
    encryption: bool = False
    public_access: bool = False


def desired_rules() -> list[dict]:
    """Zips live EXPORT_LIFECYCLE_DAYS; cached record PDFs RENDER_CACHE_DAYS (a template
    change makes new keys, so old PDFs are never deleted by hand: they age out here); a
    bundle's zips as many days as its lifetime, under the prefix that names them."""
    config = current_app.config
    return [*_export_rules(config), *_bundle_rules(config)]


def _bundle_rules(config) -> list[dict]:
    """One rule per day count a bundle's lifetime can round up to (1 .. the export TTL's)."""
    return [
        {
            "ID": BUNDLES_RULE.format(days=days),
            "Filter": {"Prefix": keys.bundle_prefix(days)},
            "Status": "Enabled",
            "Expiration": {"Days": days + BUNDLE_SLACK_DAYS},
        }
        for days in range(1, keys.bundle_days(config["EXPORT_TTL_HOURS"]) + 1)
    ]


def _export_rules(config) -> list[dict]:
    return [
        {
            "ID": EXPORTS_RULE,
            "Filter": {"Prefix": keys.EXPORTS},
            "Status": "Enabled",
            "Expiration": {"Days": config["EXPORT_LIFECYCLE_DAYS"]},
        },
        {
            "ID": RENDERS_RULE,
            "Filter": {"Prefix": keys.RENDERS},
            "Status": "Enabled",
            "Expiration": {"Days": config["RENDER_CACHE_DAYS"]},
        },
        {
            "ID": MULTIPART_RULE,
            "Filter": {"Prefix": ""},
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    ]


def read_state() -> BucketState:
    if not s3.bucket_exists():
        return BucketState(exists=False)
    rules, minimum_size = _read_lifecycle()
    return BucketState(
        exists=True,
        rules=rules,
        transition_minimum_size=minimum_size,
        encryption=_read_encryption(),
        public_access=_read_public_access(),
    )


def plan(state: BucketState) -> Plan:
    """What differs from the desired configuration, and what to put to fix it."""
    if not state.exists:
        name = s3.bucket()
        return Plan([Finding(f"bucket {name} does not exist", f"created bucket {name}")])
    merged, findings = _merge_rules(state.rules)
    result = Plan(findings)
    if findings:
        result.lifecycle = {"Rules": merged}
        if state.transition_minimum_size:
            result.lifecycle["TransitionDefaultMinimumObjectSize"] = state.transition_minimum_size
    if not state.encryption:
        result.encryption = True
        result.findings.append(
            Finding("default encryption is off", f"enabled default encryption ({ENCRYPTION})")
        )
    open_flags = [flag for flag in PUBLIC_ACCESS_FLAGS if not state.public_access.get(flag)]
    if open_flags:
        result.public_access = True
        result.findings.append(
            Finding(
                f"public access is not blocked ({', '.join(open_flags)} off)",
                "blocked public access (all four flags)",
            )
        )
    return result


def apply(todo: Plan) -> None:
    api, name = s3.boto(), s3.bucket()
    if todo.lifecycle:
        _put(api.put_bucket_lifecycle_configuration, Bucket=name, **_lifecycle_args(todo))
    if todo.encryption:
        default = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": ENCRYPTION}}
        _put(
            api.put_bucket_encryption,
            Bucket=name,
            ServerSideEncryptionConfiguration={"Rules": [default]},
        )
    if todo.public_access:
        flags = dict.fromkeys(PUBLIC_ACCESS_FLAGS, True)
        _put(api.put_public_access_block, Bucket=name, PublicAccessBlockConfiguration=flags)


def _lifecycle_args(todo: Plan) -> dict:
    args = {"LifecycleConfiguration": {"Rules": todo.lifecycle["Rules"]}}
    minimum_size = todo.lifecycle.get("TransitionDefaultMinimumObjectSize")
    if minimum_size:
        args["TransitionDefaultMinimumObjectSize"] = minimum_size
    return args


def _merge_rules(existing: list[dict]) -> tuple[list[dict], list[Finding]]:
    """Foreign rules kept as found; ours replaced by the desired ones; obsolete ours dropped."""
    wanted = {rule["ID"]: rule for rule in desired_rules()}
    merged, findings = [], []
    for rule in existing:
        rule_id = rule.get("ID", "")
        if rule_id in wanted:
            want = wanted.pop(rule_id)
            if _shape(rule) != _shape(want):
                findings.append(
                    Finding(
                        f"lifecycle rule {rule_id} differs: has {_describe(rule)}, "
                        f"wants {_describe(want)}",
                        f"updated lifecycle rule {rule_id} ({_describe(want)})",
                    )
                )
            merged.append(want)
        elif rule_id.startswith(RULE_PREFIX):
            findings.append(
                Finding(
                    f"lifecycle rule {rule_id} is obsolete",
                    f"removed obsolete lifecycle rule {rule_id}",
                )
            )
        else:
            merged.append(rule)
    for rule_id, want in wanted.items():
        merged.append(want)
        findings.append(
            Finding(
                f"lifecycle rule {rule_id} is missing",
                f"added lifecycle rule {rule_id} ({_describe(want)})",
            )
        )
    return merged, findings


def _shape(rule: dict) -> dict:
    """A rule without its ID, with the equivalent spellings of "whole bucket" made equal."""
    shape = {k: v for k, v in rule.items() if k not in ("ID", "Prefix", "Filter")}
    shape["Filter"] = rule.get("Filter") or {"Prefix": rule.get("Prefix", "")}
    return shape


def _describe(rule: dict) -> str:
    """`prefix 'exports/': Expiration.Days=8, Status=Enabled`, for a person comparing rules."""
    shape = _shape(rule)
    scope = shape.pop("Filter")
    scope = f"prefix {scope['Prefix']!r}" if list(scope) == ["Prefix"] else f"filter {scope}"
    return f"{scope}: " + ", ".join(_flatten(shape))


def _flatten(values: dict, parent: str = "") -> list[str]:
    parts = []
    for key, value in sorted(values.items()):
        if isinstance(value, dict):
            parts += _flatten(value, f"{parent}{key}.")
        else:
            parts.append(f"{parent}{key}={value}")
    return parts


def _read_lifecycle() -> tuple[list[dict], str | None]:
    try:
        answer = s3.boto().get_bucket_lifecycle_configuration(Bucket=s3.bucket())
    except ClientError as exc:
        if _code(exc) == "NoSuchLifecycleConfiguration":
            return [], None
        raise _unsupported_or(exc) from exc
    if "Rules" not in answer:  # S3 never answers 200 without at least one rule
        raise UnsupportedEndpointError("GET ?lifecycle answered without a configuration")
    return answer["Rules"], answer.get("TransitionDefaultMinimumObjectSize")


def _read_encryption() -> str | None:
    try:
        answer = s3.boto().get_bucket_encryption(Bucket=s3.bucket())
    except ClientError as exc:
        if _code(exc) == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        raise _unsupported_or(exc) from exc
    rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules")
    if rules is None:
        raise UnsupportedEndpointError("GET ?encryption answered without a configuration")
    defaults = [rule.get("ApplyServerSideEncryptionByDefault", {}) for rule in rules]
    algorithms = [d["SSEAlgorithm"] for d in defaults if d.get("SSEAlgorithm")]
    return algorithms[0] if algorithms else None


def _read_public_access() -> dict[str, bool]:
    try:
        answer = s3.boto().get_public_access_block(Bucket=s3.bucket())
    except ClientError as exc:
        if _code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise _unsupported_or(exc) from exc
    flags = answer.get("PublicAccessBlockConfiguration")
    if not flags:
        raise UnsupportedEndpointError("GET ?publicAccessBlock answered without a configuration")
    return flags


def _put(call, **kwargs) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        raise _unsupported_or(exc) from exc


def _unsupported_or(exc: ClientError) -> Exception:
    if _code(exc) in UNSUPPORTED_CODES:
        return UnsupportedEndpointError(f"the endpoint answered {_code(exc)}")
    return exc


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")
