"""An integrator's first script, run by test_generated_client.py in the temporary virtualenv where
the client generated from /api/v1/openapi.json is installed (not collected by pytest).

It uses the generated package as its README shows, with no options: `AuthenticatedClient` with
its default `Bearer` prefix, the typed `sync`/`sync_detailed` functions and models. It prints one
JSON object of what it saw; the test makes the assertions. Arguments: a JSON object with the base
URL, the tokens and the candidate ids.
"""

import datetime as dt
import json
import sys

from party_admission_tracker_api_client import AuthenticatedClient
from party_admission_tracker_api_client.api.candidates import (
    candidates_list,
    candidates_retrieve,
    candidates_steps_create,
)
from party_admission_tracker_api_client.api.statistics import statistics_retrieve
from party_admission_tracker_api_client.models import (
    CandidateDetail,
    CandidatesStepsCreateStepKey,
    Error,
    PaginatedCandidateList,
    StageEnum,
    StepRequest,
    StepResult,
)


def error(response: object) -> dict:
    """The parsed error model of a response: status, codes, first message and params."""
    parsed = response.parsed  # type: ignore[attr-defined]
    assert isinstance(parsed, Error), f"{response.status_code}: {response.content!r}"  # type: ignore[attr-defined]
    first = parsed.errors[0]
    return {
        "status": int(response.status_code),  # type: ignore[attr-defined]
        "codes": [item.code for item in parsed.errors],
        "message": first.message,
        "params": first.params.to_dict(),
        "retry_after": response.headers.get("Retry-After"),  # type: ignore[attr-defined]
    }


def ids(page: object) -> list[int]:
    assert isinstance(page, PaginatedCandidateList), page
    return sorted(candidate.id for candidate in page.results)


def main(arguments: dict) -> dict:
    base_url = arguments["base_url"]
    seen: dict = {}
    with AuthenticatedClient(base_url=base_url, token=arguments["secretary_token"]) as client:
        # A list with a boolean filter (sent as true/false), and the same with an enum filter.
        seen["overdue"] = ids(candidates_list.sync(client=client, overdue=True))
        seen["not_overdue"] = ids(candidates_list.sync(client=client, overdue=False))
        seen["stage_s0"] = ids(candidates_list.sync(client=client, stage=StageEnum.S0))
        seen["page_past_the_end"] = error(candidates_list.sync_detailed(client=client, page=99))

        # One candidate, typed.
        detail = candidates_retrieve.sync(client=client, id=arguments["candidate"])
        assert isinstance(detail, CandidateDetail), detail
        seen["detail"] = {"id": detail.id, "stage": detail.stage.value, "transitions": len(detail.transitions)}

        # Record a step.
        step = candidates_steps_create.sync_detailed(
            client=client,
            id=arguments["candidate"],
            step_key=CandidatesStepsCreateStepKey.ADD_TO_LIST,
            body=StepRequest(on_date=dt.date(2025, 2, 5), basis="NQ 02"),
        )
        result = step.parsed
        assert isinstance(result, StepResult), f"{step.status_code}: {step.content!r}"
        seen["step"] = {
            "status": int(step.status_code),
            "moved": result.moved,
            "stage": result.candidate.stage.value,
            "to_stage": result.transition.to_stage.value if result.transition else None,
        }

        # Errors, each parsed into the error model.
        seen["refused"] = error(
            candidates_steps_create.sync_detailed(
                client=client,
                id=arguments["candidate"],
                step_key=CandidatesStepsCreateStepKey.PROPOSE_CLASS,
                body=StepRequest(on_date=dt.date(2030, 1, 1)),
            )
        )
        seen["outside_scope"] = error(candidates_retrieve.sync_detailed(client=client, id=arguments["outsider"]))

    with AuthenticatedClient(base_url=base_url, token=arguments["auditor_token"]) as auditor:
        seen["read_only"] = error(
            candidates_steps_create.sync_detailed(
                client=auditor,
                id=arguments["candidate"],
                step_key=CandidatesStepsCreateStepKey.PROPOSE_CLASS,
                body=StepRequest(on_date=dt.date(2025, 3, 1)),
            )
        )

    # DRF's own prefix works as well; a wrong token is a parsed 401.
    with AuthenticatedClient(base_url=base_url, token=arguments["secretary_token"], prefix="Token") as token_client:
        seen["token_prefix"] = int(statistics_retrieve.sync_detailed(client=token_client).status_code)
    with AuthenticatedClient(base_url=base_url, token="0" * 40) as stranger:
        seen["bad_token"] = error(statistics_retrieve.sync_detailed(client=stranger))

    # Past the rate limit: 429, parsed, with Retry-After.
    with AuthenticatedClient(base_url=base_url, token=arguments["secretary_token"]) as client:
        statuses = []
        for _ in range(arguments["max_requests"]):
            response = statistics_retrieve.sync_detailed(client=client)
            statuses.append(int(response.status_code))
            if response.status_code == 429:
                seen["throttled"] = error(response)
                break
        seen["statuses_until_throttled"] = statuses
    return seen


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
