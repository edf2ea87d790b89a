"""Helpers shared by several test packages (imported, not collected)."""
