"""A million broker accounts for the account-list benchmark (bench/brokerage_list.py).

**The rows bypass the services**: clients, accounts and flag assignments are written by
bulk SQL (``INSERT … SELECT … FROM generate_series``, 100,000 rows a statement): a
million accounts through ``services`` would take hours (each opening is approved, books
ledger accounts and writes audit rows).  So the benchmark database has no audit rows,
no ledger accounts and no approval requests for them — fine for timing the list, the
detail page and the export, and only there.  Idempotent: tops the book up to
``--accounts`` and then runs ``VACUUM ANALYZE``.

The data look like a Hong Kong broker's book: 30 common surnames × 40 × 40 given-name
syllables in English (``Chan Tai Man``) and the same in Chinese (``陳大文``), so a full
name matches ~20 clients and a surname ~3 %; one client in five has a second account;
97 % of accounts active (3 % closed), 2 % frozen, 30 %
margin, opened between 2012 and 2026; three flags on 5 %, 1 % and 0.1 % of accounts.
"""

from __future__ import annotations

import time

PREFIX_CLIENT = "BC"
CHUNK = 100_000

SURNAMES_EN = [
    "Chan",
    "Wong",
    "Lee",
    "Cheung",
    "Lau",
    "Ho",
    "Ng",
    "Leung",
    "Lam",
    "Tsang",
    "Yip",
    "Tang",
    "Chow",
    "Fung",
    "Kwok",
    "Mak",
    "Yeung",
    "Lo",
    "Cheng",
    "Tse",
    "Chu",
    "Kwan",
    "Au",
    "Yu",
    "Choi",
    "Hui",
    "Poon",
    "Siu",
    "Tam",
    "Law",
]
GIVEN_EN = [
    "Tai",
    "Man",
    "Siu",
    "Ming",
    "Wai",
    "Ka",
    "Yan",
    "Chi",
    "Kin",
    "Hung",
    "Mei",
    "Ling",
    "Fai",
    "Kwan",
    "Hoi",
    "Sze",
    "Wing",
    "Yee",
    "Pui",
    "Lok",
    "Shing",
    "Kit",
    "Ho",
    "Tak",
    "Yuk",
    "Fung",
    "Chun",
    "Hin",
    "Lai",
    "Sum",
    "Wah",
    "Kai",
    "Po",
    "Ying",
    "Cheuk",
    "Nam",
    "Hei",
    "Long",
    "Tsz",
    "On",
]
SURNAMES_ZH = list("陳黃李張劉何吳梁林曾葉鄧周馮郭麥楊盧鄭謝朱關區余蔡許潘蕭譚羅")
GIVEN_ZH = list("大文小明偉家欣志健雄美玲輝君海詩永怡佩樂成傑浩德玉鳳俊軒麗森華啟寶瑩卓南希朗子安")
assert len(SURNAMES_EN) == len(SURNAMES_ZH) == 30 and len(GIVEN_EN) == len(GIVEN_ZH) == 40


# the three picks of a name: surname, first and second given syllable
P1 = "(1 + abs(hashint8extended(g, 1) %% 30))::int"
P2 = "(1 + abs(hashint8extended(g, 2) %% 40))::int"
P3 = "(1 + abs(hashint8extended(g, 3) %% 40))::int"


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v + "'" for v in values) + "]"


