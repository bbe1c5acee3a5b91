"""Pure domain types shared by the API, activities and workflows (no I/O; safe to pass through the sandbox)."""
