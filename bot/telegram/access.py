"""Who may manage a chat: its administrators (asked of Telegram) and the bot's operators (telegram.admins)."""

from __future__ import annotations

from telegram import Bot
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.usecases.channels import ManagedChat
from bot.usecases.refusal import Refusal


async def managed_chat(bot: Bot, operators: list[int], user_id: int, chat_ref: str | int | None) -> ManagedChat:
    """The chat a command names ('@name' or an id), if the user may manage it."""
    if chat_ref is None:
        raise Refusal("target_needed")
    try:
        chat = await bot.get_chat(chat_ref)
    except BadRequest:
        raise Refusal("chat_not_found", chat=chat_ref) from None
    except Forbidden:
        raise Refusal("bot_not_in_chat", chat=chat_ref) from None
    if chat.type == ChatType.PRIVATE:
        raise Refusal("target_needed")
    managed = ManagedChat(chat.id, chat.username, chat.title)
    if user_id in operators:
        return managed
    try:
        member = await bot.get_chat_member(chat.id, user_id)
    except TelegramError:
        raise Refusal("not_admin", chat=managed.label) from None
    if member.status not in (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR):
        raise Refusal("not_admin", chat=managed.label)
    return managed


async def status_target(bot: Bot, operators: list[int], user_id: int, chat_ref: str | int | None) -> ManagedChat | None:
    """/status: a chat the user manages; no chat at all (the whole bot) only for the operators."""
    if chat_ref is None:
        if user_id not in operators:
            raise Refusal("target_needed")
        return None
    return await managed_chat(bot, operators, user_id, chat_ref)
