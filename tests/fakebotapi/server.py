"""A fake Telegram Bot API server that PTB talks to over real HTTP on 127.0.0.1.

It answers like the real Bot API (``{"ok": true, "result": ...}`` or an error with
``error_code``, ``description`` and ``parameters``) and enforces the Telegram rules
the bot has to cope with: message length, HTML parse_mode validity, flood limits,
kicked bots, migrated groups and unknown chats. Tests script the other side with
the scenario controls (``add_chat``, ``user_message``, ``fail_next``, ...) and
inspect ``sent`` and ``requests``.

Markdown parse modes are accepted but not parsed: their text is taken as is.
"""

import asyncio
import inspect
import itertools
import json
import mimetypes
import re
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from .entities import FormattedText, HtmlParseError, detect_entities, parse_html, strip_formatted
from .models import CHAT_TYPES, Chat, SentMessage, StoredFile, UploadedFile, administrator
from .ratelimit import FloodControl

MAX_TEXT_LENGTH = 4096  # characters of the text users see, after parse_mode
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_SIZE = 50 * 1024 * 1024

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
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
# Update types Telegram leaves out unless allowed_updates asks for them.
_OPT_IN_UPDATE_TYPES = {"chat_member", "message_reaction", "message_reaction_count"}
_MESSAGE_UPDATE_TYPES = ("message", "edited_message", "channel_post", "edited_channel_post")
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
class _InjectedFailure:
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


