"""Everyone who can see a request may comment on it; a comment changes no state but is audited."""

from __future__ import annotations

from datetime import datetime

from core.access_control.permissions import Deed
from core.enums import Action
from core.models import Comment, User
from core.records import audit
from core.workflow.command import acting_on, written


def add_comment(actor: User, request_id: int, body: str, now: datetime | None = None) -> Comment:
    body = written(body, "comment")
    with acting_on(actor, request_id, None, Deed.COMMENT, now) as act:
        comment = Comment(request_id=act.request.id, author_id=act.actor.id, at=act.now, body=body)
        act.session.add(comment)
        act.session.flush()
        audit.append(
            act.session,
            action=Action.COMMENT,
            actor=act.actor,
            request_id=act.request.id,
            from_status=act.request.status,
            to_status=act.request.status,
            rationale=body,
            details={"comment_id": comment.id},
            at=act.now,
        )
        return comment
