import html
import re
from typing import Any, Literal

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from admission.dates import LEGAL_DATE_NAMES
from admission.domain.reasons import Reason, format_reason
from admission.domain.stages import STAGE_INFO, Stage
from admission.workflow import STEP_BY_KEY

register = template.Library()

DATE_NAMES = LEGAL_DATE_NAMES  # admission.dates: the calendar feed names them too


def _lang() -> Literal["vi", "en"]:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


@register.filter
def reason_text(value: Reason) -> str:
    return format_reason(value, _lang())  # type: ignore[arg-type]


@register.filter
def stage_label(value: str) -> str:
    if value not in Stage.__members__:
        return value or ""
    info = STAGE_INFO[Stage(value)]
    return info.label_en if _lang() == "en" else info.label_vi


@register.filter
def stage_code(value: str) -> SafeString:
    """The stage's code as a small badge beside its name (the only place a code is shown)."""
    if value not in Stage.__members__:
        return format_html("")
    return format_html('<span class="stage-code" aria-hidden="true">{}</span>', value)


@register.filter
def rule_set_name(code: str) -> str:
    """A rule set's short name as the texts spell it: the code "QD294" is "QĐ294"."""
    return re.sub(r"^QD", "QĐ", code or "")


_MOVE = re.compile(r"^(S\w+)→(S\w+)$")


@register.filter
def change_reason(value: str) -> str:
    """A history row's change reason in words: the services write a move as "S9→S10", an act
    recorded within a stage by its step key; other reasons were typed by a user."""
    found = _MOVE.match(value or "")
    if found and found.group(1) in Stage.__members__ and found.group(2) in Stage.__members__:
        return f"{stage_label(found.group(1))} → {stage_label(found.group(2))}"
    if (value or "").startswith("transfer → "):  # services.candidate_transfer: "transfer → <branch code>"
        return str(_("Chuyển sinh hoạt"))
    if value in SERVICE_REASONS:
        return str(SERVICE_REASONS[value])
    step = STEP_BY_KEY.get(value)
    return str(step.label) if step is not None else value


# Change reasons that services other than the steps write (admission.services.transfers).
SERVICE_REASONS = {
    "transfer_forwarded": _("Ghi nhận hồ sơ đã được chuyển đến (chuyển sinh hoạt)"),
    "transfer_reconsideration_request": _("Đề nghị xem xét lại (chuyển sinh hoạt)"),
}


@register.filter
def date_name(value: str) -> str:
    return str(DATE_NAMES.get(value, value))


@register.filter
def rule_text(value: object) -> str:
    """The description of a RuleRef in the user's language."""
    return str(getattr(value, "description_en" if _lang() == "en" else "description_vi", ""))


@register.filter
def return_row(form: object, code: str) -> tuple[object, object]:
    """The tick and reason fields of one document in the return form."""
    return form[f"return_{code}"], form[f"reason_{code}"]  # type: ignore[index]


VOTING_BODY_NAMES = {
    "BRANCH": _("Chi bộ"),
    "SUB_COMMITTEE_APPRAISAL": _("Đảng ủy bộ phận"),
    "GRASSROOTS_COMMITTEE": _("Đảng ủy cơ sở"),
    "DELEGATED_GRASSROOTS_COMMITTEE": _("Đảng ủy cơ sở được ủy quyền"),
    "STANDING_COMMITTEE": _("Ban Thường vụ cấp ủy"),
    "PROVINCIAL_STANDING_OFFICE": _("Thường trực tỉnh ủy"),
}


@register.filter
def voting_body(value: str) -> str:
    """The name of the body that voted (Vote.body stores the VotingBody name)."""
    return str(VOTING_BODY_NAMES.get(value, value))


@register.filter(name="stored_value")
def _field_value(value: object) -> str:
    """A stored correction value as shown: ISO dates as dd/mm/yyyy, empty as a dash."""
    if value in (None, ""):
        return "—"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


