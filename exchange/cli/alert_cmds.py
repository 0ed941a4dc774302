"""`exchange alerts check`: one alert sweep (the daemon does it every minute; cron can too)."""

from __future__ import annotations

from pathlib import Path

import click

from exchange.cli.common import AppContext


@click.group()
def alerts() -> None:
    """Alerts by e-mail and webhook (the alerts: section of exchange.yaml)."""


@alerts.command("check")
@click.pass_obj
def alerts_check(app: AppContext) -> None:
    """Send the alerts that are due now, throttled per cause; each is recorded in the history."""
    from exchange.alerts.settings import alerts_of
    from exchange.alerts.watch import sweep
    from exchange.config import load_config
    from exchange.errors import ConfigError

    path = Path(app.config_path)
    if not path.is_file():
        raise ConfigError(f"{path} not found: alerts are configured in exchange.yaml")
    config = load_config(path)
    settings = alerts_of(path, config.folders.quarantine)
    if not settings.enabled:
        raise ConfigError(f"{path} has no alerts: section with an email or webhook target")
    sent = sweep(app.store(), settings)
    for alert in sent:
        click.echo(f"{alert.cause.value}: {alert.subject}")
    if not sent:
        click.echo("nothing to alert about")


def register(cli: click.Group) -> None:
    """Add the alert commands to the CLI."""
    cli.add_command(alerts)
