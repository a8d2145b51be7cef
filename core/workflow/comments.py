"""Everyone who can see a request may comment on it; a comment changes no state but is audited."""

from __future__ import annotations

from datetime import datetime

from core import audit
from core.access import load_visible
from core.clock import utcnow
from core.db import write_session
from core.enums import Action
from core.inputs import whole
from core.models import Comment, User
from core.workflow.command import active_actor, written


def add_comment(actor: User, request_id: int, body: str, now: datetime | None = None) -> Comment:
    request_id = whole(request_id, "request id")
    now = now or utcnow()
    body = written(body, "comment")
    with write_session() as session:  # no version: a comment does not change the request
        actor = active_actor(session, actor)
        request = load_visible(session, actor, request_id)
        comment = Comment(request_id=request.id, author_id=actor.id, at=now, body=body)
        session.add(comment)
        session.flush()
        audit.append(
            session,
            action=Action.COMMENT,
            actor=actor,
            request_id=request.id,
            from_status=request.status,
            to_status=request.status,
            rationale=body,
            details={"comment_id": comment.id},
            at=now,
        )
        return comment
