"""Decoding photos strictly, whatever WeasyPrint did to Pillow.

Importing WeasyPrint sets Pillow's process-wide `ImageFile.LOAD_TRUNCATED_IMAGES = True`, so
in any process that has rendered a PDF a cut-off JPEG would decode "fine" with a grey bottom
half. Checks that must catch damaged photos run inside `strict_decoding()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import ImageFile

_lock = threading.Lock()


@contextmanager
def strict_decoding() -> Iterator[None]:
    with _lock:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous
