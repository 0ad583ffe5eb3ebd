"""The brokerage module's API, one router mounted at ``/api/v1`` (module.py):

* ``/brokerage/...`` — the staff API: clients and accounts (``api_clients``, brokerage-core)
  and the account list, trading permissions, flags and records (brokerage-list);
* ``/client-app/...`` — what the broker's client app calls (``api_app``).
"""

from ninja import Router

from . import api_app, api_clients, api_list

router = Router()
router.add_router("/brokerage", api_clients.router)
router.add_router("/brokerage", api_list.router)
router.add_router("/client-app", api_app.router)
