import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodesk.config.settings")
django_application = get_wsgi_application()

from custodesk.core.middleware import with_peer_address  # noqa: E402  (after Django's set-up)
from custodesk.core.warmup import warm_up  # noqa: E402

# the client's address read from the connection under uWSGI's HTTP/1.1 socket
# (custodesk.core.middleware.with_peer_address)
application = with_peer_address(django_application)

# Each server worker loads this module when it starts (uWSGI --lazy-apps): what the
# first requests would otherwise import and build lazily is done here, so no caller
# waits for it (about 0.3 s on the first transfer request of each process).
warm_up()
