"""Scale-out commands: `exchange worker` runs jobs that `exchange run --engine celery` enqueues."""

from __future__ import annotations

import os
import socket

import click

from exchange.cli.common import AppContext
from exchange.cli.job_cmds import _load
from exchange.errors import ConfigError, ConnectError


@click.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Jobs this worker runs at once (one pool process each).")
@click.option("--queues", "-Q", default="import,export,handoff", show_default=True,
              help="Queues (job kinds) to take jobs from, comma-separated.")
@click.option("--name", "-n", help="Node name (default: exchange-PID@HOST).")
@click.option("--verbose", "-v", is_flag=True, help="Log debug detail.")
@click.pass_obj
def worker(app: AppContext, concurrency: int, queues: str, name: str | None, verbose: bool) -> None:
    """Run jobs from the broker (RabbitMQ, `broker:` in exchange.yaml) until stopped with SIGTERM."""
    from celery.signals import worker_ready

    from exchange.logs import setup_logging
    from exchange.scale.app import QUEUES, make_app
    from exchange.scale.broker import broker_url, reachable, safe_url

    config = _load(app)
    unknown = [q for q in queues.split(",") if q and q not in QUEUES]
    if unknown:
        raise ConfigError(f"unknown queue(s) {', '.join(unknown)} (known: {', '.join(QUEUES)})")
    setup_logging(config.folders.logs, verbose=verbose)
    url = broker_url(config)
    if not reachable(url):
        raise ConnectError(f"the broker {safe_url(url)} does not answer")
    database = app.store().url
    app.close()  # every pool process opens its own connections
    celery = make_app(url, config_path=str(config.path.resolve()), database_url=database)
    node = name or f"exchange-{os.getpid()}@{socket.gethostname()}"

    def ready(**_: object) -> None:
        click.echo(f"worker {node.replace('%h', socket.gethostname())} ready: queues {queues}, "
                   f"concurrency {concurrency}", err=True)

    worker_ready.connect(ready, weak=False)
    celery.worker_main(["worker", f"--concurrency={concurrency}", f"--queues={queues}",
                        f"--hostname={node}", "--pool=prefork", "--without-gossip", "--without-mingle",
                        "--loglevel=DEBUG" if verbose else "--loglevel=INFO"])


def register(group: click.Group) -> None:
    """Attach the scale-out commands."""
    group.add_command(worker)
