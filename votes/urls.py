from django.urls import path

from . import views

urlpatterns = [
    path("conseil/", views.council_home, name="council_home"),
    path("conseil/seances/<int:pk>/", views.session_detail, name="council_session"),
    path("conseil/seances/<int:pk>/proces-verbal.pdf", views.minutes_pdf, name="council_minutes"),
    path("conseil/points/<int:pk>/", views.item_detail, name="council_item"),
    path("conseil/votes/<int:pk>/decompte/", views.vote_tally_json, name="council_tally"),
    path("decisions/<str:reference>/", views.decision_detail, name="decision_detail"),
    path("mon-espace/questions/<int:pk>/repondre/", views.question_answer, name="question_answer"),
]
