"""The relational store: reference data, the SOP catalogue, principals, read models and the audit trail.

Temporal holds process state; everything here is written idempotently (by activities for clearance facts,
by the API for reference data), so a retried write never doubles a fact.
"""
