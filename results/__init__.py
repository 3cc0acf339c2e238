"""Values and storage of results: run records, the results database, prices, costs, the
study's published table and their analysis. Imports nothing of `rnbench.core`: the engine
passes paths in and maps `results.errors` to its own."""
