import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodesk.config.settings")
application = get_wsgi_application()

from custodesk.core.warmup import warm_up  # noqa: E402  (after Django's set-up)

# Each server worker loads this module when it starts (uWSGI --lazy-apps): what the
# first requests would otherwise import and build lazily is done here, so no caller
# waits for it (about 0.3 s on the first transfer request of each process).
warm_up()
