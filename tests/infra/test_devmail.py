"""/dev/mail: the captured-mail pages `make run` offers, and their absence everywhere else."""

import os
import re
from email.message import EmailMessage

import pytest

from portal import create_app
from portal.devmail import mailbox
from portal.extensions import db
from tests import factories
from tests.helpers import config_from_env, fresh_database
from tests.servers import serving

DOWNLOAD_URL = "http://127.0.0.1:5000/exports/exp_abc123/download"


@pytest.fixture
def mail_dir(tmp_path):
    return tmp_path / "mail"


@pytest.fixture
def dev_app(sitepack_env, mail_dir, postgres_schema):
    """The app as `make run` starts it (SITEPACK_ENV=development), with two organisations."""
    overrides = config_from_env({**sitepack_env, "SITEPACK_ENV": "development"})
    app = create_app({**overrides, "DEV_MAIL_DIR": str(mail_dir)})
    with app.app_context():
        fresh_database()
        factories.two_organisations()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dev_client(dev_app):
    client = dev_app.test_client()
    factories.login(client, "member@acme.test")
    return client


@pytest.fixture
def dev_server(dev_app):
    with serving(dev_app) as url:
        yield url


def drop_mail(folder, name, subject, text=None, html=None, mtime=None, to="member@acme.test"):
    message = EmailMessage()
    message["From"] = "Sitepack <no-reply@sitepack.local>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Mar 2026 09:30:00 +0000"
    message.set_content(text or "Plain text.")
    if html:
        message.add_alternative(html, subtype="html")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.eml"
    path.write_bytes(message.as_bytes())
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def test_dev_mail_is_not_served_outside_development(client, world):
    factories.login(client, "member@acme.test")
    assert client.get("/dev/mail").status_code == 404
    assert client.get("/dev/mail/anything").status_code == 404


def test_dev_mail_lists_dropped_mails_newest_first(dev_client, mail_dir):
    drop_mail(mail_dir, "older", "Your export is ready", mtime=1_700_000_000)
    drop_mail(mail_dir, "newer", "Export failed: 3 records", mtime=1_700_000_100)
    page = dev_client.get("/dev/mail").get_data(as_text=True)
    assert page.index("Export failed: 3 records") < page.index("Your export is ready")
    assert "member@acme.test" in page
    assert "no-reply@sitepack.local" in page
    assert "2026-03-02 09:30:00" in page
    assert 'href="/dev/mail/newer"' in page


def test_dev_mail_with_empty_folder_says_so(dev_client):
    response = dev_client.get("/dev/mail")
    assert response.status_code == 200
    assert "No mail yet" in response.get_data(as_text=True)


def test_dev_mail_shows_text_part_with_clickable_links(dev_client, mail_dir):
    drop_mail(
        mail_dir, "ready", "Ready", text=f"Download it here: {DOWNLOAD_URL}.\n<b>not bold</b>"
    )
    page = dev_client.get("/dev/mail/ready").get_data(as_text=True)
    assert f'<a href="{DOWNLOAD_URL}" target="_blank" rel="noopener">{DOWNLOAD_URL}</a>.' in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page


def test_dev_mail_shows_html_part_in_a_sandbox_without_scripts(dev_client, mail_dir):
    html = f'<p><a href="{DOWNLOAD_URL}">Download</a></p><script>alert("x")</script>'
    drop_mail(mail_dir, "html", "Ready", html=html)
    page = dev_client.get("/dev/mail/html").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    sandbox = re.search(r'sandbox="([^"]*)"', frame).group(1)
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    assert "allow-popups" in sandbox and "allow-downloads" in sandbox
    assert f"&lt;a href=&#34;{DOWNLOAD_URL}&#34;&gt;Download" in frame
    assert "&lt;base target=&#34;_blank&#34;&gt;" in frame
    # Every script on the page is a file: nothing inline for a CSP to block.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))


def test_dev_mail_allows_the_inline_styles_of_html_mail_but_still_no_inline_script(
    dev_client, mail_dir
):
    drop_mail(mail_dir, "styled", "Ready", html='<p style="color:red">Ready</p>')
    csp = dev_client.get("/dev/mail/styled").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "script-src 'self';" in csp
    other = dev_client.get("/dev/mail").headers["Content-Security-Policy"]
    assert "unsafe-inline" not in other


@pytest.mark.parametrize("mail_id", ["missing", ".hidden", "..%2F..%2Fetc%2Fpasswd", "a%00b"])
def test_dev_mail_unknown_or_malformed_id_is_404(dev_client, mail_dir, mail_id):
    drop_mail(mail_dir, "present", "Present")
    assert dev_client.get(f"/dev/mail/{mail_id}").status_code == 404


@pytest.fixture
def mails_of_two_organisations(mail_dir):
    """Mail to org A's member and admin, and to org B's member (once only in the envelope,
    as the sink files a Bcc)."""
    drop_mail(mail_dir, "acme-member", "Acme member's export", to="member@acme.test")
    drop_mail(mail_dir, "acme-admin", "Acme admin's export", to="Admin <Admin@Acme.test>")
    drop_mail(mail_dir, "bravo", "Bravo's export", to="member@bravo.test")
    bcc = EmailMessage()
    bcc["To"] = "undisclosed-recipients:;"
    bcc["Subject"] = "Bravo's secret"
    bcc.set_content("Bcc only.")
    stored = mailbox.store(
        mail_dir, "no-reply@sitepack.local", ["member@bravo.test"], bcc.as_bytes()
    )
    return stored.stem


def listed_mail_ids(client) -> set[str]:
    return set(
        re.findall(r'href="/dev/mail/([^"]+)"', client.get("/dev/mail").get_data(as_text=True))
    )


def test_dev_mail_shows_a_user_only_the_mail_of_their_own_organisation(
    dev_client, mails_of_two_organisations
):
    assert listed_mail_ids(dev_client) == {"acme-member", "acme-admin"}
    assert dev_client.get("/dev/mail/acme-admin").status_code == 200
    assert dev_client.get("/dev/mail/bravo").status_code == 404
    assert dev_client.get(f"/dev/mail/{mails_of_two_organisations}").status_code == 404


def test_dev_mail_shows_staff_every_organisations_mail(dev_app, mails_of_two_organisations):
    factories.user(factories.organization("Sitepack"), "ops@sitepack.test", is_staff=True)
    db.session.commit()
    client = dev_app.test_client()
    factories.login(client, "ops@sitepack.test")
    bcc = mails_of_two_organisations
    assert listed_mail_ids(client) == {"acme-member", "acme-admin", "bravo", bcc}
    assert client.get(f"/dev/mail/{bcc}").status_code == 200


@pytest.mark.browser
def test_dev_mail_links_open_from_the_sandboxed_html_part(page, dev_server, mail_dir):
    home = f"{dev_server}/"
    drop_mail(mail_dir, "ready", "Your export is ready", html=f'<p><a href="{home}">Open</a></p>')
    page.goto(f"{dev_server}/login")
    page.fill("#email", "member@acme.test")
    page.fill("#password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{dev_server}/dev/mail")
    page.click("text=Your export is ready")
    with page.context.expect_page() as opened:
        page.frame_locator("iframe.mail-frame").locator("a", has_text="Open").click()
    tab = opened.value
    tab.wait_for_url(home)
    assert tab.locator("h1").inner_text() == "Projects"
