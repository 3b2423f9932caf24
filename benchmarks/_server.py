"""A tiny threaded HTTP/1.1 server for a WSGI app on loopback, with keep-alive (the
stdlib's wsgiref closes every connection, which would hide connection reuse)."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WSGIApp = Callable[..., Any]


def _handler_for(app: WSGIApp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            environ = {
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_LENGTH": str(length),
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": str(self.server.server_address[1]),  # type: ignore[index]
                "SERVER_PROTOCOL": self.request_version,
                "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": False,
                "wsgi.run_once": False,
                **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers.items()},
            }
            reply: dict[str, Any] = {}

            def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
                reply["status"], reply["headers"] = status, headers

            payload = b"".join(app(environ, start_response))
            code, _, reason = reply["status"].partition(" ")
            self.send_response(int(code), reason)
            for key, value in reply["headers"]:
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@contextmanager
def serve(app: WSGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on a free port of ``host``; yields the base URL."""
    server = _Server((host, 0), _handler_for(app))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_in_subprocess() -> Iterator[str]:
    """Serve an unlimited :class:`~benchmarks.fake.VendorFake` from another process
    (so the server's work does not share this interpreter's GIL); yields its URL."""
    import subprocess
    from pathlib import Path

    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks._server"],
        cwd=Path(__file__).resolve().parent.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        if child.stdin is not None:
            child.stdin.close()  # the child exits when its stdin closes
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


if __name__ == "__main__":
    from .fake import VendorFake

    with serve(VendorFake()) as url:
        print(url, flush=True)
        sys.stdin.read()
