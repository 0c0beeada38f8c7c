"""/dev/mail: read what the app sent, on a laptop. Registered only when SITEPACK_ENV=development.

The sink holds every organisation's mail, so a viewer reads only mail sent to a user of their
own organisation (as they would in their own inboxes); Sitepack staff read it all.
"""

import re
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from portal.devmail import mailbox
from portal.extensions import db
from portal.models import User
from portal.security import content_security_policy

bp = Blueprint("devmail", __name__)

# A URL ends before whitespace, quotes or angle brackets, and never on trailing punctuation.
URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
# Links in the HTML part open in a new tab (or download): the sandboxed frame runs no script.
FRAME_HEAD = '<base target="_blank">'


@bp.get("/dev/mail")
def index():
    mails = mailbox.list_mails(mail_folder(), shown=readable_by_viewer())
    return render_template("devmail/index.html", mails=mails)


@bp.get("/dev/mail/<mail_id>")
def show(mail_id: str):
    mail = mailbox.read_mail(mail_folder(), mail_id)
    if mail is None or not readable_by_viewer()(mail):
        abort(404)
    page = render_template(
        "devmail/show.html",
        mail=mail,
        text=linkify(mail.text) if mail.text is not None else None,
        srcdoc=FRAME_HEAD + with_inline_images(mail) if mail.html is not None else None,
    )
    # The sandboxed frame inherits this page's policy; HTML emails are styled inline.
    csp = content_security_policy(current_app.config, inline_styles=True).header_value
    return page, {"Content-Security-Policy": csp}


def with_inline_images(mail: mailbox.Mail) -> str:
    """The HTML part with each `cid:` image it sent along put in place (data: URIs)."""
    html = mail.html
    for cid, uri in mail.inline_images.items():
        html = html.replace(f'"cid:{cid}"', f'"{uri}"')
    return html


def readable_by_viewer() -> Callable[[mailbox.Mail], bool]:
    if current_user.is_staff:
        return lambda mail: True
    colleagues = frozenset(
        db.session.scalars(
            select(func.lower(User.email)).where(
                User.organization_id == current_user.organization_id
            )
        )
    )
    return lambda mail: not mail.addressed_to.isdisjoint(colleagues)


def mail_folder() -> Path:
    return Path(current_app.config["DEV_MAIL_DIR"])


def linkify(text: str) -> Markup:
    """Escape the text and make its URLs clickable, so a plain-text mail's links work too."""
    pieces, position = [], 0
    for match in URL.finditer(text):
        url = match.group(0)
        pieces.append(escape(text[position : match.start()]))
        pieces.append(Markup('<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(url))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
