"""/dev/mail: read what the app sent, on a laptop. Registered only when SITEPACK_ENV=development."""

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup, escape

from portal.devmail import mailbox
from portal.security import content_security_policy

bp = Blueprint("devmail", __name__)

# A URL ends before whitespace, quotes or angle brackets, and never on trailing punctuation.
URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
# Links in the HTML part open in a new tab (or download): the sandboxed frame runs no script.
FRAME_HEAD = '<base target="_blank">'


@bp.get("/dev/mail")
def index():
    return render_template("devmail/index.html", mails=mailbox.list_mails(mail_folder()))


@bp.get("/dev/mail/<mail_id>")
def show(mail_id: str):
    mail = mailbox.read_mail(mail_folder(), mail_id)
    if mail is None:
        abort(404)
    page = render_template(
        "devmail/show.html",
        mail=mail,
        text=linkify(mail.text) if mail.text is not None else None,
        srcdoc=FRAME_HEAD + mail.html if mail.html is not None else None,
    )
    # The sandboxed frame inherits this page's policy; HTML emails are styled inline.
    csp = content_security_policy(current_app.config, inline_styles=True).header_value
    return page, {"Content-Security-Policy": csp}


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
