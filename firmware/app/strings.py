# The words of the flows: the table lookup is the UI's (ui/strings.py, below both ui/entry.py
# and the flows, so no import points up), re-exported here; what a host response code
# means to the operator is the app's own.
from ui.strings import language, set_language, t  # noqa: F401  (the flows' t)


def rc_text(code):
    """The explanation of a response code; unknown codes say declined + the code."""
    try:
        return t("rc_" + code)
    except KeyError:
        return t("rc_unknown") % code
