"""`check --sites FILE`: the on-premises sites of hybrid nodes (docs/hybrid.md).

The file is read and checked before anything else (a broken one is exit 2, one line), and
after the estate is loaded a line on stderr says where the hybrid nodes are. Verdicts for
hybrid nodes are not given yet: the line says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ssmreach.errors import SitesError
from ssmreach.model.estate import Estate
from ssmreach.model.site_inference import infer_site
from ssmreach.model.sites import NoSite, Sites, parse_sites, site_of

SHOWN = 3

sites_option = click.option(
    "--sites",
    "sites_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The on-premises networks of hybrid nodes (YAML or JSON, docs/sites.schema.json): "
    "checked, and each hybrid node placed in its site. Hybrid nodes get no verdicts yet.",
)


def read_sites_file(path: Path | None) -> Sites | None:
    """The sites of the file, or None without one; `SitesError` when it cannot be read."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SitesError(str(path), "is not UTF-8 text") from None
    except OSError as exc:
        raise SitesError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    return parse_sites(text, str(path))


def sites_line(sites: Sites, estate: Estate) -> str:
    """Where the estate's hybrid nodes are, in one line."""
    done = dataclasses.replace(sites, sites=tuple(infer_site(estate, s) for s in sites.sites))
    placed: dict[str, int] = {}
    unplaced: list[str] = []
    for region in estate.regions.values():
        for node in region.hybrid.nodes.values():
            found = site_of(done, node.address, node.node_id)
            if isinstance(found, NoSite):
                unplaced.append(f"{node.node_id}: {found.reason}")
            else:
                placed[found.site.name] = placed.get(found.site.name, 0) + 1
    count = len(unplaced) + sum(placed.values())
    line = f"sites: {sites.source}, {len(sites.sites)} site{'s' * (len(sites.sites) != 1)}; "
    line += f"{count} hybrid node{'s' * (count != 1)}"
    if placed:
        line += ", " + ", ".join(f"{n} in {name}" for name, n in sorted(placed.items()))
    if unplaced:
        more = f", +{len(unplaced) - SHOWN} more" if len(unplaced) > SHOWN else ""
        line += f", {len(unplaced)} in no site ({'; '.join(unplaced[:SHOWN])}{more})"
    return line + "; hybrid nodes get no verdicts yet (docs/hybrid.md)"


def echo_sites(sites: Sites | None, estate: Estate) -> None:
    if sites is not None:
        click.echo(sites_line(sites, estate), err=True)
