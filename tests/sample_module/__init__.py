"""A module as small as a module gets, installed by the test settings only.

It shows (and its tests prove) that a module registers itself: everything it adds —
a console page, an API route, a menu entry, a periodic job, a permission, a default
role and a demo step — is declared in this folder (``module.py``), and the only line
outside it is its entry in ``INSTALLED_APPS``.  CONTRIBUTING.md walks through it.
"""
