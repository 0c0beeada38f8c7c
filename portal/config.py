"""Every Sitepack setting, read from the environment.

Infrastructure has laptop defaults (SQLite, Redis, the local S3 endpoint and SMTP sink on
127.0.0.1) so `make run` needs no configuration; secrets have no production default, and a
production start without them stops with a message that names the variable.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import click

from portal.outbound import sniff
from portal.outbound.guard import Allowed

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class ConfigError(click.ClickException):
    """A setting is missing or malformed; the message names it. A ClickException, so the
    `flask` command prints it as one line (exit 1) instead of a traceback."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _ints(env: Mapping[str, str], name: str, default: list[int]) -> list[int]:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated whole numbers, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def from_environment(environ: Mapping[str, str] = os.environ) -> dict:
    """Settings from `environ`; tests pass their own mapping instead of patching os.environ."""
    settings = {
        **_core(environ),
        **_mail(environ),
        **_exports(environ),
        **_cdn(environ),
        **_webhooks(environ),
        **_bundles(environ),
        **_shares(environ),
    }
    settings["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(settings["SQLALCHEMY_DATABASE_URI"])
    return settings


def _core(environ: Mapping[str, str]) -> dict:
    env = environ.get
    return {
        # "development" enables dev-only pages (/dev/mail) and a throwaway SECRET_KEY.
        "SITEPACK_ENV": env("SITEPACK_ENV", "production"),
        # Signs sessions and CSRF tokens; required outside development.
        "SECRET_KEY": env("SECRET_KEY"),
        # SQLAlchemy URL; PostgreSQL in production (postgresql+psycopg://...).
        "SQLALCHEMY_DATABASE_URI": env("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'sitepack.db'}"),
        # Redis for RQ queues and rate limits (use one with AOF persistence in production).
        "REDIS_URL": env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # The bucket holding photos (attachments/) and export zips (exports/).
        "S3_BUCKET": env("S3_BUCKET", "sitepack"),
        # S3 endpoint; empty means AWS itself. The laptop default is rclone's `serve s3`.
        "S3_ENDPOINT_URL": env("S3_ENDPOINT_URL", "http://127.0.0.1:9100") or None,
        # Folder of a local rclone S3 endpoint's buckets (make run: var/s3), to clean up after it.
        "S3_LOCAL_ROOT": env("S3_LOCAL_ROOT") or None,
        # Region for S3 (and the bucket location when it is created).
        "AWS_REGION": env("AWS_REGION", "us-east-1"),
        # Credentials for S3; empty lets boto3 use its normal chain (instance role, profile).
        "AWS_ACCESS_KEY_ID": env("AWS_ACCESS_KEY_ID", "sitepack-local"),
        "AWS_SECRET_ACCESS_KEY": env("AWS_SECRET_ACCESS_KEY", "sitepack-local-secret"),
        # Load balancers in front of the app that append the client to X-Forwarded-For. gunicorn
        # leaves REMOTE_ADDR at the balancer's; 0 (served directly) ignores the header, so a
        # client cannot pick its own address.
        "TRUSTED_PROXY_COUNT": _int(environ, "TRUSTED_PROXY_COUNT", 0),
        # Failed logins per client address, across accounts (counted in Redis; the policy:
        # portal/auth/throttle.py); a success is free.
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed logins per account from one address; past it that address alone is refused
        # for that account. A successful login from the address clears it.
        "LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT": env(
            "LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT", "5 per 15 minutes"
        ),
        # Failed logins per account from all addresses; past it the account is slowed: only an
        # address without a recent failure on it has its password checked.
        "LOGIN_ACCOUNT_RATE_LIMIT": env("LOGIN_ACCOUNT_RATE_LIMIT", "50 per 15 minutes"),
        # Largest request body in bytes (413 beyond). The largest legitimate form is a page of
        # the records table posting its ids twice (2 x 1,000 ids, about 50 KB); a bigger
        # selection travels as "all matching", held on the server, never as ids.
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_CONTENT_LENGTH", 256 * 1024),
        # Hours an API Idempotency-Key is remembered: a retry within them answers with the
        # first request's export; the sweeper then forgets the key.
        "IDEMPOTENCY_KEY_HOURS": _int(environ, "IDEMPOTENCY_KEY_HOURS", 24),
        # Largest photo one API upload may carry (the one body allowed past MAX_CONTENT_LENGTH).
        "API_PHOTO_MAX_BYTES": _int(environ, "API_PHOTO_MAX_BYTES", 20 * 1024 * 1024),
        # Bearer token a Prometheus scraper sends to read /metrics; empty: /metrics is a 404.
        "METRICS_TOKEN": env("METRICS_TOKEN") or None,
        # Records per page on the records table.
        "RECORDS_PER_PAGE": _int(environ, "RECORDS_PER_PAGE", 50),
        # Cookies only over HTTPS; on unless SITEPACK_ENV=development.
        "SESSION_COOKIE_SECURE": _bool(
            environ, "SESSION_COOKIE_SECURE", env("SITEPACK_ENV", "production") != "development"
        ),
    }


def _mail(environ: Mapping[str, str]) -> dict:
    env = environ.get
    return {
        # Outgoing mail; the laptop default is the aiosmtpd sink started by `make run`.
        "MAIL_SERVER": env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int(environ, "MAIL_PORT", 8025),
        "MAIL_USE_TLS": _bool(environ, "MAIL_USE_TLS", False),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env("MAIL_DEFAULT_SENDER", "Sitepack <no-reply@sitepack.local>"),
        # Reply-To of every export email, an inbox people read; empty: emails ask for no reply.
        "SUPPORT_EMAIL": env("SUPPORT_EMAIL") or None,
        # Development only: the folder where the `make run` SMTP sink files mail for /dev/mail.
        "DEV_MAIL_DIR": env("DEV_MAIL_DIR", str(INSTANCE_DIR.parent / "var" / "mail")),
        # Base of every link in an email: never taken from a request's Host header.
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Key of the short codes in record PDFs' verify links (/v/<code>); empty: SECRET_KEY.
        # Changing it changes every code, so every record PDF is rendered again.
        "VERIFY_CODE_KEY": env("VERIFY_CODE_KEY", ""),
        # Opens every signing key (the deployment CA's, each organisation's): from the
        # environment only. Empty: handover PDFs cannot be signed.
        "SIGNING_PASSPHRASE": env("SIGNING_PASSPHRASE", ""),
        # Where `flask signing init` keeps the CA's PKCS#12 (mode 600); empty: the bucket.
        "SIGNING_CA_PATH": env("SIGNING_CA_PATH", ""),
        # Checks on the public Verify page per client address (Flask-Limiter, in Redis).
        "VERIFY_RATE_LIMIT": env("VERIFY_RATE_LIMIT", "20 per minute"),
    }


def _exports(environ: Mapping[str, str]) -> dict:
    env = environ.get
    return {
        # How long a finished export can be downloaded.
        "EXPORT_TTL_HOURS": _int(environ, "EXPORT_TTL_HOURS", 168),
        # Largest export one request may ask for (there is no 50-record attachment cap).
        "EXPORT_MAX_RECORDS": _int(environ, "EXPORT_MAX_RECORDS", 10_000),
        # At most this many pending/processing exports per user.
        "EXPORT_MAX_ACTIVE_PER_USER": _int(environ, "EXPORT_MAX_ACTIVE_PER_USER", 3),
        # Exports up to this many records take the small lane; bigger ones the large lane.
        "EXPORT_SMALL_LANE_MAX": _int(environ, "EXPORT_SMALL_LANE_MAX", 200),
        # Seconds before each automatic retry of an export that failed on a transient error
        # (storage, network, database), soon first; each jittered by queues.RETRY_JITTER.
        # Comma-separated; empty: no retry.
        "EXPORT_RETRY_INTERVALS": _ints(environ, "EXPORT_RETRY_INTERVALS", [15, 60, 300]),
        # Longest one export job may run before RQ stops it.
        "EXPORT_JOB_TIMEOUT": _int(environ, "EXPORT_JOB_TIMEOUT", 6 * 3600),
        # A processing export whose heartbeat (written every second) is older than this is
        # presumed lost and run again; a few missed beats, so a lost export resumes quickly.
        "EXPORT_STALE_SECONDS": _int(environ, "EXPORT_STALE_SECONDS", 10),
        # Where a worker keeps the few MB of temp files an export needs (its manifest's rows;
        # zips stream straight to S3); empty: the system's temp dir.
        "EXPORT_WORK_DIR": env("EXPORT_WORK_DIR") or None,
        # Largest zip an export makes, in bytes; a bigger export is split into several zips.
        # Just under 4 GiB, so no part needs ZIP64 and every unzip tool on every OS opens it.
        "EXPORT_PART_BYTES": _int(environ, "EXPORT_PART_BYTES", 4_000_000_000),
        # Most bytes of record PDFs in one volume of a combined PDF; a bigger export makes
        # several volumes, each a whole PDF that every reader opens comfortably.
        "EXPORT_COMBINED_VOLUME_BYTES": _int(environ, "EXPORT_COMBINED_VOLUME_BYTES", 300_000_000),
        # Render processes per worker; empty means one per core.
        "EXPORT_RENDER_PROCESSES": _int(environ, "EXPORT_RENDER_PROCESSES", 0) or None,
        # Seconds between sweeps (expiry, lost jobs, stale uploads), run by any one worker.
        "SWEEP_INTERVAL_SECONDS": _int(environ, "SWEEP_INTERVAL_SECONDS", 300),
        # Seconds between recovery passes (stalled and lost exports, emails still owed), run
        # by any one worker; each is a few indexed queries.
        "RECOVERY_INTERVAL_SECONDS": _int(environ, "RECOVERY_INTERVAL_SECONDS", 5),
        # Export requests per user, by the portal and /api/v1 together (Flask-Limiter, in Redis).
        "EXPORT_RATE_LIMIT": env("EXPORT_RATE_LIMIT", "10 per minute"),
        # Days after which the bucket lifecycle deletes objects under exports/.
        "EXPORT_LIFECYCLE_DAYS": _int(environ, "EXPORT_LIFECYCLE_DAYS", 8),
        # An export with more records to render than this is split into chunks that any
        # worker may take, so one big export uses every free worker.
        "EXPORT_FANOUT_MIN": _int(environ, "EXPORT_FANOUT_MIN", 200),
        # Records per chunk: small enough to spread, large enough that a chunk's set-up
        # (a render pool, one claim) is paid rarely.
        "EXPORT_CHUNK_RECORDS": _int(environ, "EXPORT_CHUNK_RECORDS", 100),
        # Days after which the bucket lifecycle deletes a cached record PDF under renders/;
        # the next export that needs it renders it again.
        "RENDER_CACHE_DAYS": _int(environ, "RENDER_CACHE_DAYS", 30),
        # Test only (bench/rehearsal --break-fence): no fence at all, any attempt and any
        # chunk claim may write whatever the state, to prove the rehearsal fails without it.
        # Never set in production.
        "TEST_SKIP_FENCE": _bool(environ, "TEST_SKIP_FENCE", False),
        # Record PDFs archival (PDF/A-3a, tagged as PDF/UA-1) unless an export asks otherwise;
        # off: plain PDF 1.7, about 20 % cheaper to render (README, bench/archival_bench.py).
        "PDF_ARCHIVAL": _bool(environ, "PDF_ARCHIVAL", True),
        # Seconds after which a live export's status poll renders its fragment again though
        # its row stood still (the ETA and "next try in 5 minutes" follow the clock); between
        # those, an unchanged poll is a 304.
        "STATUS_REFRESH_SECONDS": _int(environ, "STATUS_REFRESH_SECONDS", 30),
    }


def _shares(environ: Mapping[str, str]) -> dict:
    env = environ.get
    return {
        # Requests to one share link (its landing page and downloads, passcode tries
        # included), counted in Redis; past it the link answers 429 for the window.
        "SHARE_TOKEN_RATE_LIMIT": env("SHARE_TOKEN_RATE_LIMIT", "30 per 10 minutes"),
        # Requests to any share link from one client address: guessing tokens or passcodes
        # across links is refused.
        "SHARE_ADDRESS_RATE_LIMIT": env("SHARE_ADDRESS_RATE_LIMIT", "60 per 10 minutes"),
        # Recipients one share form may name.
        "SHARE_MAX_RECIPIENTS": _int(environ, "SHARE_MAX_RECIPIENTS", 20),
        # Seconds between the scheduler's looks for due schedules (`flask schedules run`).
        "SCHEDULE_TICK_SECONDS": _int(environ, "SCHEDULE_TICK_SECONDS", 15),
    }


def _cdn(environ: Mapping[str, str]) -> dict:
    env = environ.get
    return {
        # CloudFront distribution in front of the bucket: deleted zips are invalidated there.
        "CDN_DISTRIBUTION_ID": env("CDN_DISTRIBUTION_ID") or None,
        # Without an id, find the distribution whose origin is the bucket (1 = look it up).
        "CDN_LOOKUP": _bool(environ, "CDN_LOOKUP", False),
        # CloudFront API endpoint; empty means AWS itself (tests point it at moto's server).
        "CLOUDFRONT_ENDPOINT_URL": env("CLOUDFRONT_ENDPOINT_URL") or None,
    }


def _webhooks(environ: Mapping[str, str]) -> dict:
    return {
        # Addresses outbound requests (webhooks) may reach although they are not public, as
        # comma-separated networks (10.0.0.0/8) or address:port (127.0.0.1:8080, [::1]:8080);
        # plain http is allowed to them too. Empty in production; tests list their receivers.
        "OUTBOUND_ALLOWLIST": _allowlist(environ, "OUTBOUND_ALLOWLIST"),
        # The name lookup outbound URLs are vetted with, (host, port) -> addresses: None is
        # the system's. Not from the environment: tests give create_app one that knows
        # their made-up public names (this machine resolves no name outside loopback).
        "OUTBOUND_RESOLVER": None,
        # Seconds before each retry of a failed webhook delivery (about a day in all, as in
        # the Standard Webhooks schedule); after the last one the delivery is given up.
        "WEBHOOK_RETRY_INTERVALS": _ints(
            environ, "WEBHOOK_RETRY_INTERVALS", [5, 300, 1800, 7200, 18000, 36000, 36000]
        ),
        # An endpoint whose deliveries have failed for this long is disabled and its
        # organisation's admins are emailed.
        "WEBHOOK_DISABLE_AFTER_HOURS": _int(environ, "WEBHOOK_DISABLE_AFTER_HOURS", 24),
        # The shape of a webhook's body: 2, whose `data` is the API's export resource, or 1,
        # the shape before it, kept for one release while receivers move (README, Webhooks).
        "WEBHOOK_PAYLOAD_VERSION": _payload_version(environ),
    }


def _payload_version(environ: Mapping[str, str]) -> int:
    version = _int(environ, "WEBHOOK_PAYLOAD_VERSION", 2)
    if version not in (1, 2):
        raise ConfigError(f"WEBHOOK_PAYLOAD_VERSION must be 1 or 2, got {version}")
    return version


# What a link bundle may hold, by sniffed type: PDF, images, Office documents (OOXML and the
# older OLE2 ones), DWG and DXF drawings, text and CSV, zips.
BUNDLE_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/tiff",
    "image/webp",
    "image/heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "image/vnd.dwg",
    "image/vnd.dxf",
    "text/plain",
    "text/csv",
    "application/zip",
)


