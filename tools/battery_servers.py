"""Misbehaving HTTP servers on 127.0.0.1 for the adversarial battery (daemon threads).

The handlers the loader's tests use as well (dropping, endless, trickling,
oversized) live in tests/misbehaving_servers.py; the ones only the battery needs
are here.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the shared servers
from misbehaving_servers import (DroppingHandler, EndlessHandler, OversizedHandler,  # noqa: E402
                                 QuietHandler, TricklingHandler, base_url, start_server)


class Html(QuietHandler):
    """Answers every request with a login page and status 200."""

    def do_GET(self) -> None:
        page = b"<html><body>Please log in</body></html>"
        self.send_status(len(page))
        self.wfile.write(page)


class Tenfold(OversizedHandler):
    """Announces, and sends, ten times the real file."""

    factor = 10


class Stall(QuietHandler):
    """Announces 1,000 bytes, then stays silent for 30 s."""

    def do_GET(self) -> None:
        self.send_status(1000)
        self.wfile.flush()
        time.sleep(30)


HANDLERS = {"files": QuietHandler, "dropping": DroppingHandler, "html": Html,
            "endless": EndlessHandler, "trickle": TricklingHandler, "oversized": Tenfold,
            "stall": Stall}


def start_servers(folder: Path) -> dict[str, str]:
    """Start one server per misbehaviour, all serving ``folder``; return their base URLs."""
    return {kind: base_url(start_server(folder, handler)) for kind, handler in HANDLERS.items()}
