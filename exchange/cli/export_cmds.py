"""Export commands: render a profile's feed (price list, stock) from the store, or list the feeds offered."""

from __future__ import annotations

from pathlib import Path

import click

from exchange.cli.common import EXIT_DOCUMENT, AppContext, echo_json, echo_table


@click.command("export")
@click.argument("feed", required=False, default="pricelist")
@click.option("--profile", "-p", "profile_name", metavar="PROFILE",
              help="Bundled profile name or a profile YAML file.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Feed file to write (replaced atomically).")
@click.option("--price-list", help="Price list to export (default: the feed's, usually retail).")
@click.option("--vat/--no-vat", "vat_included", default=None,
              help="Prices with or without VAT (default: as the feed says).")
@click.option("--warehouse", "warehouses", multiple=True, metavar="CODE",
              help="Count stock only in this warehouse; repeat for several (default: all).")
@click.option("--label", help="Only products carrying this label (or whose parent carries it).")
@click.option("--full", is_flag=True, help="Everything, even when the feed is differential.")
@click.option("--force", is_flag=True, help="Publish even when the feed gate would hold the feed.")
@click.option("--list", "list_feeds", is_flag=True, help="List the feeds each profile offers.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def export(app: AppContext, feed: str, profile_name: str | None, output: Path | None,
           price_list: str | None, vat_included: bool | None, warehouses: tuple[str, ...],
           label: str | None, full: bool, force: bool, list_feeds: bool, as_json: bool) -> None:
    """Write FEED (default: pricelist) of a profile, e.g. `exchange export --profile shoptet -o feed.xml`.

    A full feed whose item count drops more than the feed allows against the last published one is
    kept aside as FILE.held with a report (exit code 4) unless --force.
    """
    from exchange.profiles import list_profiles, load_profile

    if list_feeds:
        profiles = [load_profile(profile_name)] if profile_name else list_profiles()
        rows = [{"profile": p.name, "feed": spec.name, "template": spec.template,
                 "price_list": spec.price_list, "vat": "with" if spec.vat_included else "without",
                 "differential": bool((spec.options or {}).get("differential", False)),
                 "description": spec.description}
                for p in profiles for spec in p.exports.values()]
        if as_json:
            echo_json(rows)
        else:
            echo_table(rows, [("profile", "PROFILE"), ("feed", "FEED"), ("price_list", "PRICES"),
                              ("vat", "VAT"), ("description", "DESCRIPTION")],
                       empty="no profile offers a feed")
        return
    if not profile_name:
        raise click.UsageError("--profile is required (see `exchange export --list`)")
    if output is None:
        raise click.UsageError("--output/-o is required")
    from exchange.exporters.engine import export_feed

    result = export_feed(app.store(), load_profile(profile_name), feed, output,
                         price_list=price_list, vat_included=vat_included,
                         warehouses=warehouses or None, label=label, full=full, force=force)
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(result.summary())
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
    if not result.published:
        if not as_json:
            click.echo(f"report: {result.held_report}", err=True)
        raise click.exceptions.Exit(EXIT_DOCUMENT)


def register(cli: click.Group) -> None:
    """Add the export command to the CLI."""
    cli.add_command(export)
