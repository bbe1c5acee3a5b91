"""Activities: the only code that touches the store, the agency adapters and the document templates on behalf
of a clearance. Every one is idempotent, because Temporal may run it more than once."""
