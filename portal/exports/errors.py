"""The one error a request about exports is refused with (the views and the API show it)."""

from __future__ import annotations


class ExportRequestError(ValueError):
    """The request cannot be honoured; the message is shown to the user as it is.
    `retry_after`: seconds after which the same request may succeed (sent as Retry-After)."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
