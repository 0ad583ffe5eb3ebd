"""The trading-permission catalogue (ACC-PERM) every broker starts with; admins edit it
afterwards (services.permissions.product_create / product_update)."""

from typing import Any

from django.db import migrations
from django.utils import timezone

BOTH = ["cash", "margin"]
MARGIN = ["margin"]
# code, English, 繁體, 简体, account types, sort order
CATALOGUE = [
    ("HK_EQ", "Hong Kong equities", "港股", "港股", BOTH, 10),
    ("CN_NB_SH", "China Connect Northbound (Shanghai)", "滬股通（北向）", "沪股通（北向）", BOTH, 20),
    ("CN_NB_SZ", "China Connect Northbound (Shenzhen)", "深股通（北向）", "深股通（北向）", BOTH, 30),
    ("US_EQ", "US equities", "美股", "美股", BOTH, 40),
    ("HK_OPT", "Hong Kong stock options", "港股期權", "港股期权", BOTH, 50),
    ("HK_FUT", "Hong Kong futures", "香港期貨", "香港期货", MARGIN, 60),
    ("FUNDS", "Funds", "基金", "基金", BOTH, 70),
    ("BONDS", "Bonds", "債券", "债券", BOTH, 80),
    ("IPO", "IPO subscriptions", "新股認購", "新股认购", BOTH, 90),
    ("MARGIN_FIN", "Margin financing", "孖展融資", "融资融券", MARGIN, 100),
]


def forward(apps: Any, schema_editor: Any) -> None:
    product = apps.get_model("brokerage", "TradingProduct")
    now = timezone.now()
    for code, name, hant, hans, types, order in CATALOGUE:
        product.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_hant": hant,
                "name_hans": hans,
                "account_types": types,
                "margin_only": types == MARGIN,
                "sort_order": order,
                "created_at": now,
            },
        )


def backward(apps: Any, schema_editor: Any) -> None:
    apps.get_model("brokerage", "TradingProduct").objects.filter(
        code__in=[c[0] for c in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0101_search_indexes")]

    operations = [migrations.RunPython(forward, backward)]
