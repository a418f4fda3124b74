"""Trial tasks (HD38 I.1.1b): a due date typed with the wrong year is refused, and a task given by
mistake is taken back with a reason, its original kept in the candidate's history."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, Correction, CorrectionKind, TrialTask
from members.models import User
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 4, 20, 10, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def sympathiser(tree, alice, introducers) -> Candidate:  # type: ignore[no-untyped-def]
    person = PersonFactory(organisation=tree.branch_a, full_name="Lương Thanh Ấn")
    candidate = services.candidate_create(acting_user=alice, person=person, now=at(START))
    return walk_to(candidate, "S1", user=alice, introducers=introducers, start=START)


@pytest.fixture
def task(sympathiser, alice) -> TrialTask:  # type: ignore[no-untyped-def]
    return services.task_assign(
        acting_user=alice,
        candidate=sympathiser,
        description="Phụ trách phong trào thanh niên",
        due_on=dt.date(2025, 6, 30),
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.content.decode())


def test_a_due_date_before_the_candidacy_began_is_refused_and_what_was_typed_stays(sympathiser, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(
        reverse("task_add", args=[sympathiser.pk]), {"description": "Nhiệm vụ thử", "due_on": "01/01/2001"}
    )

    page = _page(response)
    assert response.status_code == 200
    assert "Hạn 01/01/2001 trước ngày bắt đầu theo dõi quần chúng" in page
    assert 'value="Nhiệm vụ thử"' in page
    assert not TrialTask.objects.exists()


def test_a_task_given_by_mistake_is_taken_back_with_a_reason_and_its_original_kept(sympathiser, task, alice) -> None:  # type: ignore[no-untyped-def]
    client = _client(alice)
    detail = reverse("candidate_detail", args=[sympathiser.pk])
    url = reverse("task_withdraw", args=[sympathiser.pk, task.pk])

    before = _page(client.get(detail))
    form = _page(client.get(url))
    response = client.post(url, {"reason": "Giao nhầm người"}, follow=True)

    assert url in before
    assert "Phụ trách phong trào thanh niên – hạn 30/06/2025." in form
    assert not TrialTask.objects.filter(pk=task.pk).exists()
    correction = Correction.objects.get(candidate=sympathiser, kind=CorrectionKind.TASK_WITHDRAWN)
    assert correction.reason == "Giao nhầm người"
    assert correction.original["description"] == "Phụ trách phong trào thanh niên"
    assert correction.recorded_by == alice
    after = _page(response)
    assert "Đã rút lại nhiệm vụ." in after
    assert "Rút lại nhiệm vụ đã giao: Phụ trách phong trào thanh niên (hạn 30/06/2025)" in after
    assert "Giao nhầm người" in after


def test_a_withdrawal_without_a_reason_is_refused_and_the_task_stays(sympathiser, task, alice) -> None:  # type: ignore[no-untyped-def]
    response = _client(alice).post(reverse("task_withdraw", args=[sympathiser.pk, task.pk]), {"reason": "   "})

    assert response.status_code == 200
    assert TrialTask.objects.filter(pk=task.pk).exists()
    assert not Correction.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "oscar", "eve"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_and_the_auditor_cannot_take_a_task_back(request, sympathiser, task, persona, method) -> None:  # type: ignore[no-untyped-def]
    client = _client(request.getfixturevalue(persona))
    url = reverse("task_withdraw", args=[sympathiser.pk, task.pk])

    response = getattr(client, method)(url, {"reason": "Xóa"} if method == "post" else None)

    assert response.status_code in {403, 404}
    assert "Phụ trách phong trào thanh niên" not in _page(response)
    assert TrialTask.objects.filter(pk=task.pk).exists()


def test_a_task_of_another_candidate_is_not_found(sympathiser, task, alice, tree, introducers) -> None:  # type: ignore[no-untyped-def]
    other = services.candidate_create(
        acting_user=alice, person=PersonFactory(organisation=tree.branch_a, full_name="Đỗ Thị Yến"), now=at(START)
    )

    response = _client(alice).post(reverse("task_withdraw", args=[other.pk, task.pk]), {"reason": "Nhầm"})

    assert response.status_code == 404
    assert TrialTask.objects.filter(pk=task.pk).exists()
