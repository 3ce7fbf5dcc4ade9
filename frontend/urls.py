"""Pages of the web interface (namespace ``frontend``)."""

from __future__ import annotations

from django.urls import path

from frontend import (
    auth_views,
    health,
    sso,
    views,
    views_consultation,
    views_meetings,
    views_sensitive,
    views_statistics,
)

app_name = "frontend"

urlpatterns = [
    path("", views.start, name="start"),
    path("login/", auth_views.SamverkaLoginView.as_view(), name="login"),
    # The second factor, re-authentication and single sign-on (auth_views.py, sso.py).
    path("login/kod/", auth_views.login_code, name="login_code"),
    path("konto/tvastegsverifiering/", auth_views.otp_enrol, name="otp_enrol"),
    path("konto/bekrafta/", auth_views.reauth, name="reauth"),
    path("sso/start/", sso.SsoStart.as_view(), name="sso_start"),
    path("sso/callback/", sso.SsoCallback.as_view(), name="sso_callback"),
    # The most sensitive operations (views_sensitive.py): they ask for re-authentication.
    path("arenden/<uuid:case_id>/gallra/", views_sensitive.case_erase, name="case_erase"),
    path("forvaltning/nycklar/", views_sensitive.key_rotation, name="key_rotation"),
    path("logout/", views.SamverkaLogoutView.as_view(), name="logout"),
    path("arenden/<uuid:case_id>/", views.case_detail, name="case"),
    path("healthz", health.healthz, name="healthz"),
    # The same-day styrgrupp (views_meetings.py).
    path(
        "arenden/<uuid:case_id>/handelser/",
        views_meetings.incident_register,
        name="incident_register",
    ),
    path(
        "arenden/<uuid:case_id>/styrgrupp/", views_meetings.meeting_convene, name="meeting_convene"
    ),
    path("moten/<uuid:meeting_id>/", views_meetings.meeting_room, name="meeting"),
    path("moten/<uuid:meeting_id>/kallelse/", views_meetings.meeting_call, name="meeting_call"),
    path("moten/<uuid:meeting_id>/svar/", views_meetings.meeting_answers, name="meeting_answers"),
    path("moten/<uuid:meeting_id>/status.json", views_meetings.meeting_state, name="meeting_state"),
    path("moten/<uuid:meeting_id>/oppna/", views_meetings.meeting_open, name="meeting_open"),
    path("moten/<uuid:meeting_id>/avsluta/", views_meetings.meeting_close, name="meeting_close"),
    path(
        "moten/<uuid:meeting_id>/beslut/",
        views_meetings.action_record,
        name="meeting_action_record",
    ),
    path(
        "moten/<uuid:meeting_id>/protokoll/", views_meetings.meeting_minutes, name="meeting_minutes"
    ),
    path("atgarder/<uuid:action_id>/klar/", views_meetings.action_complete, name="action_complete"),
    path("inkorg/", views_meetings.inbox, name="inbox"),
    path("inkorg/status.json", views_meetings.inbox_state, name="inbox_state"),
    path(
        "uppfoljning/styrgrupp/",
        views_meetings.meeting_measurements,
        name="meeting_measurements",
    ),
    path(
        "uppfoljning/rutiner/<uuid:routine_id>/", views_meetings.routine_edit, name="routine_edit"
    ),
    # The konsultativ grupp, referrals and concern reports (views_consultation.py).
    path("konsultativ/", views_consultation.forum_list, name="consultation_forums"),
    path(
        "konsultativ/forum/<uuid:forum_id>/",
        views_consultation.forum_agenda,
        name="consultation_forum",
    ),
    path(
        "konsultativ/platser/<uuid:slot_id>/boka/", views_consultation.slot_book, name="slot_book"
    ),
    path(
        "konsultativ/moten/<uuid:meeting_id>/",
        views_consultation.consultation_meeting,
        name="consultation_meeting",
    ),
    path(
        "konsultativ/dragningar/<uuid:presentation_id>/stod/",
        views_consultation.support_record,
        name="support_record",
    ),
    path(
        "konsultativ/dragningar/<uuid:presentation_id>/aterkoppling/",
        views_consultation.feedback,
        name="feedback",
    ),
    path("arenden/<uuid:case_id>/remiss/", views_consultation.referral_new, name="referral_new"),
    path("remisser/<uuid:referral_id>/", views_consultation.referral_detail, name="referral"),
    path(
        "remisser/<uuid:referral_id>/svar/",
        views_consultation.referral_answer,
        name="referral_answer",
    ),
    path(
        "remisser/<uuid:referral_id>/avsluta/",
        views_consultation.referral_close,
        name="referral_close",
    ),
    path("orosanmalan/ny/", views_consultation.concern_new, name="concern_new"),
    path("orosanmalan/<uuid:report_id>/", views_consultation.concern_detail, name="concern"),
    path(
        "orosanmalan/<uuid:report_id>/kvittera/",
        views_consultation.concern_acknowledge,
        name="concern_acknowledge",
    ),
    path(
        "orosanmalan/<uuid:report_id>/oppna-arende/",
        views_consultation.concern_open_case,
        name="concern_open_case",
    ),
    path(
        "orosanmalan/<uuid:report_id>/besked/",
        views_consultation.concern_outcome,
        name="concern_outcome",
    ),
    # Statistics, the client's overview and the year's agenda (views_statistics.py).
    path("statistik/", views_statistics.statistics, name="statistics"),
    path("statistik/export.csv", views_statistics.statistics_csv, name="statistics_csv"),
    path("arenden/<uuid:case_id>/oversikt/", views_statistics.case_overview, name="case_overview"),
    path(
        "arenden/<uuid:case_id>/statistikuppgifter/",
        views_statistics.case_facts,
        name="case_facts",
    ),
    path("arsagenda/", views_statistics.agenda, name="agenda"),
    path("arsagenda/utbildningar/", views_statistics.training_create, name="training_create"),
    path(
        "arsagenda/utbildningar/<uuid:training_id>/ta-bort/",
        views_statistics.training_delete,
        name="training_delete",
    ),
    path(
        "arsagenda/moten/<uuid:meeting_id>/flytta/",
        views_statistics.meeting_move,
        name="meeting_move",
    ),
    path("kalender/lank/", views_statistics.calendar_renew, name="calendar_renew"),
    path("kalender/lank/stang/", views_statistics.calendar_revoke, name="calendar_revoke"),
    path("kalender/<str:token>.ics", views_statistics.calendar_feed, name="calendar_feed"),
]
