"""``guidebook validate --endpoint``: the project's shapes run on the data of a remote store.

The fast engine runs unchanged; it reads the data through
:class:`~guidebook_kg.datasource.RemoteData` (triple patterns and SELECT queries sent to
the endpoint, batched, each with the endpoint's timeout) instead of the embedded store,
and the report is put together by :func:`guidebook_kg.validate.check`, as for a local
validation. Nothing is downloaded but what the queries return.

Before the shapes run, one probe (``checks/remote-validation.rq``) checks that the store
holds what a local validation reads: the ontology, and the derived facts that
``guidebook push`` sends with the data. A store without them is explained, not
validated (its report would list every rating as unsupported).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from guidebook_kg import remote
from guidebook_kg.datasource import RemoteData
from guidebook_kg.errors import EndpointError
from guidebook_kg.prefixes import DERIVED_GRAPH
from guidebook_kg.progress import Progress
from guidebook_kg.project import Project
from guidebook_kg.validate import ProjectReport, check, load_shapes

PROBE = "checks/remote-validation.rq"
PUSH_HINT = "load the project with `guidebook push --endpoint URL` (it sends the ontology, " \
    "the data and the derived graph), then validate again"


def validate_endpoint(
    url: str,
    project: Project,
    *,
    graphs: Sequence[str] = (),
    timeout: float = remote.DEFAULT_TIMEOUT,
    user: str | None = None,
    password: str | None = None,
    auth: str = "basic",
    focus: str | None = None,
    shape: str | None = None,
    progress: Progress | None = None,
) -> ProjectReport:
    """Validate the graph held by the SPARQL endpoint at ``url`` against the project's
    shapes; the same report as validating that graph locally.

    ``graphs`` (IRIs) are read as the data instead of the store's default graph. Raises
    :class:`EndpointError` when the store cannot be reached, fails a query, cuts an
    answer short, or does not hold the project's ontology and derived facts.
    """
    endpoint = remote.Endpoint(url, timeout=timeout, default_graphs=graphs, named_graphs=True,
                               user=user, password=password, auth=auth)
    shapes = load_shapes(project.shape_files())  # bad shapes are reported before any query
    if progress is not None:
        progress(f"Checking that {url} holds the project's ontology and derived facts")
    check_store(endpoint)
    data = RemoteData(endpoint)
    if progress is not None:
        progress(f"Validating the graph at {url} against the shapes (fast engine)")
    return check(data, shapes, focus=focus, shape=shape)


def check_store(endpoint: remote.Endpoint) -> None:
    """Raise :class:`EndpointError` unless the store holds the ontology and, for the
    assessments it holds, their derived facts."""
    probe = files("guidebook_kg").joinpath(PROBE).read_text(encoding="utf-8")
    found = endpoint.select(probe).records()  # an empty answer is explained by the endpoint
    has = {name for row in found for name, value in row.items() if value is not None}
    if "ontology" not in has:
        raise EndpointError(
            f"SPARQL endpoint {endpoint.url}: the store holds "
            + ("programmes but not the project's ontology" if "programme" in has
               else "none of the project's data (no ontology, no programme)")
            + ", so there is nothing to validate against the shapes",
            hint=PUSH_HINT,
        )
    underived = next((row["underived"] for row in found if row["underived"] is not None), None)
    if underived is not None:
        raise EndpointError(
            f"SPARQL endpoint {endpoint.url}: the store holds assessments without the derived "
            f"facts the rating rules check (e.g. {underived} has no gb:criterionResult); "
            f"they live in the derived graph <{DERIVED_GRAPH}>",
            hint=PUSH_HINT,
        )
