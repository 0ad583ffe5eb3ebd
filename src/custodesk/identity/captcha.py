"""The sign-in captcha (django-simple-captcha): an image of 5 characters, good for one
answer, for 5 minutes.

Asked for after a failed sign-in for the user name within the lockout window (see
``services.sign_in.captcha_required``).  The image is served by the library's own view
at ``/captcha/image/<key>/`` (same origin: the console's CSP allows it); a key is used
up by any answer, right or wrong.
"""

from __future__ import annotations

import secrets

from captcha.models import CaptchaStore
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

# no 0/O, 1/I/L, 5/S, 2/Z, 8/B: what is read from the image is what was drawn
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 5


def challenge() -> tuple[str, str]:
    """``CAPTCHA_CHALLENGE_FUNCT``: the text drawn and the answer expected (the same)."""
    text = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return text, text


def new_key() -> str:
    """A fresh captcha; expired ones are cleared on the way (the store stays small)."""
    with transaction.atomic():
        CaptchaStore.remove_expired()
        return str(CaptchaStore.generate_key())


def image_url(key: str) -> str:
    return reverse("captcha-image", kwargs={"key": key})


def consume(key: str | None, value: str | None) -> bool:
    """Is ``value`` the answer to ``key``'s captcha?  The captcha is used up either way
    (a wrong answer cannot be followed by another guess at the same image).  The
    library's own expiry (real time, ``CAPTCHA_TIMEOUT``) applies."""
    if not key:
        return False
    store = CaptchaStore.objects.select_for_update().filter(hashkey=key[:40]).first()
    if store is None:
        return False
    store.delete()
    answer = (value or "").strip().lower()
    return bool(answer) and store.expiration > timezone.now() and answer == store.response
