"""Tierline: escalation management for BPO support desks."""

__version__ = "0.1.0"
