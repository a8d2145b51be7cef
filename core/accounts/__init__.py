"""Accounts and sessions: who someone is, how they sign in, how long a browser stays signed in, and what administrators change."""