class FakeBotApi:
    """The Telegram Bot API for one bot, served from 127.0.0.1 on a free port."""

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        per_chat_per_second: float = 1.0,
        per_chat_burst: int = 3,
        per_group_per_minute: int = 20,
        group_window: float = 60.0,
        global_per_second: int = 30,
        enforce_rate_limits: bool = True,
        bot_username: str = "briefbot_test_bot",
        local_mode: bool = False,
    ) -> None:
        """Configure the fake; ``start()`` (or ``async with``) serves it.

        The flood limits count sendMessage and sendDocument calls; the defaults are
        Telegram's. ``group_window`` is the length in seconds of the window the
        group/channel limit counts over: shorten it (with ``per_group_per_minute``) to
        exercise that limit quickly. ``enforce_rate_limits`` may be switched any time.
        ``local_mode`` answers as a self-hosted Bot API server started with --local does
        (plain-HTTP webhooks allowed).
        """
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.enforce_rate_limits = enforce_rate_limits
        self.local_mode = local_mode
        self.flood_control = FloodControl(
            per_chat_per_second=per_chat_per_second,
            per_chat_burst=per_chat_burst,
            per_group_per_minute=per_group_per_minute,
            group_window=group_window,
            global_per_second=global_per_second,
        )
        # Accepted sendMessage/sendDocument/editMessageText calls, in order.
        self.sent: list[SentMessage] = []
        # Every call, refused ones included: method name and decoded parameters
        # (file uploads as UploadedFile).
        self.requests: list[tuple[str, dict]] = []

        self._chats: dict[int, Chat] = {}
        self._users: dict[int, dict] = {}
        self._messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> Message
        self._bot_messages: set[tuple[int, int]] = set()
        self._files: dict[str, StoredFile] = {}
        self._file_numbers = itertools.count(1)
        self._callback_query_ids: set[str] = set()
        self._callback_query_numbers = itertools.count(1)
        self._failures: dict[str, deque[_InjectedFailure]] = {}
        self._rejections: list[str] = []  # for wait_for_messages' timeout report
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._webhook_url = ""
        self._allowed_updates: list[str] = []

        self._updates: list[dict] = []
        self._last_update_id = 0
        self._poll_number = 0
        self._updates_changed = asyncio.Event()
        self._messages_changed = asyncio.Event()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        handlers: dict[str, Callable[[dict], Any]] = {
            "getMe": self._get_me,
            "logOut": self._acknowledge,
            "close": self._acknowledge,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getFile": self._get_file,
            "answerCallbackQuery": self._answer_callback_query,
        }
        # Telegram matches method names case-insensitively.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api_call)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        # Clients keep connections alive; don't let shutdown wait long for them.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._stopping = False

    async def stop(self) -> None:
        # Answer pending long polls first, otherwise shutdown waits for their timeout.
        self._stopping = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeBotApi":
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)``: PTB appends the token itself."""
        return f"{self._server_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Bot(base_file_url=...)``: PTB appends the token itself."""
        return f"{self._server_url}/file/bot"

    @property
    def _server_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeBotApi is not started")
        return f"http://127.0.0.1:{self._port}"

    # -- inspection ------------------------------------------------------------

    def messages_to(self, chat_id: int | str) -> list[SentMessage]:
        chat = self._find_chat(chat_id)
        wanted = chat.id if chat else chat_id
        return [message for message in self.sent if message.chat_id == wanted]

    async def wait_for_messages(
        self, n: int, *, chat_id: int | str | None = None, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Wait until at least ``n`` messages (to ``chat_id``, if given) were accepted.

        Returns all of them, which may be more than ``n``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            matching = self.sent if chat_id is None else self.messages_to(chat_id)
            if len(matching) >= n:
                return list(matching)
            changed = self._messages_changed
            try:
                await asyncio.wait_for(changed.wait(), deadline - loop.time())
            except TimeoutError:
                target = "" if chat_id is None else f" to chat {chat_id}"
                texts = [message.text for message in matching]
                raise TimeoutError(
                    f"expected {n} messages{target} within {timeout}s, got {len(matching)}: "
                    f"{texts!r}; last refused calls: {self._rejections[-5:]!r}"
                ) from None

    # -- scenario controls -----------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "channel",  # noqa: A002 - Telegram's field name
        username: str | None = None,
        title: str | None = None,
        admins: Iterable[int] = (),
    ) -> None:
        """Make a chat known, with the bot in it (adding it again undoes removal)."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}, not {type!r}")
        previous = self._chats.get(chat_id)
        self._chats[chat_id] = Chat(
            id=chat_id,
            type=type,
            title=title,
            username=username,
            admins=set(admins),
            members=previous.members if previous else set(),
            last_message_id=previous.last_message_id if previous else 0,
        )

    def remove_bot_from(self, chat_id: int) -> None:
        """The bot is kicked (or blocked by a user): sends get 403 from now on."""
        self._known_chat(chat_id).bot_removed = True

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """A group becomes a supergroup: calls with old_id get 400 with migrate_to_chat_id."""
        old = self._known_chat(old_id)
        self._chats[new_id] = Chat(
            id=new_id,
            type="supergroup",
            title=old.title,
            username=old.username,
            admins=set(old.admins),
            members=set(old.members),
        )
        old.migrated_to = new_id
        old.username = None

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        description: str | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error instead.

        429 errors carry ``parameters.retry_after``; other statuses get Telegram's
        generic description unless ``description`` is given.
        """
        failure = _InjectedFailure(status, retry_after, description)
        self._failures.setdefault(method.lower(), deque()).extend([failure] * count)

    def push_update(self, update: dict) -> None:
        """Queue an Update for getUpdates; an update_id is assigned if missing."""
        self._enqueue(update)

    def user_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None,
        *,
        reply_to: dict | SentMessage | None = None,
        forward_from_chat: dict | None = None,
        caption: str | None = None,
        document: dict | None = None,
        language_code: str = "en",
        entities: list[dict] | None = None,
    ) -> dict:
        """Queue the Update Telegram sends when a user posts a message, and return it.

        Commands and links get their entities as Telegram would add them, unless
        ``entities`` is given. A message has either ``text`` or a ``document`` (from
        ``add_file``) with an optional ``caption``. ``reply_to`` may be a Message dict,
        just ``{"message_id": n}`` of a known message, or a SentMessage. Unknown chats
        become known: a private chat when ``chat_id == user_id``, else a group (a
        supergroup for ``-100...`` ids).
        """
        if document is None and not text:
            raise ValueError("a message needs text or a document")
        if document is not None and text:
            raise ValueError("a document message has a caption, not text")
        if document is None and caption is not None:
            raise ValueError("a caption needs a document")
        chat = self._chats.get(chat_id) or self._learn_chat(
            {"id": chat_id, "type": _implied_chat_type(chat_id, user_id)}
        )
        message: dict = {
            "message_id": chat.next_message_id(),
            "date": _now(),
            "chat": chat.as_dict(),
        }
        if chat.type == "channel":
            message["sender_chat"] = chat.as_dict()
        else:
            message["from"] = self._user(user_id, language_code)
        if document is not None:
            message["document"] = self._document_for_user_message(document)
            if caption:
                message["caption"] = caption
                _set_entities(message, "caption_entities", entities, caption)
        else:
            message["text"] = text
            _set_entities(message, "entities", entities, text)
        if reply_to is not None:
            message["reply_to_message"] = self._message_replied_to(chat, reply_to)
        if forward_from_chat is not None:
            message["forward_origin"] = self._forward_origin(forward_from_chat)
        update_type = "channel_post" if chat.type == "channel" else "message"
        return self._enqueue({update_type: message})

    def user_callback_query(
        self, chat_id: int, user_id: int, data: str, *, message_id: int
    ) -> dict:
        """Queue the Update for a user pressing an inline button under a message."""
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        query = {
            "id": str(next(self._callback_query_numbers)),
            "from": self._users.get(user_id) or self._user(user_id, "en"),
            "chat_instance": str(chat_id),
            "message": message,
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    def add_file(
        self, file_id: str, content: bytes, file_name: str, *, mime_type: str | None = None
    ) -> dict:
        """Store a file for getFile and download; returns its Document dict."""
        stored = self._store_file(content, file_name, mime_type, file_id=file_id)
        return stored.as_document()

    # -- HTTP ------------------------------------------------------------------

    async def _handle_api_call(self, request: web.Request) -> web.Response:
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        try:
            params = await _read_params(request)
        except ApiError as error:
            self.requests.append((name, {}))
            return self._error_response(name, error)
        self.requests.append((name, params))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found")
            failures = self._failures.get(name.lower())
            if failures:
                raise failures.popleft().as_error()
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            return self._error_response(name, error)
        return web.json_response({"ok": True, "result": result})

    def _error_response(self, method: str, error: ApiError) -> web.Response:
        self._rejections.append(f"{method}: {error.status} {error.description}")
        return web.json_response(error.as_json(), status=error.status)

    async def _handle_download(self, request: web.Request) -> web.Response:
        stored = next(
            (f for f in self._files.values() if f.file_path == request.match_info["file_path"]),
            None,
        )
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").as_json(), status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    # -- updates ---------------------------------------------------------------

    def _enqueue(self, update: dict) -> dict:
        update = dict(update)
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, update["update_id"])
        else:
            self._last_update_id += 1
            update["update_id"] = self._last_update_id
        for update_type in _MESSAGE_UPDATE_TYPES:
            if update_type in update:
                self._learn_message(update[update_type])
        if "callback_query" in update:
            self._callback_query_ids.add(update["callback_query"]["id"])
        self._updates.append(update)
        self._wake_pollers()
        return update

    def _wake_pollers(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    async def _get_updates(self, params: dict) -> list[dict]:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        self._confirm_updates(params.get("offset"))
        limit = min(max(params.get("limit", 100), 1), 100)
        # Like Telegram, a newer getUpdates ends an older pending one with 409 Conflict.
        self._poll_number += 1
        poll_number = self._poll_number
        self._wake_pollers()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + params.get("timeout", 0)
        while True:
            updates = [update for update in self._updates if self._is_allowed(update)][:limit]
            remaining = deadline - loop.time()
            if updates or remaining <= 0 or self._stopping:
                return updates
            changed = self._updates_changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return []
            if self._poll_number != poll_number:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _confirm_updates(self, offset: int | None) -> None:
        """Forget updates before ``offset``; a negative offset keeps the last -offset ones."""
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]

    def _is_allowed(self, update: dict) -> bool:
        update_type = next(key for key in update if key != "update_id")
        if self._allowed_updates:
            return update_type in self._allowed_updates
        return update_type not in _OPT_IN_UPDATE_TYPES

    def _set_webhook(self, params: dict) -> bool:
        url = params.get("url", "")
        # A self-hosted telegram-bot-api server in --local mode takes plain-HTTP webhooks.
        if url and not url.startswith("https://") and not (self.local_mode and url.startswith("http://")):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self._webhook_url = url
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: dict) -> bool:
        return self._set_webhook({**params, "url": ""})

    def _get_webhook_info(self, params: dict) -> dict:
        info = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    # -- bot -------------------------------------------------------------------

    def _bot_user(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Briefbot Test",
            "username": self.bot_username,
        }

    def _get_me(self, params: dict) -> dict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _acknowledge(self, params: dict) -> bool:
        return True

    def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError.bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise ApiError.bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[_commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: dict) -> list[dict]:
        return self._commands.get(_commands_key(params), [])

    # -- chats -----------------------------------------------------------------

    def _find_chat(self, chat_id: int | str) -> Chat | None:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            username = chat_id[1:].lower()
            return next(
                (c for c in self._chats.values() if c.username and c.username.lower() == username),
                None,
            )
        return self._chats.get(chat_id) if isinstance(chat_id, int) else None

    def _known_chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}: add it with add_chat() first")
        return chat

    def _chat_with_bot(self, params: dict) -> Chat:
        """The chat a call is about, refusing it the way Telegram does."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError.bad_request("chat_id is empty")
        chat = self._find_chat(chat_id)
        if chat is None:
            raise ApiError.bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.bot_removed:
            raise ApiError(403, chat.kicked_description)
        return chat

    def _learn_chat(self, chat_dict: dict) -> Chat:
        chat = self._chats.get(chat_dict["id"])
        if chat is None:
            chat = Chat(
                id=chat_dict["id"],
                type=chat_dict["type"],
                title=chat_dict.get("title") or chat_dict.get("first_name"),
                username=chat_dict.get("username"),
            )
            self._chats[chat.id] = chat
        return chat

    def _learn_message(self, message: dict) -> None:
        chat = self._learn_chat(message["chat"])
        chat.last_message_id = max(chat.last_message_id, message["message_id"])
        sender = message.get("from")
        if sender:
            self._users.setdefault(sender["id"], sender)
            chat.members.add(sender["id"])
        self._messages[(chat.id, message["message_id"])] = message

    def _user(self, user_id: int, language_code: str) -> dict:
        user = self._users.get(user_id)
        if user is None or user.get("language_code") != language_code:
            user = {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User {user_id}",
                "language_code": language_code,
            }
            self._users[user_id] = user
        return user

    def _get_chat(self, params: dict) -> dict:
        chat = self._chat_with_bot(params)
        return {
            **chat.as_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: dict) -> dict:
        chat = self._chat_with_bot(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise ApiError.bad_request("invalid user_id specified")
        if user_id == self.bot_id:
            user = self._bot_user()
            # A bot can only be in a channel as an administrator.
            if chat.type == "channel" or user_id in chat.admins:
                return administrator(user, chat.type)
            return {"status": "member", "user": user}
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": f"User {user_id}",
        }
        if user_id in chat.admins:
            return administrator(user, chat.type)
        if user_id in chat.members or chat.id == user_id:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    def _get_chat_administrators(self, params: dict) -> list[dict]:
        chat = self._chat_with_bot(params)
        if chat.type == "private":
            raise ApiError.bad_request("there are no administrators in the private chat")
        admin_ids = sorted(chat.admins)
        if chat.type == "channel" and self.bot_id not in chat.admins:
            admin_ids.append(self.bot_id)
        return [self._get_chat_member({"chat_id": chat.id, "user_id": uid}) for uid in admin_ids]

    def _send_chat_action(self, params: dict) -> bool:
        self._chat_with_bot(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        return True

    # -- messages --------------------------------------------------------------

    def _send_message(self, params: dict) -> dict:
        chat = self._chat_with_bot(params)
        text = params.get("text")
        formatted = _message_text(text, params.get("parse_mode"), params.get("entities"))
        reply_to = self._reply_target(chat, params)
        self._check_flood(chat)
        message = self._new_bot_message(chat, reply_to, params.get("reply_markup"))
        message["text"] = formatted.text
        if formatted.entities:
            message["entities"] = formatted.entities
        self._record("sendMessage", chat, message, params, text, formatted.text)
        return message

    def _send_document(self, params: dict) -> dict:
        chat = self._chat_with_bot(params)
        document = self._document_to_send(params.get("document"))
        caption = params.get("caption") or ""
        formatted = FormattedText("")
        if caption:
            formatted = _formatted(
                caption, params.get("parse_mode"), params.get("caption_entities")
            )
        if len(formatted.text) > MAX_CAPTION_LENGTH:
            raise ApiError.bad_request("message caption is too long")
        reply_to = self._reply_target(chat, params)
        self._check_flood(chat)
        message = self._new_bot_message(chat, reply_to, params.get("reply_markup"))
        message["document"] = document.as_document()
        if formatted.text:
            message["caption"] = formatted.text
            if formatted.entities:
                message["caption_entities"] = formatted.entities
        self._record(
            "sendDocument", chat, message, params, caption or None, formatted.text or None, document
        )
        return message

    def _edit_message_text(self, params: dict) -> dict:
        if "inline_message_id" in params:
            raise ApiError.bad_request("MESSAGE_ID_INVALID")
        chat = self._chat_with_bot(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError.bad_request("message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise ApiError.bad_request("message to edit not found")
        if (chat.id, message_id) not in self._bot_messages:
            raise ApiError.bad_request("message can't be edited")
        if "text" not in message:
            raise ApiError.bad_request("there is no text in the message to edit")
        text = params.get("text")
        formatted = _message_text(text, params.get("parse_mode"), params.get("entities"))
        reply_markup = _inline_keyboard(params.get("reply_markup"))
        if (formatted.text, formatted.entities, reply_markup) == (
            message["text"],
            message.get("entities", []),
            message.get("reply_markup"),
        ):
            raise ApiError.bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        edited = {
            key: value
            for key, value in message.items()
            if key not in ("entities", "reply_markup")
        }
        edited.update(text=formatted.text, edit_date=_now())
        if formatted.entities:
            edited["entities"] = formatted.entities
        if reply_markup:
            edited["reply_markup"] = reply_markup
        self._record("editMessageText", chat, edited, params, text, formatted.text)
        return edited

    def _reply_target(self, chat: Chat, params: dict) -> dict | None:
        reply = params.get("reply_parameters") or {}
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        target = self._messages.get((chat.id, message_id))
        if target is None:
            allowed = reply.get("allow_sending_without_reply")
            if allowed or params.get("allow_sending_without_reply"):
                return None
            raise ApiError.bad_request("message to be replied not found")
        return target

    def _check_flood(self, chat: Chat) -> None:
        if not self.enforce_rate_limits:
            return
        retry_after = self.flood_control.try_send(chat.id, is_group=chat.is_group)
        if retry_after is not None:
            raise ApiError.flood(retry_after)

    def _new_bot_message(self, chat: Chat, reply_to: dict | None, reply_markup: Any) -> dict:
        message: dict = {
            "message_id": chat.next_message_id(),
            "date": _now(),
            "chat": chat.as_dict(),
        }
        # Channel posts are signed by the channel, not by the bot.
        if chat.type == "channel":
            message["sender_chat"] = chat.as_dict()
        else:
            message["from"] = self._bot_user()
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(reply_to)
        keyboard = _inline_keyboard(reply_markup)
        if keyboard:
            message["reply_markup"] = keyboard
        return message

    def _record(
        self,
        method: str,
        chat: Chat,
        message: dict,
        params: dict,
        text: str | None,
        plain_text: str | None,
        document: StoredFile | None = None,
    ) -> None:
        key = (chat.id, message["message_id"])
        self._messages[key] = message
        self._bot_messages.add(key)
        reply_to = message.get("reply_to_message")
        self.sent.append(
            SentMessage(
                chat_id=chat.id,
                text=text,
                parse_mode=params.get("parse_mode"),
                reply_to_message_id=reply_to["message_id"] if reply_to else None,
                message_id=message["message_id"],
                date=_now(),
                method=method,
                plain_text=plain_text,
                reply_markup=message.get("reply_markup"),
                document=document,
            )
        )
        self._messages_changed.set()
        self._messages_changed = asyncio.Event()

    def _message_replied_to(self, chat: Chat, reply_to: dict | SentMessage) -> dict:
        if isinstance(reply_to, SentMessage):
            message_id = reply_to.message_id
        else:
            message_id = reply_to["message_id"]
        known = self._messages.get((chat.id, message_id))
        if known is None and isinstance(reply_to, SentMessage):
            raise ValueError(f"message {message_id} was not sent to chat {chat.id}")
        return _without_reply(known or reply_to)

    def _forward_origin(self, origin_chat: dict) -> dict:
        known = self._chats.get(origin_chat["id"])
        chat = {**known.as_dict(), **origin_chat} if known else origin_chat
        if chat.get("type") == "channel":
            post_id = known.last_message_id if known and known.last_message_id else 1
            return {"type": "channel", "chat": chat, "message_id": post_id, "date": _now()}
        return {"type": "chat", "sender_chat": chat, "date": _now()}

    # -- files -----------------------------------------------------------------

    def _store_file(
        self, content: bytes, file_name: str, mime_type: str | None, *, file_id: str | None = None
    ) -> StoredFile:
        number = next(self._file_numbers)
        stored = StoredFile(
            file_id=file_id or f"BQACAgIAAxkBAAI{number:08d}",
            file_unique_id=f"AgAD{number:06d}",
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
            content=content,
            file_path=f"documents/file_{number}{PurePosixPath(file_name).suffix}",
        )
        self._files[stored.file_id] = stored
        return stored

    def _document_to_send(self, document: Any) -> StoredFile:
        if isinstance(document, UploadedFile):
            if not document.content:
                raise ApiError.bad_request("file must be non-empty")
            return self._store_file(document.content, document.file_name, document.mime_type)
        if not document:
            raise ApiError.bad_request("there is no document in the request")
        if document in self._files:
            return self._files[document]
        if str(document).startswith(("http://", "https://")):
            raise ApiError.bad_request("failed to get HTTP URL content")
        raise ApiError.bad_request("wrong file identifier/HTTP URL specified")

    def _document_for_user_message(self, document: dict) -> dict:
        stored = self._files.get(document.get("file_id", ""))
        return {**stored.as_document(), **document} if stored else dict(document)

    def _get_file(self, params: dict) -> dict:
        stored = self._files.get(params.get("file_id", ""))
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise ApiError.bad_request("file is too big")
        return stored.as_file()

    def _answer_callback_query(self, params: dict) -> bool:
        query_id = params.get("callback_query_id")
        if query_id not in self._callback_query_ids:
            raise ApiError.bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text") or "") > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError.bad_request("MESSAGE_TOO_LONG")
        self._callback_query_ids.discard(query_id)
        return True


async def _read_params(request: web.Request) -> dict[str, Any]:
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


def _formatted(text: str, parse_mode: str | None, entities: list[dict] | None) -> FormattedText:
    """The text as Telegram stores it after applying parse_mode (or explicit entities)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            return parse_html(text)
        except HtmlParseError as error:
            raise ApiError.bad_request(f"can't parse entities: {error}") from None
    if mode not in ("", "markdown", "markdownv2"):
        raise ApiError.bad_request("unsupported parse_mode")
    return strip_formatted(FormattedText(text, list(entities or [])))