def _bundles(environ: Mapping[str, str]) -> dict:
    return {
        # Most links one bundle may list (repeats of a URL count once).
        "BUNDLE_MAX_URLS": _int(environ, "BUNDLE_MAX_URLS", 1_000),
        # How long a bundle's link works unless its requester picks another lifetime (from
        # 1 hour up to EXPORT_TTL_HOURS); the bucket expires its zips after as many days.
        "BUNDLE_TTL_HOURS": _int(environ, "BUNDLE_TTL_HOURS", 24),
        # Types a link bundle's files may have, comma-separated MIME types, judged by the
        # file's first bytes (portal/outbound/sniff.py), not by what its server says.
        "BUNDLE_ALLOWED_TYPES": _types(environ, "BUNDLE_ALLOWED_TYPES", BUNDLE_TYPES),
        # Largest file one link may bring, in bytes, counted after gzip/deflate decoding.
        "BUNDLE_ENTRY_MAX_BYTES": _int(environ, "BUNDLE_ENTRY_MAX_BYTES", 250 * 2**20),
        # Most bytes one bundle may fetch in all; links past it are listed in ERRORS.txt.
        "BUNDLE_MAX_BYTES": _int(environ, "BUNDLE_MAX_BYTES", 2 * 2**30),
        # Seconds one link may take in all, retries and redirects included: a server
        # dripping a byte a second is cut off here, not kept forever.
        "BUNDLE_FETCH_DEADLINE_SECONDS": _int(environ, "BUNDLE_FETCH_DEADLINE_SECONDS", 300),
        # Links of one bundle fetched at once, and at most this many from one server.
        "BUNDLE_FETCH_CONCURRENCY": _int(environ, "BUNDLE_FETCH_CONCURRENCY", 8),
        "BUNDLE_FETCH_PER_HOST": _int(environ, "BUNDLE_FETCH_PER_HOST", 2),
    }


