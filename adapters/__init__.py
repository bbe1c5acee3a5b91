"""Agency systems behind typed interfaces. Each has an embedded reference implementation (default, offline,
backed by the bundled reference data in the store) and an HTTP one (base URL, bearer token, timeout).

Adapters never loop or retry: Temporal retries the activity. Domain refusals are results, not exceptions;
transport failures raise, so the activity is retried."""
