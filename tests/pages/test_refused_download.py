"""A refused download says why on the page (ui/session.py guarded_download, refused_download). Streamlit runs a
download's data on a worker thread when it is clicked; AppTest has no such thread, so the test calls the data
itself, as that thread would, and then runs the page as the rerun the refusal asks for would. The rerun itself
and the sign-in page an ended session leads to: tests/browser/test_sessions.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.accounts import sessions
from core.enums import Role
from core.models import User
from tests.conftest import TEST_COOKIE_KEY
from tests.pages.conftest import TIMEOUT, errors, sign_in_as
from ui.session import DownloadRefused


def page_with_a_download() -> None:
    import os

    import streamlit as st

    from core.platform.errors import PermissionDenied
    from ui.session import guarded_download, refused_download

    def produce(actor) -> str:  # noqa: ANN001 (AppTest runs this source without its module's imports)
        if os.environ.get("TEST_OUT_OF_SCOPE"):  # read on the click's thread, which has no session state
            raise PermissionDenied("You can no longer see this trust's requests.")
        return f"made for {actor.email}"

    st.session_state["data"] = guarded_download(produce, key="the_csv")
    st.download_button("Download (CSV)", data="", key="the_csv", on_click="ignore")
    refused_download("the_csv")


@pytest.fixture
def at(people: dict[Role, User]) -> AppTest:
    page = AppTest.from_function(page_with_a_download, default_timeout=TIMEOUT)
    sign_in_as(page, people[Role.NATIONAL_MDT])
    return page.run()


def test_a_download_for_a_person_still_signed_in_is_made_for_them_and_says_nothing(at, people) -> None:
    assert at.session_state["data"]() == f"made for {people[Role.NATIONAL_MDT].email}"
    assert errors(at.run()) == []


def test_a_refusal_that_keeps_the_person_signed_in_is_said_under_the_button_once(at, monkeypatch) -> None:
    monkeypatch.setenv("TEST_OUT_OF_SCOPE", "1")
    with pytest.raises(DownloadRefused, match="no longer see"):
        at.session_state["data"]()  # the click, on Streamlit's worker thread
    assert errors(at.run()) == ["Nothing was downloaded. You can no longer see this trust's requests."]
    assert errors(at.run()) == []  # said once: the next run is the page as it was


def test_a_download_after_the_session_ended_gives_nothing_and_leaves_the_reason_to_the_sign_in_page(at) -> None:
    sessions.sign_out(at.session_state[TEST_COOKIE_KEY])  # signed out in another tab
    with pytest.raises(DownloadRefused):
        at.session_state["data"]()
    assert errors(at.run()) == []  # not under the button: the app's shell shows the sign-in page and why
