"""Command line: python -m core <command>. Run with --help for the list."""

from core.cli import main

raise SystemExit(main())
