"""Who may see which requests, and what a person may do to one of them now."""
