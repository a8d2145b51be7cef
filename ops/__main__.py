"""Command line: python -m ops <command>. Run with --help for the list."""

from ops.cli import main

raise SystemExit(main())