def _types(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> frozenset[str]:
    raw = env.get(name)
    types = [t.strip().lower() for t in raw.split(",") if t.strip()] if raw else default
    unknown = [t for t in types if not sniff.can_return(t)]
    if unknown:
        raise ConfigError(f"{name}: the file sniffer never finds {', '.join(unknown)}")
    return frozenset(types)


def _allowlist(env: Mapping[str, str], name: str) -> list[str]:
    entries = [part.strip() for part in env.get(name, "").split(",") if part.strip()]
    for entry in entries:
        try:
            Allowed.parse(entry)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from exc
    return entries


def _normalise_db_url(url: str) -> str:
    """Heroku-style `postgres://` and bare `postgresql://` URLs get the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def finalise(config: dict) -> None:
    """Fill development conveniences and refuse to start without production secrets."""
    development = config.get("SITEPACK_ENV") == "development" or config.get("TESTING")
    if development and not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = "development-only-secret-key"
    elif not config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or set SITEPACK_ENV=development on a laptop (`make run` leaves it in .flaskenv)."
        )
    _check_local_s3_root(config)
    _check_bundle_ttl(config)
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"])
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Flask-Limiter would set Retry-After on every limited answer (even a 202, whose
    # Retry-After says when to poll): its own goes by another name; a 429's is set by errors.py.
    config.setdefault("RATELIMIT_HEADER_RETRY_AFTER", "X-RateLimit-Retry-After")
    # Redis down must not lock everyone out: limits lapse until it is back.
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)


def _check_bundle_ttl(config: dict) -> None:
    """A bundle's default lifetime must be one a bundle may have, or every request without
    its own would be refused."""
    default, longest = config.get("BUNDLE_TTL_HOURS", 24), config.get("EXPORT_TTL_HOURS", 168)
    if not 1 <= default <= longest:
        raise ConfigError(
            f"BUNDLE_TTL_HOURS is {default}: it must be 1 to EXPORT_TTL_HOURS ({longest})"
        )


def _check_local_s3_root(config: dict) -> None:
    """Files are deleted under S3_LOCAL_ROOT, so it must belong to an endpoint on this machine."""
    endpoint = config.get("S3_ENDPOINT_URL")
    if config.get("S3_LOCAL_ROOT") and urlsplit(endpoint or "").hostname not in LOOPBACK:
        raise ConfigError(
            "S3_LOCAL_ROOT names the folder of an S3 endpoint on this machine (rclone serve s3), "
            f"but S3_ENDPOINT_URL is {endpoint or 'AWS S3 itself'}: unset S3_LOCAL_ROOT"
        )
