"""The app's own inline scripts, each a constant text: the Content-Security-Policy (server/headers.py) allows
exactly these by their hashes, so no other inline script (nor one of these changed by what is drawn) can run.
Whatever varies (a field's key, a nonce) travels in a data attribute of our markup, never in the script.
No Streamlit here: the server imports this module to hash them."""

from __future__ import annotations

# The GOV.UK error summary (ui/error_summary.py): into view and focused once per refused attempt (the box's
# data-nonce), and each entry's link moves focus to its field.
ERROR_SUMMARY = """(function () {
  const box = document.getElementById("derog-error-summary");
  if (!box) { return; }
  const focusField = function (key) {
    const holder = document.querySelector(".st-key-" + key);
    if (!holder) { return false; }
    const target = holder.querySelector(
      "input:not([type=hidden]), textarea, [role=spinbutton], [role=combobox], [tabindex]:not([tabindex='-1'])"
    ) || holder;
    holder.scrollIntoView({block: "center"});
    target.focus({preventScroll: true});
    return true;
  };
  box.querySelectorAll("a[data-field]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (focusField(link.dataset.field)) { event.preventDefault(); }
    });
  });
  if (window.derogErrorSummaryShown !== box.dataset.nonce) {
    window.derogErrorSummaryShown = box.dataset.nonce;
    box.scrollIntoView({block: "start"});
    box.focus({preventScroll: true});
  }
})();
"""

# The phone menu's accessible name (ui/shell.py): Streamlit redraws the icon-only button, so a watcher keeps it.
MENU_LABEL = """(function () {
  if (window.derogMenuLabel) { return; }
  window.derogMenuLabel = true;
  const name = function () {
    document.querySelectorAll('[data-testid="stExpandSidebarButton"]').forEach(function (button) {
      if (button.getAttribute("aria-label") !== "Menu") { button.setAttribute("aria-label", "Menu"); }
    });
  };
  name();
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
})();
"""

# Brings what just happened into view (ui/into_view.py), from a one-pixel frame; the element's key is in the
# frame's data-key.
INTO_VIEW = """let tries = 0;
const key = document.getElementById("derog-into-view").dataset.key;
function bring() {
  const target = window.parent.document.querySelector(".st-key-" + key);
  if (target) { target.scrollIntoView({block: "center"}); return; }
  if (tries++ < 40) { window.requestAnimationFrame(bring); }
}
bring();
"""

ALL = (ERROR_SUMMARY, MENU_LABEL, INTO_VIEW)


def tag(body: str) -> str:
    """`body` as a script element, exactly as hashed: nothing added inside the tags."""
    if body not in ALL:
        raise ValueError("only the scripts of ui/scripts.py may run")
    return f"<script>{body}</script>"
