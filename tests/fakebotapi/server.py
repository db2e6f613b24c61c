"""A fake Telegram Bot API server that PTB talks to over real HTTP on 127.0.0.1.

It answers like the real Bot API (``{"ok": true, "result": ...}`` or an error with
``error_code``, ``description`` and ``parameters``) and enforces the Telegram rules
the bot has to cope with: message length, HTML parse_mode validity, flood limits,
kicked bots, migrated groups and unknown chats. Tests script the other side with
the scenario controls (``add_chat``, ``user_message``, ``fail_next``, ...) and
inspect ``sent`` and ``requests``.

Markdown parse modes are accepted but not parsed: their text is taken as is.

This module holds the HTTP core; the methods and controls for chats, messages,
files and updates come from the mixins in the modules of those names.
"""

import asyncio
import inspect
import itertools
import json
import re
import socket
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .chats import ChatsMixin
from .errors import ApiError, InjectedFailure
from .files import FilesMixin
from .messages import MessagesMixin
from .models import Chat, SentMessage, StoredFile
from .params import read_params
from .ratelimit import FloodControl
from .updates import UpdatesMixin

MAX_UPLOAD_SIZE = 50 * 1024 * 1024
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class FakeBotApi(ChatsMixin, MessagesMixin, FilesMixin, UpdatesMixin):
    """The Telegram Bot API for one bot, served from 127.0.0.1 on a free port.

    Scenario controls: ``add_chat`` (forums and the bot's right to make topics included),
    ``remove_bot_from``, ``migrate_chat``, ``forum_topics``, ``delete_forum_topic`` (chats.py),
    ``push_update``, ``user_message``, ``user_callback_query`` (updates.py),
    ``add_file`` (files.py) and ``fail_next`` (here).
    """

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
        self._failures: dict[str, deque[InjectedFailure]] = {}
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
            "createForumTopic": self._create_forum_topic,
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
        failure = InjectedFailure(status, retry_after, description)
        self._failures.setdefault(method.lower(), deque()).extend([failure] * count)

    # -- HTTP ------------------------------------------------------------------

    async def _handle_api_call(self, request: web.Request) -> web.Response:
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        try:
            params = await read_params(request)
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


def _commands_key(params: dict) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), params.get("language_code", "")
