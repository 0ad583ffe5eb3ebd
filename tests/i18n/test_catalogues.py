"""The Chinese translation catalogues are complete and stay complete.

* every message of both catalogues is translated, none is fuzzy;
* every translatable string in the code is in the catalogues (``makemessages``
  is run into a copy of the source tree and compared with what is committed);
* python-format placeholders survive translation unchanged;
* the console really speaks the language chosen in the language cookie.

Regenerate the catalogues (GNU gettext needed), translate, then ``make messages``::

    cd src/custodesk && CUSTODESK_TESTING=1 python -m django makemessages \\
        --settings=custodesk.config.settings -l zh_Hant -l zh_Hans \\
        --ignore 'testing/*' --ignore '*/tests/*' --no-obsolete --add-location=file
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.utils import translation

import custodesk

PACKAGE_DIR = Path(custodesk.__file__).resolve().parent
LANGUAGES = ["zh_Hant", "zh_Hans"]
IGNORE = ["testing/*", "*/tests/*"]
GETTEXT_PROGRAMS = ["xgettext", "msguniq", "msgmerge", "msgattrib"]

# %s, %d, %(name)s, %(name)d ... but not the literal "%%".
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def po_path(lang: str, root: Path = PACKAGE_DIR) -> Path:
    return root / "locale" / lang / "LC_MESSAGES" / "django.po"


def load(path: Path, *, strict: bool = True) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, abort_invalid=strict)


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def placeholders(text: str) -> tuple[set[str], Counter[str]]:
    """The named placeholders of a python-format string, and the count of positional ones."""
    found = [p for p in PLACEHOLDER.findall(text) if p != "%%"]
    return {p for p in found if p.startswith("%(")}, Counter(p for p in found if p[1] != "(")


def label(message: Message) -> str:
    ident = message.id if isinstance(message.id, str) else " | ".join(message.id)
    return f"{message.context}::{ident}" if message.context else ident


# -- (a) complete: nothing untranslated, nothing fuzzy ------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_fully_translated(lang: str) -> None:
    path = po_path(lang)
    assert path.is_file(), (
        f"{path} is missing; run makemessages (command in this module's docstring) and translate it"
    )
    catalog = load(path)
    assert not catalog.fuzzy, f"{path}: the header is marked fuzzy (compilers skip the file)"
    assert catalog.num_plurals == 1, (
        f"{path}: Chinese has one plural form, got {catalog.plural_forms}"
    )

    entries = messages(catalog)
    assert entries, f"{path} holds no messages"
    untranslated = [
        label(m) for m in entries if not m.string or not all(s.strip() for s in forms(m.string))
    ]
    fuzzy = [label(m) for m in entries if m.fuzzy]
    wrong_plurals = [
        label(m) for m in entries if m.pluralizable and len(forms(m.string)) != catalog.num_plurals
    ]
    problems = [
        f"{what} ({len(ids)}): {ids}"
        for what, ids in [
            ("untranslated", untranslated),
            ("fuzzy", fuzzy),
            ("plural entry without exactly one msgstr", wrong_plurals),
        ]
        if ids
    ]
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


# -- (b) every translatable string in the code is in the catalogues ------------------------
def test_every_translatable_string_is_in_the_catalogues(tmp_path: Path) -> None:
    absent = [p for p in GETTEXT_PROGRAMS if shutil.which(p) is None]
    if absent:
        pytest.fail(
            "GNU gettext must be installed to check that the catalogues cover the code "
            f"(missing programs: {', '.join(absent)}); on Debian: apt-get install gettext",
            pytrace=False,
        )

    committed_bytes = {lang: po_path(lang).read_bytes() for lang in LANGUAGES}

    # A copy of the package without any catalogue: makemessages then writes fresh
    # catalogues holding exactly what the code marks for translation.
    copy_root = tmp_path / "src"
    copy = copy_root / "custodesk"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.po", "*.mo")
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "custodesk.config.settings",
        "CUSTODESK_TESTING": "1",
        "CUSTODESK_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": os.pathsep.join(
            [str(copy_root), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        "--no-obsolete",
        "--add-location=file",
    ]
    for lang in LANGUAGES:
        command += ["-l", lang]
    for pattern in IGNORE:
        command += ["--ignore", pattern]
    result = subprocess.run(
        command, cwd=copy, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"

    for lang in LANGUAGES:
        assert po_path(lang).read_bytes() == committed_bytes[lang], (
            f"makemessages wrote into the real source tree ({po_path(lang)})"
        )
        regenerated_path = po_path(lang, copy)
        assert regenerated_path.is_file(), f"makemessages did not write {regenerated_path}"
        regenerated = {(m.context, m.id): m for m in messages(load(regenerated_path, strict=False))}
        committed = {(m.context, m.id) for m in messages(load(po_path(lang)))}
        missing = [
            f"{label(m)}  ({', '.join(f'{f}:{n}' for f, n in m.locations)})"
            for key, m in regenerated.items()
            if key not in committed
        ]
        assert not missing, (
            f"{po_path(lang)} lacks {len(missing)} message(s) the code marks for translation; "
            "run makemessages (command in this module's docstring) and translate them:\n  "
            + "\n  ".join(missing)
        )


# -- (c) placeholders survive translation ------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match(lang: str) -> None:
    path = po_path(lang)
    problems = []
    for m in messages(load(path)):
        sources = forms(m.id)
        # Named placeholders may appear in either source form (singular or plural);
        # positional ones must keep their count.
        expected_named = set().union(*(placeholders(s)[0] for s in sources))
        expected_positional = placeholders(sources[-1])[1]
        for text in forms(m.string):
            if placeholders(text) != (expected_named, expected_positional):
                problems.append(f"{label(m)!r} -> {text!r}")
    assert not problems, f"{path}: placeholders differ from the msgid:\n  " + "\n  ".join(problems)


# -- (d) the console speaks the language of the cookie -----------------------------------
@pytest.fixture
def keep_active_language() -> Iterator[None]:
    """LocaleMiddleware activates the request's language in this thread; undo it."""
    previous = translation.get_language()
    try:
        yield
    finally:
        if previous is None:
            translation.deactivate_all()
        else:
            translation.activate(previous)


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "sign_in"), [("zh-hant", "登入"), ("zh-hans", "登录")])
def test_sign_in_page_follows_the_language_cookie(
    client, keep_active_language: None, language: str, sign_in: str
) -> None:
    for lang in LANGUAGES:
        po, mo = po_path(lang), po_path(lang).with_suffix(".mo")
        if not mo.is_file() or mo.stat().st_mtime < po.stat().st_mtime:
            pytest.fail(
                f"{mo} is missing or older than its .po; compile the catalogues with "
                "`make messages` first",
                pytrace=False,
            )
    client.cookies["custodesk_language"] = language
    response = client.get("/console/sign-in/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert sign_in in html
    assert "Sign in" not in html
