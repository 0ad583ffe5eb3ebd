"""Fill translations into the catalogues: ``python scripts/po_fill.py table.py``.

``table.py`` defines ``T = {msgid: (zh_Hant, zh_Hans)}``.  Each matching entry gets
its translation, loses the fuzzy flag and the previous msgid; nothing else in the file
changes (so the diff stays the entries you translated).  Run ``makemessages`` first
(CONTRIBUTING.md, "Strings"), then this, then ``make messages``.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "custodesk" / "locale"
QUOTED = re.compile(r'^(?:msgid |msgstr |msgid_plural |msgstr\[\d+\] )?"(.*)"$')


def _unquote(lines: list[str]) -> str:
    parts = []
    for line in lines:
        m = QUOTED.match(line)
        if m:
            parts.append(m.group(1).encode().decode("unicode_escape").encode("latin-1").decode())
    return "".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def fill(text: str, table: dict[str, str]) -> tuple[str, int]:
    entries = text.split("\n\n")
    filled = 0
    for i, entry in enumerate(entries):
        lines = entry.split("\n")
        starts = [j for j, line in enumerate(lines) if line.startswith("msgid ")]
        ends = [j for j, line in enumerate(lines) if line.startswith("msgstr")]
        if not starts or not ends or "msgid_plural" in entry:
            continue
        msgid = _unquote(lines[starts[0] : ends[0]])
        if not msgid or msgid not in table:
            continue
        head = [
            re.sub(r",? ?fuzzy", "", line) if line.startswith("#,") else line
            for line in lines[: starts[0]]
            if not line.startswith("#|")
        ]
        head = [line for line in head if line.strip() != "#,"]
        entries[i] = "\n".join(
            [*head, *lines[starts[0] : ends[0]], "msgstr " + _quote(table[msgid])]
        )
        filled += 1
    return "\n\n".join(entries), filled


def main(table_file: str) -> None:
    table = runpy.run_path(table_file)["T"]
    for index, lang in enumerate(("zh_Hant", "zh_Hans")):
        path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        text, filled = fill(path.read_text("utf-8"), {k: v[index] for k, v in table.items()})
        path.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        print(f"{lang}: {filled} filled")


if __name__ == "__main__":
    main(sys.argv[1])
