"""Batch import of work orders (WO-IMPORT): a CSV or XLSX file of close-client,
close-account and unfreeze rows → every row validated (a background job) → a preview
with row-level errors → the user confirms → the valid rows become orders of one batch
through the work-order services (channel ``import``), in a second background job.

Its own app (label ``workorder_imports``): its tables and migrations stay apart from the
work-order centre's, and it declares its pages, API routes and menu entry in its own
``module.py``."""
