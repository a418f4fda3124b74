"""The domain's document names are the model's checklist names, in both languages."""

from django.utils.translation import override

from admission.domain.documents import DOCUMENT_NAMES, checklist_sorted, documents_text
from admission.models import DocumentType


def test_the_domain_names_every_checklist_document_as_the_model_does() -> None:
    assert list(DOCUMENT_NAMES) == list(DocumentType.values)
    for code, label in DocumentType.choices:
        with override("vi"):
            assert DOCUMENT_NAMES[code][0] == str(label), code
        with override("en"):
            assert DOCUMENT_NAMES[code][1] == str(DocumentType(code).label), code


def test_codes_are_sorted_in_checklist_order_and_never_shown_alone() -> None:
    assert checklist_sorted(["A6", "A5", "A1", "A11", "A2", "R2", "A6"]) == ["A1", "A2", "A5", "A6", "A11", "R2"]
    assert documents_text(["A4", "A2"]) == "A2 Đơn xin vào Đảng; A4 Giấy giới thiệu của đảng viên chính thức"
    assert documents_text(["A2"], "en") == "A2 Application to join the Party"
