"""A fake Telegram Bot API server for tests that drive PTB over real HTTP."""

from .models import SentMessage, StoredFile, UploadedFile
from .server import FakeBotApi

__all__ = ["FakeBotApi", "SentMessage", "StoredFile", "UploadedFile"]
