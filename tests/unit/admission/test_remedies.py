"""No dead ends (issue 14): every refusal names what unblocks it (admission.domain.remedies)."""

import string

import pytest
from django.urls import reverse

from admission.domain.reasons import REASON_CODES
from admission.domain.remedies import PAGES, REMEDIES
from admission.views import REMEDY_PAGES
from admission.workflow import STEP_BY_KEY


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_every_reason_code_has_a_remedy_and_no_remedy_is_dead() -> None:
    assert set(REMEDIES) == set(REASON_CODES)


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_each_remedy_points_at_something_that_exists(code: str) -> None:
    remedy = REMEDIES[code]
    vi, en = REASON_CODES[code]
    if remedy.kind == "step":
        assert remedy.target in STEP_BY_KEY, remedy
    elif remedy.kind == "page":
        assert remedy.target in PAGES and remedy.target in REMEDY_PAGES, remedy
        url_name, anchor, words = REMEDY_PAGES[remedy.target]
        assert reverse(url_name, args=[1]).startswith("/") and str(words)
    elif remedy.kind == "wait":
        # The day from which it is lifted is in the message, in both languages.
        assert remedy.target in _fields(vi) and remedy.target in _fields(en), remedy
    elif remedy.kind == "other_body" and remedy.target:
        assert remedy.target in _fields(vi) and remedy.target in _fields(en), remedy
    else:
        assert remedy.kind in ("input", "reload", "info", "other_body"), remedy


def test_every_page_the_remedies_name_has_its_link() -> None:
    assert set(REMEDY_PAGES) == PAGES
