"""The Bot API's error answers, and the ones tests inject with ``fail_next``."""

from dataclasses import dataclass

_STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, reason: str) -> "ApiError":
        return cls(400, f"Bad Request: {reason}")

    @classmethod
    def flood(cls, retry_after: int) -> "ApiError":
        description = f"Too Many Requests: retry after {retry_after}"
        return cls(429, description, {"retry_after": retry_after})

    def as_json(self) -> dict:
        body: dict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class InjectedFailure:
    status: int
    retry_after: int
    description: str | None

    def as_error(self) -> ApiError:
        if self.status == 429:
            error = ApiError.flood(self.retry_after)
            if self.description:
                error.description = self.description
            return error
        default = _STATUS_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, self.description or default)
