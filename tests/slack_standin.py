"""A local stand-in for the Slack Web API: a threaded HTTP server on 127.0.0.1.

It also plays Slack's file upload flow: `files.getUploadURLExternal` answers an upload URL served
here (`/upload/<file id>`, which keeps the bytes posted to it in `uploads`), and
`files.completeUploadExternal` shares the files it names.

It records every call (method, form/JSON body, headers), answers `{"ok": true}` with a few
realistic fields, and can be told to answer a method with an error or with 429 + Retry-After.
Point a `WebClient(base_url=standin.base_url)` (or `SLACK_API_URL`) at it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class SlackStandIn:
    calls: list[Call] = field(default_factory=list)
    #: method -> list of queued answers: (status, headers, body); consumed one per call
    queued: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = field(
        default_factory=dict
    )
    users_by_email: dict[str, str] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_counter: int = 0
    #: file id -> the bytes posted to its upload URL
    uploads: dict[str, bytes] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    @property
    def url(self) -> str:
        """The root URL, for a `response_url` that points back here."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def queue(self, method: str, body: dict[str, Any], status: int = 200,
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
        self.queued.setdefault(method, []).append((status, headers or {}, body))

    def rate_limit(self, method: str, retry_after: int = 1) -> None:
        """The next call of `method` gets HTTP 429 with Retry-After."""
        self.queue(method, {"ok": False, "error": "ratelimited"}, 429,
                   {"Retry-After": str(retry_after)})  # fmt: skip

    def uploaded(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Each completed upload: the completeUploadExternal call's body and its files' bytes."""
        out = []
        for call in self.called("files.completeUploadExternal"):
            listed = call.body.get("files")
            files = json.loads(listed) if isinstance(listed, str) else list(listed or [])
            out.append((call.body, [self.uploads[f["id"]] for f in files]))
        return out

    def called(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.startswith("/upload/"):  # the file's bytes, as Slack takes them
                    self.upload(self.path.rsplit("/", 1)[-1], self.rfile.read(length))
                    return
                raw = self.rfile.read(length).decode()
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                status, headers, answer = standin.answer(method, body, dict(self.headers))
                data = json.dumps(answer).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def upload(self, file_id: str, data: bytes) -> None:
                with standin.lock:
                    known = file_id in standin.uploads
                    if known:
                        standin.uploads[file_id] = data
                reply = f"OK - {len(data)}" if known else "unknown upload"
                self.send_response(200 if known else 404)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply.encode())

            do_GET = do_POST  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, method: str, body: dict[str, Any],
               headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:  # fmt: skip
        with self.lock:
            self.calls.append(Call(method, body, headers))
            queued = self.queued.get(method)
            if queued:
                return queued.pop(0)
            self.ts_counter += 1
            ts = f"1700000000.{self.ts_counter:06d}"
        if method == "auth.test":
            return 200, {}, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"}
        if method == "users.lookupByEmail":
            user = self.users_by_email.get(str(body.get("email", "")).lower())
            if user is None:
                return 200, {}, {"ok": False, "error": "users_not_found"}
            return 200, {}, {"ok": True, "user": {"id": user}}
        if method == "conversations.open":
            return 200, {}, {"ok": True, "channel": {"id": "D" + str(body.get("users", "X"))}}
        if method == "files.getUploadURLExternal":
            with self.lock:
                file_id = f"F{len(self.uploads) + 1:04d}"
                self.uploads[file_id] = b""
            return 200, {}, {"ok": True, "file_id": file_id,
                             "upload_url": f"{self.url}/upload/{file_id}"}  # fmt: skip
        if method == "files.completeUploadExternal":
            listed = body.get("files")
            files = json.loads(listed) if isinstance(listed, str) else list(listed or [])
            with self.lock:
                missing = [f["id"] for f in files if not self.uploads.get(f["id"])]
            if missing:
                return 200, {}, {"ok": False, "error": "file_not_found"}
            return 200, {}, {"ok": True, "files": [{"id": f["id"], "title": f.get("title")}
                                                   for f in files]}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            channel = body.get("channel", "C0")
            return 200, {}, {"ok": True, "channel": channel, "ts": body.get("ts") or ts}
        return 200, {}, {"ok": True}
