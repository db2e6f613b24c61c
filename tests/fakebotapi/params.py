"""Decoding call parameters the way the Bot API reads them."""

import json
import re
from typing import Any

from aiohttp import web

from .errors import ApiError
from .models import UploadedFile

# Form values arrive as strings; PTB JSON-encodes everything that is not a string.
_JSON_FIELDS = {
    "allowed_updates",
    "caption_entities",
    "commands",
    "entities",
    "link_preview_options",
    "reply_markup",
    "reply_parameters",
    "scope",
}
_INTEGER_FIELDS = {
    "chat_id",
    "limit",
    "message_id",
    "message_thread_id",
    "offset",
    "reply_to_message_id",
    "timeout",
    "user_id",
}
_BOOLEAN_FIELDS = {
    "allow_sending_without_reply",
    "disable_notification",
    "drop_pending_updates",
    "protect_content",
    "show_alert",
}
_INTEGER = re.compile(r"-?\d+")


async def read_params(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body_text = await request.text()
        try:
            body = json.loads(body_text) if body_text else {}
        except ValueError:
            raise ApiError.bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError.bad_request("can't parse JSON object")
        raw.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[name] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                raw[name] = value
    return {name: _decode_param(name, value) for name, value in raw.items()}


def _decode_param(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError.bad_request(f"can't parse {name} JSON object") from None
    if name in _INTEGER_FIELDS and _INTEGER.fullmatch(value):
        return int(value)
    if name in _BOOLEAN_FIELDS:
        return value.lower() in ("true", "1")
    return value
