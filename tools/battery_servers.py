"""Misbehaving HTTP servers on 127.0.0.1 for the adversarial battery (daemon threads)."""
from __future__ import annotations

import http.server
import threading
import time
from functools import partial
from pathlib import Path


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging."""

    def log_message(self, *args):
        pass

    def body(self) -> bytes:
        path = Path(self.translate_path(self.path))
        return path.read_bytes() if path.is_file() else b"x" * 4542

    def headers_for(self, length: int | None) -> None:
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()


class Dropping(Quiet):
    def do_GET(self):
        body = self.body()
        self.headers_for(len(body))
        self.wfile.write(body[: len(body) // 2])
        self.close_connection = True


class Html(Quiet):
    def do_GET(self):
        page = b"<html><body>Please log in</body></html>"
        self.headers_for(len(page))
        self.wfile.write(page)


class Endless(Quiet):
    def do_GET(self):
        self.headers_for(None)
        try:
            while True:
                self.wfile.write(bytes(1 << 14))
        except OSError:
            pass


class Trickle(Quiet):
    def do_GET(self):
        self.headers_for(len(self.body()))
        try:
            for _ in range(100):
                self.wfile.write(b"\x1f")
                self.wfile.flush()
                time.sleep(2)
        except OSError:
            pass


class Oversized(Quiet):
    def do_GET(self):
        body = self.body() * 10
        self.headers_for(len(body))
        try:
            self.wfile.write(body)
        except OSError:
            pass


class Stall(Quiet):
    def do_GET(self):
        self.headers_for(1000)
        self.wfile.flush()
        time.sleep(30)


HANDLERS = {"files": Quiet, "dropping": Dropping, "html": Html, "endless": Endless,
            "trickle": Trickle, "oversized": Oversized, "stall": Stall}


def start_servers(folder: Path) -> dict[str, str]:
    """Start one server per misbehaviour, all serving ``folder``; return their base URLs."""
    urls = {}
    for kind, handler in HANDLERS.items():
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        urls[kind] = f"http://127.0.0.1:{server.server_address[1]}/"
    return urls
