"""What every part stands on: the engine and migrations, settings, the clock, errors, checks on typed input, safe CSV cells."""
