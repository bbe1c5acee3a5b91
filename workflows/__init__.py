"""Deterministic workflow code: the SOP interpreter (`clearance`), the joint inspection (`inspection`) and the
human-task book both use. No I/O here: activities do it."""
