"""Shared test support: factories, a world of tenants/teams/users, service requirements."""
