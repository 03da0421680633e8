"""One module per chapter: its profiles, its runs and its evaluation, so that the
notebook only sets parameters, calls these functions and shows what they return."""
