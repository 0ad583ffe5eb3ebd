from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve console and API with gunicorn (production server); optionally the worker too."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--with-worker", action="store_true", help="Also run the task worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "custodesk.config.settings"}
        worker = None
        if opts["with_worker"]:
            worker = subprocess.Popen([sys.executable, "-m", "custodesk", "worker"], env=env)
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "custodesk.config.wsgi:application",
            "--bind",
            f"{opts['host']}:{opts['port']}",
            "--workers",
            str(opts["workers"]),
            "--threads",
            str(opts["threads"]),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ]
        web = subprocess.Popen(cmd, env=env)

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
