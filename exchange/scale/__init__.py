"""Scale-out on Celery with RabbitMQ: the scheduler enqueues due jobs, workers run them (docs/scale-out.md).

``broker.py`` the broker URL with its secret; ``app.py`` the Celery app (queues per job kind, acks_late,
fair prefetch, time limits); ``tasks.py`` the job task (the store's lease and history stay the
authority, the broker only carries work); ``dispatch.py`` what `exchange run --engine celery` sends.
"""
