from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Serve console and API with uWSGI (the production server: its HTTP/1.1 keep-alive "
        "socket, processes x threads); optionally the task worker too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "2")))
        parser.add_argument("--with-worker", action="store_true", help="Also run the task worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "custodesk.config.settings"}
        worker = None
        if opts["with_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "custodesk", "worker"], env=env)
        # uWSGI speaks HTTP/1.1 itself (no proxy needed on loopback); each worker process
        # loads the application after the fork (--lazy-apps: no state shared across
        # processes); one access-log line per request in the common log format, with
        # the client's address read from the connection (%(peer), set by
        # custodesk.core.middleware.with_peer_address: uWSGI's own %(addr) is 0.0.0.0 for
        # every request after the first on a kept-alive connection)
        cmd = [
            str(Path(sys.executable).parent / "uwsgi"),
            "--http11-socket", f"{opts['host']}:{opts['port']}",
            "--module", "custodesk.config.wsgi:application",
            "--master", "--lazy-apps", "--need-app", "--die-on-term", "--vacuum",
            "--single-interpreter",
            "--processes", str(opts["workers"]),
            "--threads", str(opts["threads"]),
            "--thunder-lock",
            "--buffer-size", "32768",
            "--harakiri", "120",
            "--reload-mercy", "10", "--worker-reload-mercy", "10",
            "--log-format",
            '%(peer) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) %(msecs)ms',
        ]  # fmt: skip
        web = subprocess.Popen(cmd, env=env)
        self._announce(opts["host"], opts["port"], web)

        def stop(signum: int, frame: Any) -> None:
            for proc in (web, worker):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        code = web.wait()
        if worker is not None:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
            worker.wait()
        sys.exit(code)

    def _announce(self, host: str, port: int, web: subprocess.Popen[bytes]) -> None:
        """One line once the server answers (uWSGI's start-up banner is long)."""
        import time
        import urllib.request

        base = f"http://{host}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        self.stdout.write(
                            f"Custodesk is up: console {base}/console/ · API docs "
                            f"{base}/api/docs · stop with Ctrl-C"
                        )
                        return
            except OSError:
                time.sleep(0.3)
