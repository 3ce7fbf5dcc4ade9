import pytest

from audit.models import AuditEvent
from coordination import vault
from coordination.errors import Conflict, Invalid, NotFound
from coordination.models_consultation import Feedback, FeedbackStatus
from coordination.selectors_consultation import open_feedback
from coordination.services import consultation
from tests.coordination.consultation import Konsult
from tests.coordination.styrgrupp import sent_events


def _open(feedback: Feedback, part: str) -> str:
    case = feedback.case
    blob = getattr(feedback, f"{part}_ciphertext")
    return vault.decrypt_value(
        vault.case_data_key(case), str(case.id), f"feedback:{feedback.id}:{part}", blob
    )


def test_the_task_stays_on_the_start_page_until_done(
    konsult: Konsult, django_capture_on_commit_callbacks
) -> None:
    officer = konsult.user("norr_officer")
    presentation = konsult.book_anonymised()
    feedback = Feedback.objects.get(presentation=presentation)
    assert open_feedback(user=officer) == [feedback]
    assert open_feedback(user=konsult.user("teacher")) == []

    with sent_events() as sent, django_capture_on_commit_callbacks(execute=True):
        consultation.feedback_record(
            actor=officer,
            feedback=feedback,
            told="Skolan erbjuder kurator; primärvården samtalsstöd.",
            wishes="Vill börja med kuratorn.",
        )
    feedback.refresh_from_db()
    assert _open(feedback, "told") == "Skolan erbjuder kurator; primärvården samtalsstöd."
    assert _open(feedback, "wishes") == "Vill börja med kuratorn."
    assert feedback.status == FeedbackStatus.OPEN
    assert open_feedback(user=officer) == [feedback]

    with django_capture_on_commit_callbacks(execute=True):
        consultation.feedback_complete(actor=officer, feedback=feedback)
    feedback.refresh_from_db()
    assert feedback.status == FeedbackStatus.DONE
    assert feedback.done_by == officer
    assert open_feedback(user=officer) == []
    actions = list(
        AuditEvent.objects.filter(action__startswith="feedback.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["feedback.recorded", "feedback.completed"]
    assert "kurator" not in str(AuditEvent.objects.get(action="feedback.recorded").detail)
    assert [e["kind"] for room, e in sent] == ["feedback.updated"]
    assert sent[0][0] == f"case:{konsult.case.id}"


def test_it_cannot_be_completed_empty_nor_changed_when_done(konsult: Konsult) -> None:
    officer = konsult.user("norr_officer")
    feedback = Feedback.objects.get(presentation=konsult.book_anonymised())
    with pytest.raises(Invalid):
        consultation.feedback_complete(actor=officer, feedback=feedback)
    with pytest.raises(Invalid):
        consultation.feedback_record(actor=officer, feedback=feedback, told="   ")
    consultation.feedback_record(actor=officer, feedback=feedback, told="Berättat.")
    consultation.feedback_complete(actor=officer, feedback=feedback)
    with pytest.raises(Conflict):
        consultation.feedback_record(actor=officer, feedback=feedback, told="Ändrat.")


def test_others_cannot_see_or_write_it(konsult: Konsult) -> None:
    feedback = Feedback.objects.get(presentation=konsult.book_anonymised())
    for person in ("teacher", "nurse", "officer"):
        with pytest.raises(NotFound):
            consultation.feedback_record(actor=konsult.user(person), feedback=feedback, told="x")
    feedback.refresh_from_db()
    assert feedback.told_ciphertext == b""
