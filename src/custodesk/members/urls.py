"""Console pages of the members module."""

urlpatterns: list = []
