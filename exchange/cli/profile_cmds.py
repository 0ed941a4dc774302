"""Profile commands: list, show, copy and check platform profiles."""

from __future__ import annotations

from pathlib import Path

import click

from exchange.cli.common import echo_json, echo_table


@click.group()
def profiles() -> None:
    """Platform profiles: where each field sits in a shop's XML."""


@profiles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def profiles_list(as_json: bool) -> None:
    """List the bundled profiles and the document kinds each can read."""
    from exchange.profiles import list_profiles

    rows = [{"name": p.name, "kinds": ", ".join(k.value for k in p.kinds),
             "exports": ", ".join(p.exports), "description": p.description, "path": str(p.path)}
            for p in list_profiles()]
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, [("name", "NAME"), ("kinds", "READS"), ("exports", "EXPORTS"),
                          ("description", "DESCRIPTION")], empty="no bundled profiles")


@profiles.command("show")
@click.argument("profile")
def profiles_show(profile: str) -> None:
    """Print a profile's YAML (a bundled name or a file path), after validating it."""
    from exchange.profiles import profile_text

    click.echo(profile_text(profile), nl=False)


@profiles.command("copy")
@click.argument("profile")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def profiles_copy(profile: str, target: Path, force: bool) -> None:
    """Copy a profile to TARGET to adapt it to your shop (then: exchange profiles check)."""
    from exchange.profiles import copy_profile

    written = copy_profile(profile, target, overwrite=force)
    click.echo(f"wrote {written} (profile {written.stem}); adapt it and run "
               f"'exchange profiles check {written} SAMPLE.xml'")


@profiles.command("check")
@click.argument("profile")
@click.argument("sample", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "kind", type=click.Choice(["orders", "invoices", "products", "stock"]),
              help="Check only this document kind (default: every kind found in the file).")
@click.option("--max-records", type=click.IntRange(min=1), help="Read at most this many records.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True,
              help="Exit with 1 when a record fails, a value would be held for review, or "
                   "nothing was found.")
def profiles_check(profile: str, sample: Path, kind: str | None, max_records: int | None,
                   as_json: bool, strict: bool) -> None:
    """Check PROFILE against SAMPLE.xml: paths found, always empty, unread elements, unmapped values."""
    from exchange.profiles import load_profile
    from exchange.profiles.check import check_profile

    report = check_profile(load_profile(profile), sample, kind, max_records=max_records)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.lines():
            click.echo(line)
    if strict and report.has_problems:
        raise click.exceptions.Exit(1)


def register(cli: click.Group) -> None:
    """Add the profile commands to the CLI."""
    cli.add_command(profiles)
