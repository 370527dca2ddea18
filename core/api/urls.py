"""/api/v1/ routes for the core API."""

from django.urls import path, register_converter

from core.api import views


class UsernameConverter:
    """Django's username characters only (letters, digits and @.+-_), so junk never reaches SQL."""

    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UsernameConverter, "username")

urlpatterns = [
    path("seminars/", views.SeminarList.as_view(), name="api-seminars"),
    path("seminars/<slug:slug>/", views.SeminarDetail.as_view(), name="api-seminar"),
    path("seminars/<slug:slug>/members/", views.MemberList.as_view(), name="api-members"),
    path(
        "seminars/<slug:slug>/members/<username:username>/",
        views.MemberDetail.as_view(),
        name="api-member",
    ),
]
