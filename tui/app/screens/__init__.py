"""Screens and modals of the TUI, one per module."""
