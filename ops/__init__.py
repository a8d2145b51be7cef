"""Operations around the domain: the command line (`python -m ops`), the demo data, backups and the
mail worker's loop. core/ holds the rules; nothing in core/ imports from here."""
