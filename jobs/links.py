"""Step 3, for links: a bundle's URLs (or a handover pack's) fetched and streamed into the zip.

The fetching is portal/outbound's (guarded, capped, a few at a time, in the export's order);
this module names each file and hands it to the archive, so a link's file lands in the same
parts, with the same unique names and manifests, as a record's PDF. A link that gives no
file is a manifest row saying "error" and a line of ERRORS.txt; the export still completes,
with a warning for it. Each link counts into the export's progress as it enters the zip.
"""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from flask import current_app

from jobs.archive import path_entry_name
from jobs.heartbeat import Heartbeat
from jobs.parts import PartedArchive
from portal.exports.attempts import export_links
from portal.exports.options import LinkIn
from portal.models import Export
from portal.outbound.download import Download, rules_for
from portal.outbound.fanout import Stopped, fetch_all

FALLBACK_NAME = "download"
NO_FILE = "no file"


def add_links(archive: PartedArchive, export: Export, pulse: Heartbeat) -> dict[int, str]:
    """Every link of the export into `archive`, in order; stops (AttemptLost) within a
    second or so of the attempt being cancelled or taken over. Returns why each link that
    gave no file did not, by its position."""
    asked, errors = export_links(export), {}
    if not asked:
        return errors
    fetched = fetch_all([link.url for link in asked], rules_for(current_app.config), pulse.lost)
    try:
        for position, (link, download) in enumerate(zip(asked, fetched, strict=True)):
            try:
                _add(archive, link, download)
            finally:
                download.close()
            if not download.ok:
                errors[position] = download.error or NO_FILE
            pulse.count(failed=not download.ok)
        pulse.beat()  # what was counted since the last beat
        return errors
    except Stopped:
        pulse.check()  # raises the AttemptLost that stopped it
        raise
    finally:
        fetched.close()


def _add(archive: PartedArchive, link: LinkIn, download: Download) -> None:
    title = link.name or link.url
    if not download.ok:
        archive.add_failure("", title, download.error or NO_FILE, url=link.url)
        return
    archive.add_stream(
        entry_name(link, download),
        download.file,
        download.size,
        reference="",
        title=title,
        sha256=download.sha256,
        url=link.url,
        content_type=download.content_type,
    )


def entry_name(link: LinkIn, download: Download) -> str:
    """The name asked for (folders allowed), else the one its server gave, else the URL's
    last path segment, else "download"; with an extension for its sniffed type when the name
    has none. Only the person's own name may make folders: a server's is a file name."""
    served = _last_segment(download.filename or "")
    where = download.final_url or link.url  # where a redirect led: often the real file name
    name = link.name or served or _last_segment(unquote(urlsplit(where).path))
    extension = mimetypes.guess_extension(download.content_type, strict=False) or ""
    return path_entry_name(name or FALLBACK_NAME, extension)


def _last_segment(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/"))
