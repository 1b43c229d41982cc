"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the moto S3 server.

boto3 talks to the proxy as to any S3 endpoint; the proxy forwards each request to moto unless a fault
is armed for its kind of request (``list``: ListObjectsV2, ``get``: GetObject, ``put``: PutObject), in
which case the next N such requests get the fault instead:

- ``500``, ``503``, ``slowdown``: an S3 error response (InternalError, ServiceUnavailable, SlowDown);
- ``stall``: nothing at all until the client's read timeout has long passed, then the connection closes;
- ``stall_body``: the real status and headers and half the body, then nothing (a read that hangs midway);
- ``reset``: the connection closed without a response.

Real sockets and real HTTP, so botocore's timeouts, connection handling and our retries are what is
tested, not a patched client.
"""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KINDS = ("500", "503", "slowdown", "stall", "stall_body", "reset")
_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Service is unable to handle request."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "upgrade"}


def operation_of(method: str, target: str) -> str:
    """``list``, ``get``, ``put`` or ``other`` for a path-style S3 request."""
    parts = urlsplit(target)
    has_key = "/" in parts.path.strip("/")
    if method == "GET" and not has_key and "list-type" in parse_qs(parts.query):
        return "list"
    if method == "GET" and has_key:
        return "get"
    if method == "PUT" and has_key:
        return "put"
    return "other"


class FaultyS3Proxy:
    """Start with ``start()``; arm faults with ``inject``; ``seen`` and ``injected`` count requests."""

    def __init__(self, upstream: str, stall_s: float = 5.0) -> None:
        address = urlsplit(upstream)
        self.upstream = (address.hostname or "127.0.0.1", address.port or 80)
        self.stall_s = stall_s
        self.seen: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._armed: dict[str, tuple[str, int, int]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultyS3Proxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def inject(self, operation: str, kind: str, count: int, skip: int = 0) -> None:
        """After ``skip`` good ones, the next ``count`` requests of this operation get the fault ``kind``
        (replaces any fault armed for the operation)."""
        assert kind in KINDS, kind
        with self._lock:
            self._armed[operation] = (kind, skip, count)

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def _take(self, operation: str) -> str | None:
        with self._lock:
            self.seen[operation] += 1
            kind, skip, left = self._armed.get(operation, ("", 0, 0))
            if skip > 0 or left <= 0:
                self._armed[operation] = (kind, max(skip - 1, 0), left)
                return None
            self._armed[operation] = (kind, 0, left - 1)
            self.injected[operation] += 1
            return kind

    def _stall(self) -> None:
        self._stopping.wait(self.stall_s)


def _handler_for(proxy: FaultyS3Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy._take(operation_of(self.command, self.path))
            if fault in _ERRORS:
                self._error(*_ERRORS[fault])
                return
            if fault in ("stall", "reset"):
                if fault == "stall":
                    proxy._stall()
                self.close_connection = True
                return
            status, reason, headers, payload = self._forward(body)
            self.send_response(status, reason)
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD":
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if fault == "stall_body":
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                proxy._stall()
                self.close_connection = True
                return
            self.wfile.write(payload)

        def _forward(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
            upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
                kept = [
                    (name, value)
                    for name, value in response.getheaders()
                    if name.lower() not in _HOP_BY_HOP
                    and (self.command == "HEAD" or name.lower() != "content-length")
                ]
                return response.status, response.reason, kept, payload
            finally:
                upstream.close()

        def _error(self, status: int, code: str, message: str) -> None:
            payload = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                "<RequestId>injected</RequestId></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
