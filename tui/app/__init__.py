"""`rnbench-tui`: the Textual explorer (app, screens, widgets, thread workers, messages)."""
