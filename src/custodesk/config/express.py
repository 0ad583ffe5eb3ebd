"""The express lane's routes (custodesk.core.express): method, exact path → handler.

Each handler answers only plain successes and declines everything else, which the
ordinary view then answers; the path must be the one Django routes to that view (a test
resolves it).
"""

ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/ledger/transfers"): "custodesk.ledger.express.create_transfer",
}
