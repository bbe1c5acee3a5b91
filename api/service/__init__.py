"""The service layer under both faces, the JSON API and the console: keyword-only functions per resource that take
the principal and a typed request, ask `domain.policy`, and return typed models."""
