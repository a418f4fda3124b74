from django.urls import path

from admission import candidate_views, correction_views, dossier_views, mentor_views, transfer_views, views
from admission.documents import batch_views, handoff_views, register_views, upload_views
from admission.documents import views as document_views
from admission.imports import views as import_views
from admission.reporting import urls as statistics_urls

urlpatterns = [
    path("", views.overview, name="admission_overview"),
    path("branches/<int:pk>/board/", views.board, name="admission_board"),
    path("branches/<int:pk>/board/print/", views.board_print, name="board_print"),
    path("committees/<int:pk>/queue/", views.committee_queue, name="committee_queue"),
    path("branches/<int:pk>/candidates/new/", views.candidate_create, name="candidate_create"),
    path("branches/<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("branches/<int:pk>/meetings/", views.branch_meetings, name="branch_meetings"),
    path("branch-meetings/<int:pk>/", views.branch_meeting, name="branch_meeting"),
    path("branch-meetings/<int:pk>/edit/", views.branch_meeting_edit, name="branch_meeting_edit"),
    path("candidates/<int:pk>/", views.candidate_detail, name="candidate_detail"),
    path("candidates/<int:pk>/steps/<slug:step_key>/", views.candidate_step, name="candidate_step"),
    path("candidates/<int:pk>/mentors/new/", views.mentor_add, name="mentor_add"),
    path("candidates/<int:pk>/mentor-comment/", mentor_views.mentor_comment, name="mentor_comment"),
    path("mentees/", mentor_views.mentee_workspace, name="mentee_workspace"),
    path("mentees/<int:pk>/", mentor_views.mentee_detail, name="mentee_detail"),
    path(
        "candidates/<int:pk>/history/<int:transition_pk>/correct/",
        correction_views.step_correction,
        name="step_correction",
    ),
    path("candidates/<int:pk>/undo/", correction_views.step_undo, name="step_undo"),
    path(
        "branch-meetings/decisions/<int:pk>/withdraw/",
        correction_views.list_decision_withdraw,
        name="list_decision_withdraw",
    ),
    path("candidates/<int:pk>/votes/<int:vote_pk>/withdraw/", correction_views.vote_withdraw, name="vote_withdraw"),
    path(
        "candidates/<int:pk>/mentors/<int:mentorship_pk>/withdraw/",
        correction_views.mentorship_withdraw,
        name="mentorship_withdraw",
    ),
    path("candidates/<int:pk>/transfer/", views.candidate_transfer, name="candidate_transfer"),
    path("candidates/<int:pk>/transfer/forwarded/", views.transfer_forwarded, name="transfer_forwarded"),
    path("transfers/to-forward/", transfer_views.transfers_to_forward, name="transfers_to_forward"),
    path("transfers/<int:pk>/letter/", transfer_views.transfer_letter_issue, name="transfer_letter_issue"),
    path("candidates/<int:pk>/transfer/reconsider/", views.transfer_reconsideration, name="transfer_reconsideration"),
    path("candidates/<int:pk>/documents/new/", views.document_add, name="document_add"),
    path("candidates/<int:pk>/dossier/", dossier_views.candidate_dossier, name="candidate_dossier"),
    path("candidates/<int:pk>/dossier/<str:doc_type>/", dossier_views.dossier_item, name="dossier_item"),
    path("candidates/<int:pk>/verifications/new/", views.verification_add, name="verification_add"),
    path(
        "candidates/<int:pk>/verifications/<int:verification_pk>/reply/",
        views.verification_reply,
        name="verification_reply",
    ),
    path(
        "candidates/<int:pk>/verifications/<int:verification_pk>/correct/",
        views.verification_correct,
        name="verification_correct",
    ),
    path(
        "candidates/<int:pk>/verifications/<int:verification_pk>/cancel/",
        views.verification_cancel,
        name="verification_cancel",
    ),
    path("candidates/<int:pk>/tasks/new/", views.task_add, name="task_add"),
    path("candidates/<int:pk>/tasks/<int:task_pk>/result/", views.task_result, name="task_result"),
    path("candidates/<int:pk>/tasks/<int:task_pk>/withdraw/", correction_views.task_withdraw, name="task_withdraw"),
    path("candidates/<int:pk>/flags/", views.candidate_flags, name="candidate_flags"),
    path("candidates/<int:pk>/review/", views.dossier_review, name="dossier_review"),
    path("candidates/<int:pk>/resubmit/", views.dossier_resubmit, name="dossier_resubmit"),
    path("committees/<int:pk>/meetings/", views.committee_meetings, name="committee_meetings"),
    path("meetings/<int:pk>/", views.committee_meeting, name="committee_meeting"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("preferences/", views.preferences, name="preferences"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]

# Generated documents and uploads keep their routes beside their views.
urlpatterns += (
    document_views.urlpatterns + upload_views.urlpatterns + register_views.urlpatterns + handoff_views.urlpatterns
)
urlpatterns += batch_views.urlpatterns
# The secretary's page of the candidate's self-service (the candidate's own pages are under /me/).
urlpatterns += candidate_views.staff_urlpatterns
# Statistics and imports likewise.
urlpatterns += statistics_urls.urlpatterns + import_views.urlpatterns
