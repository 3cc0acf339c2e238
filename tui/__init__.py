"""The two front ends on the one engine: `cli/` (`rnbench`) and `app/` (`rnbench-tui`).

They share only `fmt` (how numbers read) and never import each other.
"""
