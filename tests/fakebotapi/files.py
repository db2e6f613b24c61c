"""Files: documents the bot uploads or tests add, getFile and downloads."""

import mimetypes
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from .errors import ApiError
from .models import StoredFile, UploadedFile

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files


class FilesMixin:
    """The files on the fake's "servers" (state set up in ``FakeBotApi.__init__``)."""

    def add_file(
        self, file_id: str, content: bytes, file_name: str, *, mime_type: str | None = None
    ) -> dict:
        """Store a file for getFile and download; returns its Document dict."""
        stored = self._store_file(content, file_name, mime_type, file_id=file_id)
        return stored.as_document()

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

    async def _handle_download(self, request: web.Request) -> web.Response:
        stored = next(
            (f for f in self._files.values() if f.file_path == request.match_info["file_path"]),
            None,
        )
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").as_json(), status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type)
