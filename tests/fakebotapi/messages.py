"""What the bot posts: sendMessage, sendDocument, editMessageText, answerCallbackQuery."""

import asyncio
from typing import Any

from .entities import FormattedText, HtmlParseError, parse_html, strip_formatted
from .errors import ApiError
from .models import Chat, SentMessage, StoredFile, now

MAX_TEXT_LENGTH = 4096  # characters of the text users see, after parse_mode
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200


class MessagesMixin:
    """Checks and records the bot's messages (state set up in ``FakeBotApi.__init__``)."""

    def _send_message(self, params: dict) -> dict:
        chat = self._chat_with_bot(params)
        text = params.get("text")
        formatted = _message_text(text, params.get("parse_mode"), params.get("entities"))
        reply_to = self._reply_target(chat, params)
        thread = _message_thread(chat, params)
        self._check_flood(chat)
        message = self._new_bot_message(chat, reply_to, params.get("reply_markup"))
        if thread is not None:
            message["message_thread_id"], message["is_topic_message"] = thread, True
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
        edited.update(text=formatted.text, edit_date=now())
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
        message = chat.new_message()
        if chat.type != "channel":
            message["from"] = self._bot_user()
        if reply_to is not None:
            message["reply_to_message"] = without_reply(reply_to)
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
                date=now(),
                method=method,
                plain_text=plain_text,
                reply_markup=message.get("reply_markup"),
                document=document,
                message_thread_id=message.get("message_thread_id"),
            )
        )
        self._messages_changed.set()
        self._messages_changed = asyncio.Event()

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


def without_reply(message: dict) -> dict:
    # Telegram does not nest replies: a replied-to message carries no reply_to_message.
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _message_thread(chat: Chat, params: dict) -> int | None:
    """The forum topic a message goes to: Telegram refuses a thread id the chat has no topic for."""
    thread = params.get("message_thread_id")
    if thread is not None and (chat.topics is None or thread not in chat.topics):
        raise ApiError.bad_request("message thread not found")
    return thread
