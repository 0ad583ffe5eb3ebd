"""What a server worker does once at its start so that its first callers do not.

Django builds much of itself lazily: the URLconf (and with it the whole django-ninja
API, its pydantic models and the modules they import) on the first request that is
routed, each language's message catalogue on the first request in that language.  Each
costs a worker's first callers a few hundred milliseconds (measured: the first transfer
request of a new process took 0.3 s, the next ones 2 ms).  :func:`warm_up` pays it when the worker
starts, then freezes what it loaded out of the garbage collector's way.  It touches
no database: connections are per thread and opened on first use.
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_up() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf, builds the API
    current = translation.get_language()
    for code, _name in settings.LANGUAGES:
        translation.activate(code)  # loads the language's catalogue once per process
        translation.gettext("Not found.")
    if current:
        translation.activate(current)
    else:
        translation.deactivate()
    # What is loaded now lives as long as the process: move it out of the cyclic
    # garbage collector's sight.  A full collection walked ~116,000 such objects (55 ms
    # of CPU on this machine, a pause for every request in flight); after freeze() it
    # takes well under a millisecond.  (A transfer request triggers hardly any
    # collection; the console's template rendering does.)
    gc.collect()
    gc.freeze()
