"""One router per resource; each route maps a request onto :mod:`wakesmith.api` (or the job queue,
the deploy module, the records) and a result onto a schema."""
