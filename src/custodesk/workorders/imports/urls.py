from django.urls import path

from .. import views_import as v

urlpatterns = [
    path("workorders/imports/", v.import_home, name="workorders_import_home"),
    path("workorders/imports/template/", v.import_template, name="workorders_import_template"),
    path("workorders/imports/unfreeze/", v.unfreeze_page, name="workorders_unfreeze"),
    path("workorders/imports/<uuid:batch_id>/", v.import_detail, name="workorders_import"),
    path(
        "workorders/imports/<uuid:batch_id>/progress/",
        v.import_progress,
        name="workorders_import_progress",
    ),
    path(
        "workorders/imports/<uuid:batch_id>/errors/",
        v.import_errors,
        name="workorders_import_errors",
    ),
]
