"""Plain Vietnamese on every main screen: no stage codes (beyond the small `stage-code` badge), no
model reprs, no English words, one spelling of each rule label, checklist codes with their names
and in order; and in English no Vietnamese sentences left untranslated.

The demo province (`load_demo_data`: returns, deadlocks, transfers, meetings, votes) is loaded on a
fixed day; each persona then follows every link it is shown from the home and the admission
pages (GET only, a few pages per URL pattern), and the e-mail digests and the audit log are read
too. A finding names the page and the text around it.
"""

import datetime as dt
import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client

from admission.models import Candidate, Notification
from admission.reminders.emails import digest_message
from members.models import User

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)  # a Monday after the demo's last recorded act
PERSONAS = ("bithu.vanphong", "canbo.stp", "lanhdao.ubnd", "canbo.ducxuan", "bithu.tdp1", "admin")
PAGES_PER_PATTERN = 3
MAX_PAGES = 160  # per persona: enough to reach every kind of page the persona is shown

# Pages not crawled: downloads and feeds (not HTML), the API and Django's admin (English by
# design, for operators), the language switch and logout (they change the session).
NOT_CRAWLED = re.compile(
    r"^/(api|admin|static|media|i18n|accounts/logout)/|\.(ics|pdf|docx|xlsx|csv|png|jpg)$"
    r"|/(download|export|preview|file|thumbnail|calendar)\b"
)

STAGE_CODE = re.compile(r"(?<![\w./-])(S(?:1[0-7]|[0-9])A?|S[XYZ])(?![\w./-])")
MODEL_REPR = re.compile(
    r"<[A-Z][A-Za-z]+[ :>]|\bobject \(\d+\)|\[[A-Z][A-Za-z]+ [^\]]*\]|\b(?:BranchMeeting|CommitteeMeeting|Vote|Return|"
    r"Transfer|Candidate|Person|StageTransition|DossierItem|Notification) \d"
)
# A small stop-list of English words that never occur in Vietnamese text, proper names or codes.
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|with|descending|ascending|review|none|true|false|pending|sent|skipped|created|updated|"
    r"deleted|dossier|candidate|branch|meeting|stage|step|vote|document|transfer|select|submit)\b",
    re.IGNORECASE,
)
WRONG_RULE_SPELLING = re.compile(r"\bQD ?\d")
BARE_CHECKLIST_CODES = re.compile(r"\b[AR]\d{1,2}(?:\s*,\s*[AR]\d{1,2})+\b|;\s*[AR]\d{1,2}\b")
# Vietnamese words that an English page shows only when a string escaped the catalogue (names of
# people and organisations never contain them).
VIETNAMESE_WORDS = re.compile(
    r"\b(của|được|không|những|cho|với|này|đã|chưa|người|ngày|hạn|bước|hồ sơ|quyết định|xem|ghi|lưu)\b",
    re.IGNORECASE,
)


class VisibleText(HTMLParser):
    """The text a reader sees, without scripts, styles, code and format samples and the allowed
    stage badge; plus the page's same-site links. With `skip_vietnamese_quotes`, text marked
    `lang="vi"` (the import file's Vietnamese column headers, quoted on the English page) is
    left out too."""

    HIDDEN = {"script", "style", "code", "samp", "template", "noscript"}

    def __init__(self, skip_vietnamese_quotes: bool = False) -> None:
        self.skip_vietnamese_quotes = skip_vietnamese_quotes
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and (values.get("href") or "").startswith("/"):
            self.links.append((values["href"] or "").split("#")[0])
        classes = (values.get("class") or "").split()
        quoted = self.skip_vietnamese_quotes and values.get("lang") == "vi"
        if tag in self.HIDDEN or "stage-code" in classes or quoted or self.hidden:
            if tag not in {"br", "img", "input", "meta", "link", "hr", "wbr"}:
                self.hidden.append(tag)
            return
        for name in ("title", "aria-label", "placeholder"):
            if values.get(name):
                self.parts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if self.hidden and self.hidden[-1] == tag:
            self.hidden.pop()

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(data.strip())

    @property
    def text(self) -> str:
        return " | ".join(self.parts)


def _around(text: str, match: re.Match[str]) -> str:
    return text[max(0, match.start() - 50) : match.end() + 30]


def vietnamese_findings(text: str) -> list[str]:
    found = []
    for kind, pattern in (
        ("stage code", STAGE_CODE),
        ("model repr", MODEL_REPR),
        ("English", ENGLISH_WORDS),
        ("QĐ spelled QD", WRONG_RULE_SPELLING),
        ("checklist code without its name", BARE_CHECKLIST_CODES),
    ):
        found += [f"{kind}: …{_around(text, m)}…" for m in pattern.finditer(text)]
    return found


