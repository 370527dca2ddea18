"""/api/v1/ routes for the core API."""

from django.urls import path

from core.api import views

urlpatterns = [
    path("seminars/", views.SeminarList.as_view(), name="api-seminars"),
    path("seminars/<slug:slug>/", views.SeminarDetail.as_view(), name="api-seminar"),
    path("seminars/<slug:slug>/members/", views.MemberList.as_view(), name="api-members"),
    path(
        "seminars/<slug:slug>/members/<str:username>/",
        views.MemberDetail.as_view(),
        name="api-member",
    ),
]
