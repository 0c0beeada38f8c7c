"""The SMTP sink `make run` starts: what the app sends lands in the folder /dev/mail reads."""

import smtplib
import sys
from email.message import EmailMessage

import pytest

from portal.devmail import mailbox
from tests.polling import wait_until
from tests.servers import free_port, start_process, stop_process


@pytest.fixture
def sink(tmp_path):
    """The sink as Procfile.dev runs it, as its own process on a free port."""
    folder, port = tmp_path / "mail", free_port()
    args = [sys.executable, "-m", "portal.devmail.sink", "--port", str(port), "--dir", str(folder)]
    process = start_process(args, port, "mail-sink")
    yield folder, port, process
    if process.poll() is None:
        stop_process(process)


def ready_email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Sitepack <no-reply@sitepack.local>"
    message["To"] = "admin@northwind.test"
    message["Subject"] = "Your export of 1,200 records is ready"
    message.set_content("Download: http://127.0.0.1:5000/exports/exp_1/download")
    message.add_alternative(
        '<a href="http://127.0.0.1:5000/exports/exp_1/download">Download</a>', subtype="html"
    )
    return message


def test_sink_files_each_message_it_receives(sink):
    folder, port, _ = sink
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(ready_email(), to_addrs=["admin@northwind.test", "audit@northwind.test"])
    mails = wait_until(lambda: mailbox.list_mails(folder))
    assert len(mails) == 1
    mail = mailbox.read_mail(folder, mails[0].id)
    assert mail.subject == "Your export of 1,200 records is ready"
    assert mail.recipients == "admin@northwind.test"
    assert "http://127.0.0.1:5000/exports/exp_1/download" in mail.text
    assert 'href="http://127.0.0.1:5000/exports/exp_1/download"' in mail.html
    raw = (folder / f"{mail.id}.eml").read_text()
    assert "X-Envelope-To: admin@northwind.test, audit@northwind.test" in raw


def test_sink_stops_cleanly_on_sigterm(sink):
    _, _, process = sink
    process.terminate()
    assert process.wait(timeout=10) == 0