@register.filter
def correction_changes(correction: object) -> list[str]:
    """What a step correction changed, one "field: before → after" per line, in the user's language."""
    from admission.models import Candidate

    lines = []
    changes = getattr(correction, "changes", {})
    for name, pair in changes.items():
        if name == "on_date" and len(changes) > 1:
            continue  # the step's day is its date field, already listed
        label = _("Ngày của bước") if name == "on_date" else Candidate._meta.get_field(name).verbose_name  # type: ignore[union-attr]
        lines.append(f"{capfirst(label)}: {_field_value(pair[0])} → {_field_value(pair[1])}")
    return lines


@register.filter
def step_label(key: str) -> str:
    from admission.workflow import STEP_BY_KEY

    step = STEP_BY_KEY.get(key)
    return str(step.label) if step is not None else ""


@register.filter
def reads(scope: object, organisation: object) -> bool:
    """Whether the user's scope (`user_scope` of the context) covers `organisation`: links to a
    branch's pages show only to those who may open them (a mentor reads their mentees only)."""
    can_read = getattr(scope, "can_read", None)
    return bool(can_read and organisation is not None and can_read(organisation))


@register.simple_tag
def board_cards(
    cards: list[Any],
    card_url: tuple[str, str],
    pick_label: str,
    overdue_label: str,
    next_label: str,
    due_label: str,
) -> SafeString:
    """The cards of one column of the branch board (admission.selectors.BoardCard), built as one
    string: the markup of `{% for card in column.cards %}…` (kept in board.html's comment), without
    the ~50 template nodes per card that made a board of 300 candidates cost ~20 ms to render.
    `card_url`: the candidate page's URL before and after its id (one reverse() per page).

    What the cards of a column share is translated and escaped once: their next step (one per
    stage), the rule points of their deadlines, their blockers (the same reason for the same date).
    Every value is escaped (the labels too: they come from the catalogue), by the standard
    library's html.escape, which is what django.utils.html.escape calls, without its lazy-string
    wrapper (1,500 calls a board)."""
    escape = html.escape
    lang = _lang()
    pick_label, overdue_label = escape(str(pick_label)), escape(str(overdue_label))
    next_label, due_label = escape(str(next_label)), escape(str(due_label))
    url_before, url_after = escape(card_url[0]), escape(card_url[1])
    badge = f'            <span class="badge text-bg-danger">{overdue_label}</span></div>\n'
    no_badge = "            </div>\n"
    steps: dict[str, str] = {}  # step key -> its line
    points: dict[str, str] = {}  # rule point -> escaped
    blockers: dict[Reason, str] = {}  # reason -> its line
    parts: list[str] = []
    append = parts.append
    for card in cards:
        pk = card.candidate.pk
        name = escape(card.name)
        overdue = card.overdue
        append(
            '<div class="col-12 col-md-6 col-xl-4">\n'
            f'      <div class="card h-100 candidate-card{" border-danger" if overdue else ""}">\n'
            '        <div class="card-body py-2">\n'
            '          <div class="d-flex justify-content-between gap-2"><span>'
            # The card's box for the board's bulk actions (the form "bulk" above the columns).
            f'<input class="form-check-input me-1 no-print" type="checkbox" name="c" value="{pk}" form="bulk" '
            f'id="pick-{pk}" aria-label="{pick_label} {name}">'
            f'<a class="fw-semibold" href="{url_before}{pk}{url_after}">{name}</a></span>\n'
        )
        append(badge if overdue else no_badge)
        step = card.next_step
        if step is not None:
            line = steps.get(step.key)
            if line is None:
                line = steps[step.key] = f'          <div class="small">{next_label}: {escape(str(step.label))}</div>\n'
            append(line)
        deadline = card.deadline
        if deadline is not None:
            point = points.get(deadline.rule.point)
            if point is None:
                point = points[deadline.rule.point] = escape(deadline.rule.point)
            day = deadline.day
            append(
                f'          <div class="small {"text-danger fw-semibold" if overdue else "text-body-secondary"}">'
                f"{due_label}: {day.day:02d}/{day.month:02d}/{day.year} "
                f'<span class="text-body-secondary">({point})</span></div>\n'
            )
        for blocker in card.blockers:
            line = blockers.get(blocker)
            if line is None:
                line = blockers[blocker] = (
                    f'<div class="small text-warning-emphasis">⚠ {escape(format_reason(blocker, lang))}</div>'
                )
            append(line)
        append("\n        </div>\n      </div>\n    </div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.filter(is_safe=True)
def grouped(value: Any) -> Any:
    """An integer with the language's thousands separator (``intcomma``'s output for integers:
    12.345 in Vietnamese, 12,345 in English); anything else as it is. The statistics page shows
    about a thousand numbers: this costs a format and a replace each, ``intcomma`` ten times more."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return f"{value:,}".replace(",", str(get_format("THOUSAND_SEPARATOR")))


@register.simple_tag
def statistics_children_rows(children: list[dict[str, Any]], query_string: str) -> SafeString:
    """The rows of the statistics page's table of children (templates/admission/statistics/
    _figures.html), built here: nine cells per child and ~100 children for a province cost
    ~30 template nodes per row otherwise. A child's name links to its own statistics with the
    same query (`query_string`; none on a saved report)."""
    separator = str(get_format("THOUSAND_SEPARATOR"))

    def number(value: Any) -> str:
        if value is None:
            return "—"
        return f"{value:,}".replace(",", separator) if isinstance(value, int) else str(value)

    def cell(value: Any, url: str | None, classes: str) -> str:
        shown = number(value)
        inner = format_html('<a href="{}">{}</a>', url, shown) if url else html.escape(shown)
        return f'<td class="{classes}">{inner}</td>'

    # One reverse for every child: the pattern's primary key swapped for each id.
    placeholder = 987654321
    pattern = reverse("statistics_organisation", args=[placeholder])
    rows = []
    for child in children:
        name = html.escape(str(child["name"]))
        if query_string:
            href = html.escape(pattern.replace(str(placeholder), str(child["id"])) + "?" + query_string)
            name = f'<a href="{href}">{name}</a>'
        rows.append(
            "<tr>\n"
            f'  <td>{name}<div class="small text-body-secondary">{html.escape(str(child["kind_label"]))}</div></td>\n'
            f'  <td class="text-end">{html.escape(number(child["plan"]))}</td>\n'
            f"  {cell(child['admitted'], child['admitted_url'], 'text-end')}\n"
            f'  <td class="text-end text-nowrap">{html.escape(str(child["plan_percent_text"]))}</td>\n'
            '  <td class="text-end text-nowrap d-none d-md-table-cell">'
            f"{html.escape(str(child['baseline_percent_text']))}</td>\n"
            f"  {cell(child['recognised'], child['recognised_url'], 'text-end d-none d-md-table-cell')}\n"
            f"  {cell(child['removed'], child['removed_url'], 'text-end d-none d-lg-table-cell')}\n"
            f"  {cell(child['official'], child['official_url'], 'text-end d-none d-sm-table-cell')}\n"
            f"  {cell(child['probationary'], child['probationary_url'], 'text-end d-none d-sm-table-cell')}\n"
            "</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above


_SELECTS: dict[tuple[Any, ...], str] = {}


@register.simple_tag
def kept_select(field: Any) -> SafeString:
    """A select (a form's BoundField) rendered once per process for each value of what its markup
    depends on: its name, id, attributes, choices, value, language, state (required, disabled, in
    error, with help). The board's stage filter has some 35 options, each rendered by a template of
    its own at every request; the same options with the same one selected give the same markup.
    Only a value among its choices (or none) is kept: one typed in the URL is rendered as usual."""
    widget = field.field.widget
    value = field.value()
    choices = tuple((str(v), str(label)) for v, label in field.field.choices)
    if settings.DEBUG or (value not in (None, "") and str(value) not in {v for v, _label in choices}):
        return mark_safe(str(field))  # noqa: S308 - the form's own rendering
    key = (
        type(widget),
        field.html_name,
        field.auto_id,
        get_language(),
        "" if value is None else str(value),
        choices,
        tuple(sorted((k, str(v)) for k, v in widget.attrs.items())),
        field.field.required,
        field.field.disabled,
        bool(field.errors),
        bool(field.help_text),
    )
    found = _SELECTS.get(key)
    if found is None:
        if len(_SELECTS) >= 256:
            _SELECTS.clear()
        found = _SELECTS[key] = str(field)
    return mark_safe(found)  # noqa: S308 - the form's own rendering (conditional_escape'd by Django)