# pseudo-random but reproducible picks: (g * prime) mod n
_CLIENTS = f"""
INSERT INTO brokerage_client (
    public_id, client_no, kind, category, name_en, name_zh, id_type, id_number,
    id_issuing_place, nationality, date_of_birth, phone, email, address, risk_level,
    status, status_reason, closed_kind, created_at, updated_at)
SELECT gen_random_uuid(), '{PREFIX_CLIENT}' || lpad(g::text, 8, '0'),
    CASE WHEN g %% 50 = 0 THEN 'joint' WHEN g %% 12 = 0 THEN 'corporate' ELSE 'individual' END,
    'retail',
    ({_arr(SURNAMES_EN)})[{P1}] || ' ' || ({_arr(GIVEN_EN)})[{P2}]
      || ' ' || ({_arr(GIVEN_EN)})[{P3}],
    ({_arr(SURNAMES_ZH)})[{P1}] || ({_arr(GIVEN_ZH)})[{P2}]
      || ({_arr(GIVEN_ZH)})[{P3}],
    'passport', 'P' || lpad(g::text, 8, '0'), 'HK', 'HK',
    date '1950-01-01' + ((g * 37) %% 18000)::int,
    '+852' || (50000000 + g)::text, 'client' || g || '@example.com', 'Hong Kong', 'medium',
    CASE WHEN g %% 100 = 7 THEN 'frozen' WHEN g %% 100 = 8 THEN 'closed' ELSE 'active' END,
    '', '', now(), now()
FROM generate_series(%s::bigint, %s::bigint) AS g
"""
# account g belongs to client ((g - 1) %% clients) + 1: the first clients get two accounts
_ACCOUNTS = f"""
INSERT INTO brokerage_account (
    public_id, number, client_id, parent_id, type, base_currency, status, frozen,
    freeze_reason, status_reason, opened_on, created_at)
SELECT gen_random_uuid(), lpad(g::text, 9, '0'), c.id, NULL,
    CASE WHEN g %% 10 < 3 THEN 'margin' ELSE 'cash' END, 'HKD',
    CASE WHEN g %% 100 < 3 THEN 'closed' ELSE 'active' END,
    g %% 50 = 11, CASE WHEN g %% 50 = 11 THEN 'bench' ELSE '' END, '',
    date '2012-01-01' + ((g * 31) %% 5400)::int,
    now()
FROM generate_series(%s::bigint, %s::bigint) AS g
JOIN brokerage_client c
  ON c.client_no = '{PREFIX_CLIENT}' || lpad((((g - 1) %% %s) + 1)::text, 8, '0')
"""
FLAGS = (
    ("BENCH_ESOP", "ESOP", 20),
    ("BENCH_VIRTUAL", "Virtual account", 100),
    ("BENCH_STAFF", "Staff", 1000),
)
_FLAG_ROWS = """
INSERT INTO brokerage_accountflagassignment (account_id, flag_id, assigned_at)
SELECT a.id, %s, now() FROM brokerage_account a
WHERE a.id %% %s = 0 AND NOT EXISTS (
    SELECT 1 FROM brokerage_accountflagassignment x WHERE x.account_id = a.id AND x.flag_id = %s)
"""


def seed(accounts: int) -> None:
    """Top the book up to ``accounts`` accounts (clients = 80 % of that)."""
    from django.db import connection, transaction

    clients = accounts * 4 // 5
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM brokerage_client WHERE client_no LIKE %s", ["BC%"])
        have_clients = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM brokerage_account")
        have_accounts = cur.fetchone()[0]
    for start in range(have_clients + 1, clients + 1, CHUNK):
        end = min(start + CHUNK - 1, clients)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_CLIENTS, [start, end])
        print(f"  clients {start:,}–{end:,} ({time.monotonic() - t0:.0f} s)", flush=True)
    for start in range(have_accounts + 1, accounts + 1, CHUNK):
        end = min(start + CHUNK - 1, accounts)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_ACCOUNTS, [start, end, clients])
        print(f"  accounts {start:,}–{end:,} ({time.monotonic() - t0:.0f} s)", flush=True)
    with transaction.atomic(), connection.cursor() as cur:
        for code, name, every in FLAGS:
            cur.execute(
                "INSERT INTO brokerage_accountflag (public_id, code, name, name_hant, name_hans,"
                " colour, active, created_at) VALUES (gen_random_uuid(), %s, %s, '', '',"
                " '#607d8b', true, now()) ON CONFLICT (code) DO NOTHING",
                [code, name],
            )
            cur.execute("SELECT id FROM brokerage_accountflag WHERE code = %s", [code])
            flag_id = cur.fetchone()[0]
            cur.execute(_FLAG_ROWS, [flag_id, every, flag_id])
    connection.close()
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
        for table in ("brokerage_client", "brokerage_account", "brokerage_accountflagassignment"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("SELECT count(*) FROM brokerage_account")
        print(f"{cur.fetchone()[0]:,} accounts in the database ({time.monotonic() - t0:.0f} s)")
    connection.close()
