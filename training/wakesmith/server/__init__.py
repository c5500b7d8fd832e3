"""The trainer studio's backend: FastAPI routers per resource over :mod:`wakesmith.api` and the job
queue (:mod:`wakesmith.jobs`). Start it with ``wakesmith serve``; build it with :func:`create_app`."""
