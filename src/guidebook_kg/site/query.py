"""The SPARQL page of the server: YASGUI (``static/yasgui/``, bundled from the npm package
``@zazuko/yasgui``, so it works offline) with syntax highlighting, results as a table, and
a tab for every saved view as an example; a plain form for browsers without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from guidebook_kg import views
from guidebook_kg.site import html
from guidebook_kg.site.links import STATIC, Links

# The tab that opens first.
FIRST_EXAMPLE = "programme-ratings"


def example_text(view: views.View, engine: views.Engine, catalogue: views.Catalogue) -> str:
    """A saved view as a query to start from: without its ``#+`` header (that is for the
    tool), with a first value bound for each required parameter, so that it runs as it
    is and stays cheap."""
    lookups = views.Lookups(engine, catalogue)
    given: dict[str, str] = {}
    for parameter in view.parameters:
        if not parameter.required:
            continue
        if parameter.type == "programme":
            found = lookups.programmes()
            if found:
                given[parameter.name] = found[0][0]
        elif parameter.type == "scheme":
            schemes = lookups.schemes()
            if schemes:
                given[parameter.name] = schemes[0].iri
    try:
        text = views.bound_text(view, views.bind(view, given, lookups))
    except views.MissingParameter:
        text = view.text
    lines = text.splitlines(keepends=True)
    body = "".join(line for line in lines if not line.startswith(views.HEADER)).strip()
    return f"# {view.summary}\n{body}\n"


def sparql_page(
    links: Links,
    engine: views.Engine,
    catalogue: views.Catalogue,
    *,
    timeout: float,
    row_cap: int,
) -> html.Rendered:
    examples: list[dict[str, Any]] = [
        {"name": view.name, "query": example_text(view, engine, catalogue)}
        for view in catalogue.values()
    ]
    examples.sort(key=lambda e: (e["name"] != FIRST_EXAMPLE, e["name"]))
    config = {"endpoint": links.route("sparql") or "", "examples": examples}
    return html.render(
        "sparql.html.j2",
        links,
        title="SPARQL query editor",
        timeout=timeout,
        row_cap=row_cap,
        example=examples[0]["query"] if examples else "",
        # Embedded as JSON in a script element: every "<" is escaped so nothing in the
        # queries can end the element.
        config=json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"),
        yasgui_js=links.file(f"{STATIC}/yasgui/yasgui.min.js"),
        yasgui_css=links.file(f"{STATIC}/yasgui/yasgui.min.css"),
        editor_js=links.file(f"{STATIC}/query.js"),
    )
