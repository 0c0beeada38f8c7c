"""The one error a request about exports is refused with (the views and the API show it)."""

from __future__ import annotations


class ExportRequestError(ValueError):
    """The request cannot be honoured; the message is shown to the user as it is."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
