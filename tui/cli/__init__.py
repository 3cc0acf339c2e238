"""`rnbench`: the headless command line (argparse, commands, plain-text output)."""
