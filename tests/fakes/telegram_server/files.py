"""Files: what the bot uploads, and what getFile and /file/bot<token>/<file_path> serve."""

from __future__ import annotations

import struct

from tests.fakes.telegram_server.constants import TOKEN_RE
from tests.fakes.telegram_server.errors import ApiError, error_response
from tests.fakes.telegram_server.http_server import HttpResponse
from tests.fakes.telegram_server.records import JSON, StoredFile, UploadedFile
from tests.fakes.telegram_server.state import FakeState, rand_suffix

_MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, as the real Bot API does


class Files(FakeState):
    """Stored files: registered by people's uploads, the bot's uploads or `add_file`."""

    def add_file(
        self, content: bytes | None, *, folder: str = "documents", filename: str = "file"
    ) -> StoredFile:
        """Register a file so getFile and /file/bot<token>/<path> serve it; return its record."""
        self._file_seq += 1
        seq = self._file_seq
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{seq:06d}{rand_suffix(24)}",
            file_unique_id=f"AgAD{seq:06d}",
            file_path=f"{folder}/file_{seq}.{suffix}",
            content=content,
        )
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _input_file(
        self, params: JSON, files: dict[str, UploadedFile], kind: str
    ) -> tuple[UploadedFile | None, StoredFile]:
        value = params.get(kind)
        upload = files.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        if upload is not None:
            if not upload.content:
                raise ApiError(400, "Bad Request: file must be non-empty")
            stored = self.add_file(
                upload.content,
                folder="photos" if kind == "photo" else "documents",
                filename=upload.filename,
            )
            return upload, stored
        if not isinstance(value, str) or not value:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        known = self._files.get(value)
        if known is not None:
            return None, known
        if value.startswith(("http://", "https://")):
            return None, self.add_file(None, folder=f"{kind}s", filename=value.rsplit("/", 1)[-1])
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _get_file(self, params: JSON) -> JSON:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = len(stored.content) if stored.content is not None else 0
        if size > _MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": size,
            "file_path": stored.file_path,
        }

    def _download(self, rest: str) -> HttpResponse:
        token, _, file_path = rest.partition("/")
        if token != self._token:
            return error_response(
                ApiError(
                    401 if TOKEN_RE.fullmatch(token) else 404,
                    "Unauthorized" if TOKEN_RE.fullmatch(token) else "Not Found",
                )
            )
        stored = self._file_paths.get(file_path)
        if stored is None or stored.content is None:
            return error_response(ApiError(404, "Not Found"))
        return HttpResponse(200, stored.content, "application/octet-stream")


def image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (from its header); 800x600 for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 800, 600
