"""The ``custodesk`` command: Django's management commands with our settings.

custodesk init | serve | worker | demo | user create|lock|unlock|reset-password | audit verify
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodesk.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "custodesk"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
