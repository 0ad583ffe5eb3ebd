"""The import file's format: its columns, the words accepted in them, and the
languages of the template.

Headers and values are part of a *file format*, so they are fixed here rather than
taken from the translation catalogues: a file made with last year's template keeps
importing whatever the catalogues say today.  A header row in any of the three
languages (or the column's code) is accepted, as are the kinds and closing kinds by
their code or their label in any language; letter case and surrounding spaces do not
matter.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "zh-hant", "zh-hans")
FORMATS = ("xlsx", "csv")
MAX_ROWS = 50_000
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_REASON = 400


@dataclass(frozen=True)
class Column:
    code: str
    labels: dict[str, str]  # language -> header
    required: bool = True


COLUMNS = (
    Column("kind", {"en": "Kind", "zh-hant": "工單類型", "zh-hans": "工单类型"}),
    Column(
        "target",
        {
            "en": "Client or account number",
            "zh-hant": "客戶編號或帳戶號碼",
            "zh-hans": "客户编号或账户号码",
        },
    ),
    Column(
        "close_kind",
        {"en": "Closing kind", "zh-hant": "註銷類型", "zh-hans": "注销类型"},
        required=False,
    ),
    Column("reason", {"en": "Reason", "zh-hant": "原因", "zh-hans": "原因"}),
)

# the kinds an import creates: code -> (target type, labels)
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "close_client": (
        "client",
        {"en": "Close client", "zh-hant": "註銷客戶", "zh-hans": "注销客户"},
    ),
    "close_account": (
        "account",
        {"en": "Close account", "zh-hant": "註銷帳戶", "zh-hans": "注销账户"},
    ),
    "unfreeze_client": (
        "client",
        {"en": "Unfreeze client", "zh-hant": "解凍客戶", "zh-hans": "解冻客户"},
    ),
    "unfreeze_account": (
        "account",
        {"en": "Unfreeze account", "zh-hant": "解凍帳戶", "zh-hans": "解冻账户"},
    ),
}

CLOSE_KINDS: dict[str, dict[str, str]] = {
    "normal": {"en": "Normal", "zh-hant": "普通", "zh-hans": "普通"},
    "permanent": {"en": "Permanent", "zh-hant": "永久", "zh-hans": "永久"},
}


def _norm(text: object) -> str:
    return " ".join(str(text if text is not None else "").split()).casefold()


def _index(table: dict[str, dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, labels in table.items():
        out[_norm(code)] = code
        for label in labels.values():
            out[_norm(label)] = code
    return out


_HEADER_INDEX = _index({c.code: c.labels for c in COLUMNS})
_KIND_INDEX = _index({code: labels for code, (_t, labels) in KINDS.items()})
_CLOSE_KIND_INDEX = _index(CLOSE_KINDS)


def header_code(cell: object) -> str | None:
    """The column a header cell names (in any language), or None."""
    return _HEADER_INDEX.get(_norm(cell))


def kind_code(value: object) -> str | None:
    return _KIND_INDEX.get(_norm(value))


def close_kind_code(value: object) -> str | None:
    return _CLOSE_KIND_INDEX.get(_norm(value))


def headers(language: str) -> list[str]:
    return [c.labels[language] for c in COLUMNS]


def kind_label(code: str, language: str) -> str:
    return KINDS[code][1][language] if code in KINDS else code


def close_kind_label(code: str, language: str) -> str:
    return CLOSE_KINDS[code][language] if code in CLOSE_KINDS else code
