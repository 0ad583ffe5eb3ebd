import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custodesk.config.settings")
django_application = get_wsgi_application()

from custodesk.core import express  # noqa: E402  (after Django's set-up)

# Django behind the API's express lane (custodesk.core.express; off with
# CUSTODESK_EXPRESS_LANE=0)
application = express.wrap(django_application)
