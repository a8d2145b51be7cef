"""NHS England also calls derogations "patient safety mitigations": "Find a request" and the requests list
accept either word (and "request", "PSM", "#") around a number, and search the words that remain."""

import pytest

from core import queries
from core.enums import Role
from tests.core.conftest import file_request


@pytest.mark.parametrize(
    "typed",
    ["42", " #42 ", "derogation 42", "Derogation request 42", "patient safety mitigation 42", "PSM-42", "PSM 42",
     "Patient-safety mitigation request no. 42"],
)  # fmt: skip
def test_either_name_finds_a_request_number(typed):
    assert queries.request_number(typed) == 42


@pytest.mark.parametrize("typed", ["", "derogation", "patient safety mitigations", "0", "-3", "abc", None, True])
def test_no_number_no_request(typed):
    assert queries.request_number(typed) is None


def test_the_requests_list_searches_numbers_and_words_whichever_name_is_used(team, period):
    first = file_request(team, period, service="Obstetrics")
    second = file_request(team, period, service="Emergency department")
    national = team[Role.NATIONAL_MDT]

    def found(text):
        rows, _ = queries.period_requests(national, period.id, queries.ListFilters(search=text))
        return sorted(row.request.id for row in rows)

    assert found(f"patient safety mitigation {first.id}") == [first.id]
    assert found(f"derogation {second.id}") == [second.id]
    assert found("obstetrics") == found("derogation obstetrics") == found("patient safety mitigation OBSTETRICS")
    assert found("obstetrics") == [first.id]
    assert found("patient safety mitigations") == found("") == sorted([first.id, second.id])
    assert found("Manchester University") == sorted([first.id, second.id])  # the trust's name
    assert found("100%_") == []  # LIKE's wildcards are searched for as typed
