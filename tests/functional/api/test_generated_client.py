"""An integrator's path, end to end: generate a Python client from the schema the live server
serves, install it, and use it.

1. `openapi-python-client generate --url …/api/v1/openapi.json --fail-on-warning`, with no
   configuration file and no overrides: the project and package names come from the schema's
   title and must be ASCII, and so must every file name and identifier of the generated code.
2. `pip install --no-index --no-build-isolation` of the generated project into a new temporary
   virtualenv: nothing is downloaded. The generated pyproject builds with poetry-core; it, httpx
   and attrs come from requirements-dev.txt, and the temporary virtualenv sees the project's
   .venv through a .pth file.
3. `client_scenario.py` with that virtualenv's Python, against the live test server: token auth
   with the client's default `Bearer` prefix (and `Token`), a list with a boolean filter, one
   candidate, a step recorded, and the errors parsed into the error model (400, 401, 403, 404,
   429).

The clock is frozen on Mon 20/10/2025 in this process (the live server's thread); branch A has
a candidate at S0 and one at S10 whose committee decision is overdue, branch B one at S0.
"""

import ast
import datetime as dt
import json
import os
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.throttling import SimpleRateThrottle

from admission import services
from admission.devdata.demo import at, walk_to
from admission.models import Candidate, StageTransition
from members import api_tokens
from members.models import Organisation, PartyMember, User
from tests.conftest import Tree
from tests.factories import PersonFactory

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.date(2025, 1, 6)
NOW = dt.datetime(2025, 10, 20, 10, 0, tzinfo=TZ)
PROJECT = "party-admission-tracker-api-client"
PACKAGE = "party_admission_tracker_api_client"
USER_RATE = 30  # requests per minute and user while this test runs
SCENARIO = Path(__file__).with_name("client_scenario.py")
BIN = Path(sys.executable).parent  # the project's .venv/bin: openapi-python-client, ruff (its post-hooks)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _follow(user: User, organisation: Organisation, name: str, stage: str, **kwargs: Any) -> Candidate:
    person = PersonFactory(organisation=organisation, full_name=name)
    candidate = services.candidate_create(acting_user=user, person=person, now=at(START))
    return walk_to(candidate, stage, user=user, introducers=kwargs.get("introducers", []), start=START)


def _run(command: list[str | Path], *, cwd: Path, timeout: int) -> str:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PIP_NO_INDEX": "1"}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _non_ascii_names(project: Path) -> list[str]:
    """File names and identifiers (classes, functions, arguments, variables, attributes, imports)
    that are not ASCII; strings and docstrings may be Vietnamese."""
    found = [
        str(path.relative_to(project)) for path in project.rglob("*") if not str(path.relative_to(project)).isascii()
    ]
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str | None] = []
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                names = [node.name]
            elif isinstance(node, ast.arg):
                names = [node.arg]
            elif isinstance(node, ast.Name):
                names = [node.id]
            elif isinstance(node, ast.Attribute):
                names = [node.attr]
            elif isinstance(node, ast.alias):
                names = [node.name, node.asname]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name and not name.isascii()]
    return found


def _generate(schema_url: str, workdir: Path) -> Path:
    """The client as an integrator generates it: default options, no configuration file."""
    # The first request of a process builds the document (imports, URL resolver): done here so
    # that the generator's 5-second download timeout is not spent on it on a busy machine.
    with urllib.request.urlopen(schema_url, timeout=120) as response:  # noqa: S310 - the live test server
        assert response.status == 200
    _run(
        [BIN / "openapi-python-client", "generate", "--url", schema_url, "--fail-on-warning"], cwd=workdir, timeout=180
    )
    generated = [path.name for path in workdir.iterdir()]
    assert generated == [PROJECT], generated
    return workdir / PROJECT


def _install(project: Path, workdir: Path) -> Path:
    """A new virtualenv with the generated package installed from its files, offline; its Python."""
    venv = workdir / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=workdir, timeout=120)
    python = venv / "bin" / "python"
    target = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=workdir,
                       timeout=60).strip())  # fmt: skip
    # The project's packages (poetry-core to build, httpx and attrs to run), nothing downloaded.
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (target / "project-venv.pth").write_text("\n".join(paths) + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-build-isolation",
          "--disable-pip-version-check", "--quiet", project], cwd=workdir, timeout=300)  # fmt: skip
    return python


@pytest.mark.usefixtures("frozen")
def test_a_generated_python_client_installs_and_works(
    live_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tree: Tree,
    alice: User,
    bob: User,
    eve: User,
    introducers: list[PartyMember],
) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": f"{USER_RATE}/minute", "anon": "100/minute"})
    a0 = _follow(alice, tree.branch_a, "Đặng Thị Ứng Viên", "S0")
    a10 = _follow(alice, tree.branch_a, "Hoàng Văn Quyết", "S10", introducers=introducers)
    b0 = _follow(bob, tree.branch_b, "Trịnh Văn Bê", "S0")

    project = _generate(f"{live_server.url}/api/v1/openapi.json", tmp_path)
    assert _non_ascii_names(project) == []
    python = _install(project, tmp_path)
    arguments = {
        "base_url": live_server.url,
        "secretary_token": api_tokens.token_rotate(acting_user=alice).key,
        "auditor_token": api_tokens.token_rotate(acting_user=eve).key,
        "candidate": a0.pk,
        "outsider": b0.pk,
        "max_requests": USER_RATE + 5,
    }
    seen = json.loads(_run([python, SCENARIO, json.dumps(arguments)], cwd=tmp_path, timeout=300))

    assert (seen["overdue"], seen["not_overdue"], seen["stage_s0"]) == ([a10.pk], [a0.pk], [a0.pk])
    assert seen["detail"] == {"id": a0.pk, "stage": "S0", "transitions": 0}
    assert seen["step"] == {"status": 200, "moved": True, "stage": "S1", "to_stage": "S1"}
    transition = StageTransition.objects.filter(candidate=a0).latest("pk")
    assert (transition.to_stage, transition.on_date, transition.acting_user) == ("S1", dt.date(2025, 2, 5), alice)

    refused = seen["refused"]
    assert (refused["status"], "date_in_future" in refused["codes"]) == (400, True), refused
    assert Candidate.objects.get(pk=a0.pk).stage == "S1"  # nothing half-written
    assert (seen["outside_scope"]["status"], seen["outside_scope"]["codes"]) == (404, ["not_found"])
    assert seen["outside_scope"]["message"] == "Không tìm thấy."  # Alice's account language: Vietnamese
    assert (seen["page_past_the_end"]["status"], seen["page_past_the_end"]["message"]) == (404, "Không có trang này.")
    assert (seen["read_only"]["status"], seen["read_only"]["codes"]) == (403, ["permission_denied"])
    assert seen["token_prefix"] == 200
    assert (seen["bad_token"]["status"], seen["bad_token"]["codes"]) == (401, ["authentication_failed"])

    statuses = seen["statuses_until_throttled"]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    throttled = seen["throttled"]
    assert throttled["codes"] == ["throttled"]
    assert int(throttled["retry_after"]) == throttled["params"]["retry_after"] > 0
    assert "giây" in throttled["message"]
