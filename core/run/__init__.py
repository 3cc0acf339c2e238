"""Test runs: their options, the stored run with its windows and record, sweeps, cold starts."""
