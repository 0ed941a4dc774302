"""Profile commands: list, show, copy, check platform profiles, and draft a new one from a sample."""

from __future__ import annotations

from pathlib import Path

import click

from exchange.cli.common import AppContext, echo_json, echo_table


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
@click.pass_obj
def profiles_show(app: AppContext, profile: str) -> None:
    """Print a profile's YAML (a bundled name or a file path), after validating it.

    The decisions remembered in the review queue for this profile follow, as YAML comments.
    """
    from exchange.profiles import load_profile, profile_text

    click.echo(profile_text(profile), nl=False)
    from exchange.review.export import decisions_comment

    click.echo(decisions_comment(app, load_profile(profile).name), nl=False)


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
@click.option("--unread-limit", type=click.IntRange(min=0), default=30, show_default=True,
              help="List at most this many unread elements with values (0: all).")
@click.option("--strict", is_flag=True,
              help="Exit with 1 when a record fails, a value would be held for review, or "
                   "nothing was found.")
def profiles_check(profile: str, sample: Path, kind: str | None, max_records: int | None,
                   as_json: bool, unread_limit: int, strict: bool) -> None:
    """Check PROFILE against SAMPLE.xml: paths found, always empty, unread elements, unmapped values."""
    from exchange.profiles import load_profile
    from exchange.profiles.check import check_profile

    report = check_profile(load_profile(profile), sample, kind, max_records=max_records)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.lines(unread_limit):
            click.echo(line)
    if strict and report.has_problems:
        raise click.exceptions.Exit(1)


@profiles.command("new")
@click.option("--from", "sample", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A sample file of the shop (XML).")
@click.option("--kind", type=click.Choice(["orders", "invoices", "products"]), default="orders",
              show_default=True, help="What the sample holds.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def profiles_new(sample: Path, kind: str, force: bool, target: Path) -> None:
    """Draft TARGET.yaml, a profile that reads SAMPLE: then edit what it marks and check it."""
    from exchange.errors import ConfigError
    from exchange.profiles import DocumentKind, load_profile
    from exchange.profiles.draft import draft_profile

    if target.suffix not in (".yaml", ".yml"):
        target = target.with_suffix(".yaml")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists (use --force to overwrite)")
    draft = draft_profile(sample, target.stem, DocumentKind(kind))
    try:
        target.write_text(draft.text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from exc
    load_profile(target)  # the draft is a valid profile, or this is a bug worth a clear error
    click.echo(f"wrote {target}: record {draft.record}"
               + (f", lines {draft.lines_path}" if draft.lines_path else "")
               + f"; {len(draft.mapped)} canonical fields mapped ({', '.join(draft.mapped)}); "
               f"{draft.unmapped} elements with values left as comments")
    click.echo(f"next: edit the lines marked '# map me', then "
               f"'exchange profiles check {target} {sample}'")


def register(cli: click.Group) -> None:
    """Add the profile commands to the CLI."""
    cli.add_command(profiles)
