"""Factories and helpers that build a test's world: one module per area, as in the application."""
