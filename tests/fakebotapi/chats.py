"""Chats, their members and administrators: getChat, getChatMember, migrations, kicks."""

from collections.abc import Iterable

from .errors import ApiError
from .models import CHAT_TYPES, Chat, administrator

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


_TOPIC_ICON_COLOR = 0x6FB9F0  # the first of the colours Telegram allows, and its default


class ChatsMixin:
    """The chats and users FakeBotApi knows (its state is set up in ``FakeBotApi.__init__``)."""

    def add_chat(
        self,
        chat_id: int,
        *,
        type: str = "channel",  # noqa: A002 - Telegram's field name
        username: str | None = None,
        title: str | None = None,
        admins: Iterable[int] = (),
        topics: Iterable[int] | None = None,
        bot_manages_topics: bool = True,
    ) -> None:
        """Make a chat known, with the bot in it (adding it again undoes removal).

        `topics`: the chat is a forum supergroup with these topics (message thread ids);
        `bot_manages_topics=False`: the bot lacks the right to create topics there."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {CHAT_TYPES}, not {type!r}")
        previous = self._chats.get(chat_id)
        self._chats[chat_id] = Chat(
            id=chat_id,
            type=type,
            title=title,
            username=username,
            admins=set(admins),
            topics=None if topics is None else {thread: f"Topic {thread}" for thread in topics},
            bot_manages_topics=bot_manages_topics,
            members=previous.members if previous else set(),
            last_message_id=previous.last_message_id if previous else 0,
        )

    def forum_topics(self, chat_id: int) -> dict[int, str]:
        """A forum's topics, those the bot created included: message thread id -> name."""
        return dict(self._known_chat(chat_id).topics or {})

    def delete_forum_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic: sends to it get 400 "message thread not found" from now on."""
        del self._known_chat(chat_id).topics[thread_id]

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
                return administrator(user, chat.type, manages_topics=chat.bot_manages_topics)
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

    def _create_forum_topic(self, params: dict) -> dict:
        """A new topic in a forum; its thread id is the id of the service message that opens it."""
        chat = self._chat_with_bot(params)
        name = params.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise ApiError.bad_request("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
        if chat.topics is None:
            raise ApiError.bad_request("the chat is not a forum")
        if not chat.bot_manages_topics:
            raise ApiError.bad_request("not enough rights to create a topic")
        thread = chat.next_message_id()
        chat.topics[thread] = name
        return {"message_thread_id": thread, "name": name, "icon_color": _TOPIC_ICON_COLOR}

    def _send_chat_action(self, params: dict) -> bool:
        self._chat_with_bot(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError.bad_request("wrong parameter action in request")
        return True
