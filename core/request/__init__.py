"""The request and what hangs on it: the form, time against response targets, running counts, advice from past declines, the cover register."""