def english_findings(text: str) -> list[str]:
    return [f"Vietnamese left in English: …{_around(text, m)}…" for m in VIETNAMESE_WORDS.finditer(text)]


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def crawl(client: Client, check, start=("/", "/admission/")) -> list[str]:  # type: ignore[no-untyped-def]
    """Follow the links a persona is shown; returns "<page>: <finding>" lines."""
    findings: list[str] = []
    queue, seen, per_pattern = deque(start), set[str](), dict[str, int]()
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or NOT_CRAWLED.search(urlsplit(path).path):
            continue
        seen.add(path)
        pattern = _pattern(path)
        per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
        if per_pattern[pattern] > PAGES_PER_PATTERN:
            continue
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = VisibleText(skip_vietnamese_quotes=check is english_findings)
        parser.feed(response.content.decode())
        findings += [f"{path}: {finding}" for finding in check(parser.text)]
        queue.extend(link for link in parser.links if link not in seen)
    return findings


@pytest.fixture
def demo() -> Iterator[None]:
    with time_machine.travel(DAY, tick=False):
        call_command("load_demo_data", force=True)
        yield


def _client(username: str, language: str = "vi") -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = language
    return client


def test_the_finder_catches_each_kind_of_leak() -> None:
    leaks = [
        "Bước hiện tại: S13 Thời kỳ dự bị",
        "Căn cứ [BranchMeeting 04/12/2026]",
        "theo [Vote 15]",
        "Hạn (descending)",
        "dossier review 5",
        "(HD06 5.4a; QD294)",
        "Thiếu: A1, A2, A3, A4, A6, A5",
        "giấy tờ; A4",
        "<Candidate: Nguyễn Văn A>",
    ]
    for leak in leaks:
        assert vietnamese_findings(leak), leak
    clean = "Thời kỳ dự bị · Căn cứ: QĐ294 4.3.1 · A1 Đơn xin vào Đảng · HD06 3.9 · lớp 12A"
    assert vietnamese_findings(clean) == []
    assert english_findings("Decision deadline: 12/01/2027") == []
    assert english_findings("Hạn của bước này") != []


def test_a_stage_badge_is_allowed_and_everything_else_is_read() -> None:
    parser = VisibleText()
    parser.feed(
        '<p>Nguyễn Văn A · <span class="stage-code">S13</span> Thời kỳ dự bị <a href="/x/" title="S9">x</a></p>'
    )
    assert "S13" not in parser.text
    assert "S9" in parser.text
    assert parser.links == ["/x/"]


@pytest.mark.parametrize("username", PERSONAS)
def test_vietnamese_pages_show_no_codes_reprs_or_english(demo: None, username: str) -> None:
    findings = crawl(_client(username), vietnamese_findings)
    assert findings == [], "\n".join(sorted(set(findings)))


@pytest.mark.parametrize("username", ["bithu.vanphong", "canbo.stp"])
def test_english_pages_leave_nothing_in_vietnamese(demo: None, username: str) -> None:
    findings = crawl(_client(username, "en"), english_findings)
    assert findings == [], "\n".join(sorted(set(findings)))


def test_digests_and_the_audit_log_read_as_plain_vietnamese(demo: None) -> None:
    findings = []
    for user in User.objects.filter(notifications__isnull=False).distinct():
        items = list(Notification.objects.filter(user=user).select_related("candidate", "organisation"))
        message = digest_message(user=user, items=items, day=DAY.date())
        for part in (message.subject, message.body, str(message.alternatives[0][0])):
            parser = VisibleText()
            parser.feed(str(part))
            findings += [f"digest to {user.username}: {f}" for f in vietnamese_findings(parser.text)]
    assert mail.outbox == []  # rendering only: nothing was sent
    secretary = _client("bithu.vanphong")
    for candidate in Candidate.objects.filter(organisation__code="TN-UB-STP-VP")[:3]:  # views are audited
        secretary.get(f"/admission/candidates/{candidate.pk}/")
        secretary.get(f"/admission/candidates/{candidate.pk}/review/")
    findings += crawl(_client("admin"), vietnamese_findings, start=("/audit/",))
    assert findings == [], "\n".join(sorted(set(findings)))


def test_numbers_follow_the_language() -> None:
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils.formats import number_format
    from django.utils.translation import override

    with override("vi"):
        assert (intcomma(5260), number_format(102.5, decimal_pos=1)) == ("5.260", "102,5")
    with override("en"):
        assert (intcomma(5260), number_format(102.5, decimal_pos=1)) == ("5,260", "102.5")
