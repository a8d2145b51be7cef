"""The wall screen (/wall): the live dashboard of one scope for a display session, or the one-time code
that makes this browser one (ui/wall.py, core/accounts/display_sessions.py)."""

from __future__ import annotations

from ui import wall

if wall.live_display() is None:
    wall.code_screen()
else:
    wall.live_wall()
