"""Process wiring: Temporal connection, logging, adapters chosen by settings, and the embedded-stack launcher."""
