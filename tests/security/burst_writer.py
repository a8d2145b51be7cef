"""A stand-in for the app under load, run as its own process by test_faults.py and killed mid-burst.

    DATABASE_URL=sqlite:///... python -m tests.security.burst_writer PERIOD_ID REQUESTER_ID CD_ID TMD_ID

Writes requests up the route as fast as it can and prints one line per committed action, flushed
only after the call returned (so after COMMIT): "R <request id> <version>" or "C <comment id> <request id>".
"""

from __future__ import annotations

import sys

from core import workflow
from core.enums import Action
from core.models import StrikePeriod, User
from core.platform.db import read_session
from tests.conftest import valid_form


def main(period_id: int, requester_id: int, cd_id: int, tmd_id: int) -> None:
    with read_session() as session:
        requester, cd, tmd = (session.get(User, i) for i in (requester_id, cd_id, tmd_id))
        period = session.get(StrikePeriod, period_id)

    def committed(request) -> None:
        print(f"R {request.id} {request.version}", flush=True)

    while True:
        request = workflow.save_draft(requester, valid_form(period))
        committed(request)
        request = workflow.submit(requester, request.id, request.version)
        committed(request)
        request = workflow.review(cd, request.id, request.version, Action.ESCALATE, "Escalating under load.")
        committed(request)
        comment = workflow.add_comment(tmd, request.id, "Seen; reviewing now.")
        print(f"C {comment.id} {request.id}", flush=True)
        request = workflow.review(tmd, request.id, request.version, Action.RESOLVE_LOCALLY, "Mutual aid found.")
        committed(request)


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:5]))
