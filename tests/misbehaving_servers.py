"""HTTP servers on 127.0.0.1 that misbehave, to test the MNIST downloader against them.

Used by tests/test_data_download.py and by the adversarial battery (tools/battery_servers.py).
Each handler serves the folder its server was started with; where the requested
path is not a file there, a made-up body of ``STAND_IN_SIZE`` bytes takes its place.
"""
from __future__ import annotations

import http.server
import threading
import time
from functools import partial
from pathlib import Path

LOCAL_HOST = "127.0.0.1"
#: Bytes of the made-up body: the size of MNIST's test-label file.
STAND_IN_SIZE = 4542


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from its directory without logging each request."""

    def log_message(self, *args) -> None:
        pass

    def body(self) -> bytes:
        """The requested file's bytes, or ``STAND_IN_SIZE`` bytes if there is no such file."""
        path = Path(self.translate_path(self.path))
        return path.read_bytes() if path.is_file() else b"x" * STAND_IN_SIZE

    def send_status(self, length: int | None) -> None:
        """Send status 200 and the headers, with a Content-Length unless ``length`` is None."""
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()


class DroppingHandler(QuietHandler):
    """Announces the whole file, sends half of it, then hangs up."""

    def do_GET(self) -> None:
        body = self.body()
        self.send_status(len(body))
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


class EndlessHandler(QuietHandler):
    """Sends 200 and then bytes for ever (no Content-Length), until the client hangs up."""

    def do_GET(self) -> None:
        self.send_status(None)
        try:
            while True:
                self.wfile.write(bytes(1 << 14))
        except OSError:
            pass


class TricklingHandler(QuietHandler):
    """Announces the file, then sends a byte every 2 s: never silent long enough to time out.

    The byte is 0x1f, the first byte of every gzip file, so only a deadline on the
    whole download stops it.
    """

    def do_GET(self) -> None:
        size = len(self.body())
        self.send_status(size)
        try:
            for _ in range(size):
                self.wfile.write(b"\x1f")
                self.wfile.flush()
                time.sleep(2)
        except OSError:
            pass


class OversizedHandler(QuietHandler):
    """Announces, and sends, ``factor`` times the real file."""

    factor = 2

    def do_GET(self) -> None:
        body = self.body() * self.factor
        self.send_status(len(body))
        try:
            self.wfile.write(body)
        except OSError:  # the client refused it after the headers
            pass


def start_server(root: Path, handler: type = QuietHandler) -> http.server.ThreadingHTTPServer:
    """Serve ``root`` with ``handler`` on a free port of 127.0.0.1, from a daemon thread."""
    server = http.server.ThreadingHTTPServer((LOCAL_HOST, 0), partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def base_url(server: http.server.ThreadingHTTPServer) -> str:
    """The address a started server answers on, ending in "/"."""
    return f"http://{LOCAL_HOST}:{server.server_address[1]}/"
