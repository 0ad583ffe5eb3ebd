from . import views_list

urlpatterns = [
    # account list, trading permissions, flags, records query (brokerage-list)
    *views_list.urlpatterns,
]
