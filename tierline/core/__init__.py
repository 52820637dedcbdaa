"""Shared, framework-light building blocks: domain errors, actors, canonical JSON."""
