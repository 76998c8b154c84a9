"""The API keeps the promises of its OpenAPI document under generated input (schemathesis):
every answer has a documented status, content type and shape; nothing answers 500. Bounded:
a fixed number of examples per operation, derandomised, so a run costs the same every time."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.invitation_support import published_invitation

EXAMPLES = 40


def test_api_keeps_its_openapi_promises(app, demo):
    demo.load_demo()
    published_invitation()  # an appointment for the appointment operations to find
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate()

        check()
        checked.append(operation.label)
    assert len(checked) == 7, checked  # every operation of the document was exercised
