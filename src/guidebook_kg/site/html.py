"""Templates: the one jinja2 environment of the site, its filters, and rendering a page.

Every page of the site extends ``templates/base.html.j2`` (header, navigation, footer);
values reach the templates through :func:`render`, which adds the links of the page
(:class:`~guidebook_kg.site.links.Links`): ``link(iri)`` for a resource, ``nav`` for the
header, ``alternates`` for the RDF of the page's resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from guidebook_kg.site.links import Links
from guidebook_kg.site.sitemap import anchor, domain_anchor
from guidebook_kg.site.text import grouped, join, month_year, number

TEMPLATES = "site/templates"


@dataclass
class Rendered:
    """A page's bytes, and what the server says about it in headers (``Link``)."""

    body: bytes
    pages: int = 1
    rel: dict[str, str] = field(default_factory=dict)  # "next", "prev" -> href
    status: int = 200  # 400 for a form whose values could not be used


@cache
def environment() -> Any:
    # jinja2 is imported here so that commands that render no page do not load it.
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("guidebook_kg", TEMPLATES),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "svg.j2"), default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(join_and=join, number=number, month_year=month_year, grouped=grouped)
    env.globals["anchor"] = anchor
    env.globals["domain_anchor"] = domain_anchor
    return env


def render_text(template: str, **values: Any) -> str:
    """A template as text (Markdown, or HTML read on its own)."""
    text: str = environment().get_template(template).render(**values)
    return text


def render(template: str, links: Links, **values: Any) -> Rendered:
    """Render one of the site's HTML pages with its links filled in."""
    values.setdefault("alternates", [])
    values.setdefault("paging", None)
    values.setdefault("page_rel", {})
    values.setdefault("canonical", None)
    values.setdefault("inline_css", None)
    values["link"] = links.resource
    values["links"] = links
    values["nav"] = links.nav()
    paging = values["paging"]
    rel = dict(values["page_rel"])
    pages = 1
    if paging is not None:
        pages = paging.pages
        if paging.next:
            rel["next"] = paging.next
        if paging.prev:
            rel["prev"] = paging.prev
    values["page_rel"] = rel
    text = render_text(template, **values)
    return Rendered(text.encode("utf-8"), pages, rel)
