"""Indexes for the account list's partial-name search (ACC-LIST), PostgreSQL only.

* English names: a pg_trgm GIN index on ``UPPER(name_en::text)``, the very expression
  Django's ``icontains`` compares, so ``name_en__icontains`` uses it.
* Chinese names: trigrams need three characters, and Chinese names are searched with
  two (a given name) or even one; so an ``IMMUTABLE`` function gives each name its
  characters and two-character runs (``brokerage_zh_grams``), indexed with GIN.  A
  search asks for every run of the term (``@>``) and re-checks ``LIKE``
  (``selectors.list.name_condition``).

On SQLite nothing is created: the same filters run as plain ``LIKE`` (fine at the sizes
SQLite serves).  Nothing here is in the models' state, so ``makemigrations`` is unmoved.
"""

from typing import Any

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION brokerage_zh_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
      SELECT coalesce(array_agg(DISTINCT g), '{}'::text[]) FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, char_length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i
      ) AS grams
    $$
    """,
    "CREATE INDEX IF NOT EXISTS brokerage_client_name_en_trgm ON brokerage_client "
    "USING gin (UPPER(name_en::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS brokerage_client_name_zh_grams ON brokerage_client "
    "USING gin (brokerage_zh_grams(name_zh::text))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS brokerage_client_name_zh_grams",
    "DROP INDEX IF EXISTS brokerage_client_name_en_trgm",
    "DROP FUNCTION IF EXISTS brokerage_zh_grams(text)",
]


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0100_list_columns")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
