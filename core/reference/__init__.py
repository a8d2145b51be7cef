"""Reference data: NHS England regions and trusts, and the strike periods."""
