"""Updates for the bot: what users send, delivered by getUpdates long polling (or held for a webhook)."""

import asyncio

from .entities import detect_entities
from .errors import ApiError
from .messages import without_reply
from .models import Chat, SentMessage, now

# Update types Telegram leaves out unless allowed_updates asks for them.
_OPT_IN_UPDATE_TYPES = {"chat_member", "message_reaction", "message_reaction_count"}
_MESSAGE_UPDATE_TYPES = ("message", "edited_message", "channel_post", "edited_channel_post")


class UpdatesMixin:
    """Queues Updates and serves them (state set up in ``FakeBotApi.__init__``)."""

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
        message = chat.new_message()
        if chat.type != "channel":
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

    def _message_replied_to(self, chat: Chat, reply_to: dict | SentMessage) -> dict:
        if isinstance(reply_to, SentMessage):
            message_id = reply_to.message_id
        else:
            message_id = reply_to["message_id"]
        known = self._messages.get((chat.id, message_id))
        if known is None and isinstance(reply_to, SentMessage):
            raise ValueError(f"message {message_id} was not sent to chat {chat.id}")
        return without_reply(known or reply_to)

    def _forward_origin(self, origin_chat: dict) -> dict:
        known = self._chats.get(origin_chat["id"])
        chat = {**known.as_dict(), **origin_chat} if known else origin_chat
        if chat.get("type") == "channel":
            post_id = known.last_message_id if known and known.last_message_id else 1
            return {"type": "channel", "chat": chat, "message_id": post_id, "date": now()}
        return {"type": "chat", "sender_chat": chat, "date": now()}

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


def _set_entities(message: dict, field: str, entities: list[dict] | None, text: str) -> None:
    found = detect_entities(text) if entities is None else entities
    if found:
        message[field] = found


def _implied_chat_type(chat_id: int, user_id: int) -> str:
    if chat_id == user_id:
        return "private"
    # Supergroup and channel ids start with -100; plain group ids are small negatives.
    return "supergroup" if str(chat_id).startswith("-100") else "group"
