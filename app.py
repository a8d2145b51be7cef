"""Derogations: the Streamlit app. Which pages exist and where each role lands; everything a run does
(upkeep, sign-in, navigation, header, the page) is in ui/shell.py, so that this script, which
Streamlit executes afresh on every rerun, stays short. Access is decided in core/access_control/visibility.py and asked
again by each page."""

from core.enums import Role
from ui import shell

# (page key in core.access_control.visibility.PAGE_ROLES, file, title, icon, url path), in navigation order. No url path
# equals a file name in pages/: Streamlit would otherwise run that file on its own, without this script
# (its sign-in, idle and account checks and the header), on a process's first run and in AppTest.
PAGES = (
    ("file_request", "pages/file_request.py", "File a request", ":material/edit_note:", "file"),
    ("my_requests", "pages/my_requests.py", "My trust's requests", ":material/list_alt:", "my-requests"),
    ("review_queue", "pages/review_queue.py", "Review queue", ":material/fact_check:", "queue"),
    ("dashboard", "pages/dashboard.py", "Live dashboard", ":material/monitoring:", "live-dashboard"),
    ("requests_list", "pages/requests_list.py", "Requests list", ":material/table_view:", "requests-list"),
    ("report", "pages/report.py", "Post-strike report", ":material/summarize:", "post-strike-report"),
    ("request_detail", "pages/request_detail.py", "Find a request", ":material/search:", "request"),
    ("cover_register", "pages/cover_register.py", "Cover register", ":material/groups:", "cover"),
    ("inbox", "pages/inbox.py", "Inbox", ":material/notifications:", "notifications"),
    ("admin", "pages/admin.py", "Administration", ":material/settings:", "administration"),
    ("wall_displays", "pages/wall_displays.py", "Wall displays", ":material/tv:", "wall-displays"),
)
# The page each role lands on after signing in.
HOME = {
    Role.REQUESTER: "my_requests",
    Role.CLINICAL_DIRECTOR: "review_queue",
    Role.TRUST_MD: "review_queue",
    Role.REGIONAL_MD: "review_queue",
    Role.NATIONAL_MDT: "review_queue",
    Role.BMA: "review_queue",
    Role.ADMIN: "admin",
}

shell.run(PAGES, HOME)
