"""The record: the hash-chained audit history, its proof against the live state, retention, and NHS numbers kept out of free text."""
