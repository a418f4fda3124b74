"""What the branch board keeps per process: its deadlines for a calendar and rule book
(admission.dates.StageDeadlines: a day off or a province's rule added shows on the very next board,
and the card of a candidate whose dates change shows the new deadline at once), and its stage
filter's markup (admission_tags.kept_select: the option chosen, the language, an invalid value)."""

import datetime as dt
import re

from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import CalendarOverride, Candidate, RuleOverride
from members.models import User
from tests.conftest import Tree
from tests.factories import PersonFactory

START = dt.date(2025, 1, 6)


def _deadline(html: str, candidate: Candidate) -> tuple[str, str]:
    """The card's deadline (dd/mm/yyyy) and the rule point it cites."""
    card = html[html.index(f'id="pick-{candidate.pk}"') :]
    card = card[: card.index('<div class="col-12')] if '<div class="col-12' in card else card
    found = re.search(r": (\d\d/\d\d/\d{4}) <span class=\"text-body-secondary\">\(([^)]*)\)</span>", card)
    assert found, card[:800]
    return found.group(1), found.group(2)


def _board(client: Client, tree: Tree) -> str:
    response = client.get(reverse("admission_board", args=[tree.branch_a.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _dmy(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007 - a date


def test_an_override_added_shows_on_the_next_board(tree: Tree, alice: User, introducers) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Đinh Văn Hạn")
    candidate = walk_to(
        services.candidate_create(acting_user=alice, person=person, now=at(START)),
        "S9",
        user=alice,
        introducers=list(introducers),
        start=START,
    )
    resolution = Candidate.objects.get(pk=candidate.pk).branch_resolution_date
    assert resolution is not None
    client = Client()
    client.force_login(alice)

    day, point = _deadline(_board(client, tree), candidate)
    assert _deadline(_board(client, tree), candidate) == (day, point)  # the second board from the memo
    before = _dmy(day)
    assert point == "QĐ294 4.3.1"

    # A day off inside the 45 working days: the deadline moves one working day later.
    off = resolution + dt.timedelta(days=1)
    while off.weekday() >= 5:
        off += dt.timedelta(days=1)
    CalendarOverride.objects.create(day=off, is_working_day=False, organisation=tree.province, note="nghỉ bù")
    later, point = _deadline(_board(client, tree), candidate)
    assert _dmy(later) > before and point == "QĐ294 4.3.1"

    # The province's own rule: 30 working days, cited by its label.
    RuleOverride.objects.create(
        province=tree.province, key="decision_wd", value=30, label="QĐ 12-QĐ/TU", effective_from=dt.date(2020, 1, 1)
    )
    shorter, point = _deadline(_board(client, tree), candidate)
    assert _dmy(shorter) < before and point == "QĐ 12-QĐ/TU"

    # Both removed: the first deadline again.
    CalendarOverride.objects.all().delete()
    RuleOverride.objects.all().delete()
    assert _deadline(_board(client, tree), candidate) == (day, "QĐ294 4.3.1")

    # The candidate's own dates corrected: the card follows at once.
    Candidate.objects.filter(pk=candidate.pk).update(branch_resolution_date=resolution - dt.timedelta(days=14))
    moved, _point = _deadline(_board(client, tree), candidate)
    assert _dmy(moved) < before


def test_the_stage_filter_shows_the_choice_and_language_of_each_request(tree: Tree, alice: User) -> None:
    client = Client()
    client.force_login(alice)
    url = reverse("admission_board", args=[tree.branch_a.pk])

    def select(query: str) -> str:
        response = client.get(url + query)
        assert response.status_code == 200
        html = response.content.decode()
        return html[html.index('<select name="stage"') : html.index("</select>")]

    plain = select("")
    assert " selected" not in plain.replace('value="" selected', "") and 'value="" selected' in plain
    assert select("") == plain  # kept
    assert '<option value="S3" selected>' in select("?stage=S3")
    assert '<option value="S9" selected>' in select("?stage=S9") and 'value="S3" selected' not in select("?stage=S9")
    invalid = select("?stage=XX")
    assert 'aria-invalid="true"' in invalid and " selected" not in invalid
    assert "aria-invalid" not in select("?stage=S3")
    client.post(reverse("set_language"), {"language": "en", "next": url})
    english = select("?stage=S3")
    assert "Tất cả các bước" in plain and "Tất cả các bước" not in english and '<option value="S3" selected>' in english
