"""Architecture B and G as cheap AST checks: only `services.transitions.candidate_transition` writes
`Candidate.stage`, and `admission/domain/` stays free of Django."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
APP_FILES = sorted(p for app in ("admission", "members") for p in (ROOT / app).rglob("*.py"))
SERVICES = ROOT / "admission" / "services" / "transitions.py"  # the single mutation point
DOMAIN_FILES = sorted((ROOT / "admission" / "domain").glob("*.py"))
# Query methods whose keyword arguments write columns.
WRITING_CALLS = {"update", "bulk_update"}


def _is_stage_target(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "stage"
    if isinstance(node, ast.Tuple | ast.List):
        return any(_is_stage_target(element) for element in node.elts)
    if isinstance(node, ast.Starred):
        return _is_stage_target(node.value)
    return False


def _dict_has_stage_key(node: ast.AST) -> bool:
    return isinstance(node, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "stage" for key in node.keys
    )


def stage_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for every write of an attribute or column named `stage` in `source`."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Assign)
            and any(_is_stage_target(t) for t in node.targets)
            or isinstance(node, ast.AugAssign | ast.AnnAssign)
            and _is_stage_target(node.target)
        ):
            found.append((node.lineno, "assignment to .stage"))
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "setattr" and len(node.args) >= 2:
                attribute = node.args[1]
                if isinstance(attribute, ast.Constant) and attribute.value == "stage":
                    found.append((node.lineno, "setattr(…, 'stage', …)"))
            if name in WRITING_CALLS:
                for keyword in node.keywords:
                    if keyword.arg == "stage" or (keyword.arg is None and _dict_has_stage_key(keyword.value)):
                        found.append((node.lineno, f".{name}(stage=…)"))
                    listed = keyword.value.elts if isinstance(keyword.value, ast.List | ast.Tuple) else []
                    if keyword.arg == "fields" and any(
                        isinstance(e, ast.Constant) and e.value == "stage" for e in listed
                    ):
                        found.append((node.lineno, f".{name}(fields=[…'stage'…])"))
    return found


def _functions_writing_stage(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and stage_writes(ast.unparse(node)):
            names.add(node.name)
    return names


def test_it_has_files_to_check() -> None:
    relative = {str(p.relative_to(ROOT)) for p in APP_FILES}
    assert {"admission/services/transitions.py", "admission/views.py", "members/services.py"} <= relative
    assert len(DOMAIN_FILES) >= 5


def test_it_catches_every_kind_of_stage_write_in_a_sample() -> None:
    source = """
candidate.stage = "S2"
a, other.stage = 1, "S3"
row.stage += "A"
setattr(candidate, "stage", "S4")
Candidate.objects.filter(pk=1).update(stage="S5")
Candidate.objects.filter(pk=1).update(**{"stage": "S6"})
Candidate.objects.bulk_update(rows, fields=["stage"])
"""
    assert [line for line, _ in stage_writes(source)] == [2, 3, 4, 5, 6, 7, 8]


def test_it_ignores_reads_filters_and_other_fields_in_a_sample() -> None:
    source = """
current = candidate.stage
Candidate(stage="S0")
Candidate.objects.filter(stage="S1").update(next_due_on=None)
Candidate.objects.exclude(stage__in=["S17"])
if candidate.stage == "S1":
    candidate.stage_entered_on = today
transition = StageTransition(from_stage="S1", to_stage="S2")
"""
    assert stage_writes(source) == []


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_it_writes_the_stage_only_in_the_services_module(path: Path) -> None:
    if path == SERVICES:
        return
    assert stage_writes(path.read_text(encoding="utf-8")) == [], path.relative_to(ROOT)


def test_it_writes_the_stage_only_in_candidate_transition_within_the_services() -> None:
    # A move, and a step taken back (services.corrections.step_undo): both compare-and-swap.
    assert _functions_writing_stage(SERVICES.read_text(encoding="utf-8")) == {
        "candidate_transition",
        "candidate_step_undone",
    }


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_it_keeps_django_out_of_the_domain(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            modules = [str(node.args[0].value)]
        for module in modules:
            assert module.split(".")[0] != "django", (path.name, node.lineno, module)
