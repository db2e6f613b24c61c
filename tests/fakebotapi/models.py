"""The state the fake Bot API keeps: chats, files and the messages the bot sent."""

import time
from dataclasses import dataclass, field

CHAT_TYPES = ("private", "group", "supergroup", "channel")

# Telegram's 403 descriptions once the bot is no longer in the chat.
_KICKED_DESCRIPTIONS = {
    "private": "Forbidden: bot was blocked by the user",
    "group": "Forbidden: bot was kicked from the group chat",
    "supergroup": "Forbidden: bot was kicked from the supergroup chat",
    "channel": "Forbidden: bot was kicked from the channel chat",
}


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    file_name: str
    content: bytes
    mime_type: str | None


@dataclass(frozen=True)
class StoredFile:
    """A file on the fake's "servers": uploaded by the bot or added by a test."""

    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: str
    content: bytes
    file_path: str  # where it is downloaded from, relative to base_file_url

    def as_document(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def as_file(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class SentMessage:
    """One accepted sendMessage, sendDocument or editMessageText call."""

    chat_id: int
    text: str | None  # as sent, markup included; the caption for documents
    parse_mode: str | None
    reply_to_message_id: int | None
    message_id: int  # for edits, the id of the edited message
    date: int  # unix time the fake accepted the call
    method: str
    plain_text: str | None  # as users see it: tags removed, HTML entities decoded
    reply_markup: dict | None = None
    document: StoredFile | None = None
    message_thread_id: int | None = None  # the forum topic it went to


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    username: str | None = None
    admins: set[int] = field(default_factory=set)
    # A forum supergroup's topics: message thread id -> name; None: not a forum.
    topics: dict[int, str] | None = None
    bot_manages_topics: bool = True  # the bot's right to create forum topics there
    members: set[int] = field(default_factory=set)
    bot_removed: bool = False
    migrated_to: int | None = None
    last_message_id: int = 0

    @property
    def is_group(self) -> bool:
        """Groups and channels share the per-minute flood limit."""
        return self.type != "private"

    @property
    def kicked_description(self) -> str:
        return _KICKED_DESCRIPTIONS[self.type]

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def new_message(self) -> dict:
        """A Message posted now, without its sender unless it is a channel post."""
        message: dict = {"message_id": self.next_message_id(), "date": now(), "chat": self.as_dict()}
        # Channel posts are signed by the channel, not by a user or the bot.
        if self.type == "channel":
            message["sender_chat"] = self.as_dict()
        return message

    def as_dict(self) -> dict:
        chat: dict = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.title or f"User {self.id}"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        if self.topics is not None:
            chat["is_forum"] = True
        return chat


def administrator(user: dict, chat_type: str, *, manages_topics: bool = True) -> dict:
    """A ChatMemberAdministrator with the rights a chat's creator usually grants (in a supergroup,
    managing topics unless `manages_topics` is False)."""
    member = {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": True,
        "can_edit_stories": True,
        "can_delete_stories": True,
    }
    if chat_type == "channel":
        member.update(can_post_messages=True, can_edit_messages=True)
    else:
        member["can_pin_messages"] = True
    if chat_type == "supergroup":
        member["can_manage_topics"] = manages_topics
    return member


def now() -> int:
    """A Telegram date: Unix time in whole seconds."""
    return int(time.time())
