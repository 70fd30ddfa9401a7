from django.urls import path

from . import views
from .views import planning, public_sessions, publication

urlpatterns = [
    path("conseil/", views.council_home, name="council_home"),
    path("conseil/seances/<id:pk>/", views.session_detail, name="council_session"),
    path("conseil/seances/<id:pk>/proces-verbal.pdf", views.minutes_pdf, name="council_minutes"),
    path("conseil/points/<id:pk>/", views.item_detail, name="council_item"),
    path("conseil/preparation/", planning.planning_home, name="council_planning"),
    path("conseil/<id:pk>/seances/nouvelle/", planning.session_new, name="council_session_new"),
    path(
        "conseil/seances/<id:pk>/preparer/",
        planning.session_prepare,
        name="council_session_prepare",
    ),
    path("conseil/votes/<id:pk>/decompte/", views.vote_tally_json, name="council_tally"),
    path(
        "conseil/decisions/<id:pk>/publier/",
        publication.council_publish,
        name="council_publish",
    ),
    path("seances/", public_sessions.session_list, name="public_sessions"),
    path("decisions/<ref:reference>/", views.decision_detail, name="decision_detail"),
    path("mon-espace/questions/<id:pk>/repondre/", views.question_answer, name="question_answer"),
]