def _message_text(
    text: str | None, parse_mode: str | None, entities: list[dict] | None
) -> FormattedText:
    """Message text after parsing, refused when empty or too long."""
    if not text:
        raise ApiError.bad_request("message text is empty")
    formatted = _formatted(text, parse_mode, entities)
    if not formatted.text:
        raise ApiError.bad_request("message text is empty")
    if len(formatted.text) > MAX_TEXT_LENGTH:
        raise ApiError.bad_request("message is too long")
    return formatted


def _inline_keyboard(reply_markup: Any) -> dict | None:
    """Only inline keyboards are part of the Message Telegram returns."""
    if isinstance(reply_markup, dict) and "inline_keyboard" in reply_markup:
        return reply_markup
    return None


def _without_reply(message: dict) -> dict:
    # Telegram does not nest replies: a replied-to message carries no reply_to_message.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _set_entities(message: dict, field: str, entities: list[dict] | None, text: str) -> None:
    found = detect_entities(text) if entities is None else entities
    if found:
        message[field] = found


def _implied_chat_type(chat_id: int, user_id: int) -> str:
    if chat_id == user_id:
        return "private"
    # Supergroup and channel ids start with -100; plain group ids are small negatives.
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def _commands_key(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.get("language_code", "")


def _now() -> int:
    return int(time.time())
