"""SPARQL queries from the outside world, run in worker processes that can be killed.

pyoxigraph has no query timeout, and a thread cannot be stopped, so a runaway query
(a cross product, a huge sort) would hold a core and its memory until it finished.
Each worker is a separate process with its own copy of the store (loaded from the
build's N-Quads dump); a query that outlives the timeout gets its worker killed and
replaced, and the client an error, never partial results. The worker also applies the
row cap and serializes the answer, so only bytes cross the process boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import multiprocessing.connection
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from guidebook_kg import jsonld
from guidebook_kg.linkeddata import GRAPH_SYNTAXES, canonical_triples, negotiate, serialize
from guidebook_kg.querytext import (
    NO_FEDERATION,
    Federation,
    FederationRefused,
    has_dataset_clause,
)
from guidebook_kg.site.results import FORMATS, json_term, results_bytes

# Result formats by the names ?format= accepts; the first of each list is what we send.
RESULT_FORMATS = FORMATS
GRAPH_FORMATS = {s.name: s for s in GRAPH_SYNTAXES}
_FORMAT_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "rdf": "rdfxml"}

# How long a new worker may take to load the store before the pool gives up on it.
LOAD_TIMEOUT = 600.0


@dataclass(frozen=True)
class QueryRequest:
    """One query as the protocol delivered it."""

    query: str
    accept: str | None = None
    formats: tuple[str, ...] = ()  # ?format= values; the first that fits overrides Accept
    default_graphs: Sequence[str] = ()
    named_graphs: Sequence[str] = ()


@dataclass
class QueryAnswer:
    """An HTTP answer: status, headers and body."""

    status: int
    body: bytes
    media_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str) -> QueryAnswer:
    return QueryAnswer(status, (message.rstrip() + "\n").encode("utf-8"))


# ------------------------------------------------------------------ the worker side


def execute(
    store: ox.Store,
    request: QueryRequest,
    row_cap: int,
    context: jsonld.Context,
    federation: Federation = NO_FEDERATION,
) -> QueryAnswer:
    """Run one query and serialize its answer (in the worker, or in-process in tests)."""
    try:
        federation.check(request.query)
    except FederationRefused as refused:
        return error(400, f"Bad request: {refused}.")
    try:
        default: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        named: list[ox.NamedNode | ox.BlankNode] | None = None
        if request.default_graphs or request.named_graphs:
            default = [ox.NamedNode(g) for g in request.default_graphs] or [ox.DefaultGraph()]
            named = [ox.NamedNode(g) for g in request.named_graphs] or None
    except ValueError as err:
        return error(400, f"bad graph IRI: {err}")
    try:
        result = store.query(
            request.query,
            # Our data lives in named graphs; a query without GRAPH sees all of them,
            # unless it (FROM, FROM NAMED) or the protocol (default-graph-uri,
            # named-graph-uri) names its dataset.
            use_default_graph_as_union=default is None
            and not has_dataset_clause(request.query),
            default_graph=default,
            named_graphs=named,
        )
    except SyntaxError as err:
        return error(
            400,
            f"SPARQL syntax error: {err}. This endpoint answers queries only "
            "(SELECT, ASK, CONSTRUCT, DESCRIBE); it is read-only.",
        )
    except (OSError, RuntimeError, ValueError) as err:
        return error(400, f"the query cannot be evaluated: {err}")
    try:
        if isinstance(result, ox.QueryBoolean):
            return _boolean(result, request)
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, request, row_cap)
        return _graph(result, request, row_cap, context)
    except (OSError, RuntimeError, ValueError) as err:
        # Evaluation errors surface while iterating; the query caused them.
        return error(400, f"the query cannot be evaluated: {err}")


def _result_format(request: QueryRequest) -> tuple[str, ox.QueryResultsFormat] | None:
    return _result_format_for(request.accept, tuple(request.formats))


@lru_cache(maxsize=256)
def _result_format_for(
    accept: str | None, formats: tuple[str, ...]
) -> tuple[str, ox.QueryResultsFormat] | None:
    """The media type and format of the answer (clients send the same few headers, so
    each choice is worked out once)."""
    offers = [media for _, medias in RESULT_FORMATS.values() for media in medias]
    # ?format= may name a format (json) or a media type; clients such as SPARQLWrapper
    # send several, some meant for other servers, so the first one we know wins.
    for wanted in formats:
        wanted = wanted.lower()
        for name, (fmt, medias) in RESULT_FORMATS.items():
            if wanted == name or wanted in medias:
                return medias[0], fmt
    chosen = negotiate(accept, offers)
    if chosen is None:
        return None
    for fmt, medias in RESULT_FORMATS.values():
        if chosen in medias:
            return medias[0], fmt
    return None


def _not_acceptable(kind: str, offers: Sequence[str]) -> QueryAnswer:
    return error(
        406,
        f"cannot answer a {kind} query in the requested format; use one of: " + ", ".join(offers),
    )


def _boolean(result: ox.QueryBoolean, request: QueryRequest) -> QueryAnswer:
    chosen = _result_format(request)
    if chosen is None:
        return _not_acceptable("ASK", [m[0] for _, m in RESULT_FORMATS.values()])
    media, fmt = chosen
    return QueryAnswer(200, _bytes(result.serialize(format=fmt)), _with_charset(media))


def _solutions(result: ox.QuerySolutions, request: QueryRequest, row_cap: int) -> QueryAnswer:
    chosen = _result_format(request)
    if chosen is None:
        return _not_acceptable("SELECT", [m[0] for _, m in RESULT_FORMATS.values()])
    media, fmt = chosen
    names = [v.value for v in result.variables]
    rows: list[dict[str, Any]] = []
    truncated = False
    # A term that recurs (a predicate, a concept) is converted once.
    terms: dict[Any, dict[str, Any]] = {}
    for solution in result:
        if len(rows) == row_cap:
            truncated = True
            break
        row = {}
        for name, value in zip(names, solution, strict=True):
            if value is not None:
                term = terms.get(value)
                if term is None:
                    term = terms[value] = json_term(value)
                row[name] = term
        rows.append(row)
    body = results_bytes(names, rows, fmt)
    return QueryAnswer(200, body, _with_charset(media), _cap_headers(row_cap, truncated))


def _graph(
    result: ox.QueryTriples, request: QueryRequest, row_cap: int, context: jsonld.Context
) -> QueryAnswer:
    syntax = None
    for wanted in request.formats:
        wanted = _FORMAT_ALIASES.get(wanted.lower(), wanted.lower())
        syntax = GRAPH_FORMATS.get(wanted) or next(
            (s for s in GRAPH_SYNTAXES if s.media_type == wanted), None
        )
        if syntax is not None:
            break
    else:
        chosen = negotiate(request.accept, [s.media_type for s in GRAPH_SYNTAXES])
        syntax = next((s for s in GRAPH_SYNTAXES if s.media_type == chosen), None)
    if syntax is None:
        return _not_acceptable("CONSTRUCT or DESCRIBE", [s.media_type for s in GRAPH_SYNTAXES])
    triples: list[ox.Triple] = []
    truncated = False
    for triple in result:
        if len(triples) == row_cap:
            truncated = True
            break
        triples.append(triple)
    body = serialize(canonical_triples(triples), syntax, context)
    return QueryAnswer(
        200, body, _with_charset(syntax.media_type), _cap_headers(row_cap, truncated)
    )


def _cap_headers(row_cap: int, truncated: bool) -> dict[str, str]:
    # Like Virtuoso's ResultSetMaxRows: the answer is cut at the cap, and says so.
    headers = {"X-SPARQL-Row-Cap": str(row_cap)}
    if truncated:
        headers["X-SPARQL-Truncated"] = "true"
    return headers


def _with_charset(media: str) -> str:
    if media.startswith("text/") or media.endswith(("+json", "+xml", "/json", "/xml")):
        return media if "charset" in media else media + "; charset=utf-8"
    return media


def _bytes(data: bytes | None) -> bytes:
    return data if data is not None else b""


def _worker_main(
    dump: str,
    context_body: Mapping[str, Any],
    row_cap: int,
    allowed_services: Sequence[str],
    conn: multiprocessing.connection.Connection,
) -> None:
    store = ox.Store()
    store.bulk_load(path=dump, format=ox.RdfFormat.N_QUADS)
    context = jsonld.Context({"@context": dict(context_body)})
    federation = Federation.allowing(allowed_services)
    conn.send(("ready", len(store)))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        conn.send(execute(store, request, row_cap, context, federation))


# ------------------------------------------------------------------ the server side


class QueryTimeout(Exception):
    pass


class WorkerFailed(Exception):
    pass


class _Worker:
    def __init__(self, pool: QueryPool) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main,
            args=(
                str(pool.dump),
                pool.context.body,
                pool.row_cap,
                sorted(pool.federation.allowed),
                child,
            ),
            daemon=True,
            name="guidebook-sparql-worker",
        )
        self.process.start()
        child.close()
        self.ready = False
        self.deadline = 0.0  # (event loop time) when the query it runs must be answered

    async def ask_async(self, request: QueryRequest, timeout: float) -> QueryAnswer:
        """Send one query and wait for its answer without blocking the event loop or
        taking a thread: the loop watches the worker's end of the pipe."""
        if not self.ready:
            # Imported here: anyio comes with starlette, which only the server needs.
            import anyio.to_thread

            await anyio.to_thread.run_sync(self._wait_ready)
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()

        def readable() -> None:
            if not answered.done():
                answered.set_result(None)

        try:
            # The worker is idle, blocked reading its pipe: it takes the request at once.
            self.conn.send(request)
            fd = self.conn.fileno()
            loop.add_reader(fd, readable)
            try:
                await asyncio.wait_for(answered, max(timeout, 0.0))
            except asyncio.TimeoutError:
                raise QueryTimeout from None
            finally:
                loop.remove_reader(fd)
            # The answer is on its way: the worker writes it whole (at most the row cap).
            answer = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as err:
            raise WorkerFailed(str(err) or type(err).__name__) from None
        if not isinstance(answer, QueryAnswer):
            raise WorkerFailed(f"unexpected message {answer!r}")
        return answer

    def _wait_ready(self) -> None:
        try:
            if not self.conn.poll(LOAD_TIMEOUT):
                raise WorkerFailed("the query worker did not load the data in time")
            message = self.conn.recv()
        except (EOFError, OSError) as err:
            raise WorkerFailed(f"the query worker failed to start: {err}") from None
        if not (isinstance(message, tuple) and message[0] == "ready"):
            raise WorkerFailed(f"unexpected message {message!r}")
        self.ready = True

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryPool:
    """A fixed number of query workers, and the queue of queries waiting for one.

    Every query has one budget, ``timeout`` seconds from its arrival: time spent waiting
    for a free worker counts, so no client waits longer than that for an answer or an
    error. At most ``queue`` queries wait at once; more are turned away at once (503
    with ``Retry-After``). Free workers go to waiting clients in turn (round robin by
    client address), and one client never holds more than ``size - 1`` workers while
    others wait, so its slow queries cannot keep another client's cheap one waiting.
    """

    def __init__(
        self,
        dump: Path,
        context: jsonld.Context,
        *,
        size: int = 2,
        timeout: float = 30.0,
        row_cap: int = 10_000,
        queue: int = 64,
        federation: Federation = NO_FEDERATION,
    ) -> None:
        self.dump = dump
        self.context = context
        self.size = size
        self.timeout = timeout
        self.row_cap = row_cap
        self.queue = queue
        self.federation = federation
        self.share = max(1, size - 1)
        self._idle: list[_Worker] = []
        self._busy: dict[_Worker, str] = {}  # worker -> the client it works for
        self._waiting: OrderedDict[str, deque[asyncio.Future[_Worker]]] = OrderedDict()
        self._workers: list[_Worker] = []
        self._started = False

    async def start(self) -> None:
        for _ in range(self.size):
            worker = _Worker(self)
            self._workers.append(worker)
            self._idle.append(worker)
        self._started = True

    @property
    def waiting(self) -> int:
        """Queries waiting for a worker now."""
        return sum(1 for queue in self._waiting.values() for f in queue if not f.done())

    async def run(self, request: QueryRequest, client: str = "") -> QueryAnswer:
        assert self._started, "QueryPool.start() was not awaited"
        loop = asyncio.get_running_loop()
        arrived = loop.time()
        deadline = arrived + self.timeout
        if self.waiting >= self.queue and not self._can_start(client):
            return self._busy_answer(
                f"the server is busy: {self.waiting} queries are already waiting; "
                "try again later"
            )
        worker = await self._acquire(client, deadline)
        if worker is None:
            return self._busy_answer(
                f"no query worker became free within {self.timeout:g} s (the query "
                "timeout); nothing was run. Try again later"
            )
        worker.deadline = deadline
        waited = loop.time() - arrived
        try:
            answer = await worker.ask_async(request, deadline - loop.time())
        except QueryTimeout:
            self._replace(worker)
            queued = f", {waited:.1f} s of it waiting for a worker" if waited >= 0.1 else ""
            return error(
                503,
                f"query timed out after {self.timeout:g} s{queued}, and was stopped; no "
                "partial results are returned. Narrow the query (LIMIT, more specific "
                "patterns).",
            )
        except WorkerFailed as err:
            self._replace(worker)
            return error(500, f"the query worker failed: {err}")
        except BaseException:
            # Cancelled while waiting (client gone): the worker may still be busy.
            self._replace(worker)
            raise
        self._release(worker)
        return answer

    def _busy_answer(self, message: str) -> QueryAnswer:
        answer = error(503, message)
        answer.headers["Retry-After"] = str(self.retry_after())
        return answer

    def retry_after(self) -> int:
        """Seconds until a worker is sure to be free: the nearest deadline of a running
        query (each is stopped at its deadline)."""
        loop = asyncio.get_running_loop()
        deadlines = [w.deadline for w in self._busy]
        if not deadlines:
            return 1
        return max(1, math.ceil(min(deadlines) - loop.time()))

    def _can_start(self, client: str) -> bool:
        return bool(self._idle) and self._running(client) < self.share

    def _running(self, client: str) -> int:
        return sum(1 for c in self._busy.values() if c == client)

    async def _acquire(self, client: str, deadline: float) -> _Worker | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_Worker] = loop.create_future()
        self._waiting.setdefault(client, deque()).append(future)
        self._dispatch()
        try:
            return await asyncio.wait_for(future, max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            return None
        except BaseException:
            # Cancelled: a worker handed over at the same moment goes back to the pool.
            if future.done() and not future.cancelled():
                self._release(future.result())
            raise
        finally:
            queue = self._waiting.get(client)
            if queue is not None:
                with contextlib.suppress(ValueError):
                    queue.remove(future)
                if not queue:
                    del self._waiting[client]

    def _dispatch(self) -> None:
        """Hand idle workers to waiting clients, one client after another, each within
        its share."""
        while self._idle:
            for client, queue in self._waiting.items():
                while queue and queue[0].done():  # timed out or cancelled
                    queue.popleft()
                if queue and self._running(client) < self.share:
                    break
            else:
                return
            future = queue.popleft()
            if not queue:
                del self._waiting[client]
            else:
                self._waiting.move_to_end(client)  # its other queries wait their turn
            worker = self._idle.pop()
            self._busy[worker] = client
            future.set_result(worker)

    def _release(self, worker: _Worker) -> None:
        self._busy.pop(worker, None)
        self._idle.append(worker)
        self._dispatch()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._busy.pop(worker, None)
        fresh = _Worker(self)
        self._workers = [w for w in self._workers if w is not worker] + [fresh]
        self._idle.append(fresh)
        self._dispatch()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []
