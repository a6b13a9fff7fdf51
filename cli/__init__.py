"""newsclean's command line: parses options, wires the corpus stages, shows progress."""
