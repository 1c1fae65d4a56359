"""Bot API errors: ApiError and the HTTP answer that carries its JSON body."""

from __future__ import annotations

from tests.fakes.telegram_server.http_server import HttpResponse, dumps
from tests.fakes.telegram_server.records import JSON


class ApiError(Exception):
    """An error answer of the Bot API: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """Return the JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def error_response(error: ApiError) -> HttpResponse:
    """The HTTP answer for an error: its status and JSON body."""
    return HttpResponse(error.code, dumps(error.payload()))
