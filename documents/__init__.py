"""Clearance documents: the notices a clearance ends with (release, referral, not released, invalidation),
rendered as standalone HTML from Jinja2 templates and the clearance's view, modelled on the EU AES messages
(IE529 release for export, IE551 no release, IE509/IE505 invalidation)."""
