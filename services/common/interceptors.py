"""The platform's part of every call: admission (shutdown, concurrency bound), authentication, request
decoding, error mapping, Prometheus metrics and the access log, composed into ONE wrapper per method.

The wrapper is built once, when a service is mounted (``MountingServer``), with the method's metric
series already resolved and whether it is open (health, reflection) already known, so that a call
pays for what it does and not for assembling handlers: grpc.aio interceptors would rebuild a method
handler per interceptor on every call. The wrapper runs in the RPC's own task, so the contextvars it
sets (caller, request id) reach the servicer.

Requests are registered with grpc as raw bytes and decoded here, after authentication: a body that
is not a valid message is a counted INVALID_ARGUMENT (UNAUTHENTICATED without a valid token), not an
UNKNOWN raised inside grpc before any of this runs.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import grpc
from google.rpc import code_pb2, status_pb2
from grpc import aio
from grpc_status import rpc_status

from services.common.auth import TokenVerifier, current_caller
from services.common.errors import Code, DomainError, invalid_argument
from services.common.grpc_errors import (
    infrastructure_status,
    internal_status,
    refusal_status,
    request_status,
    to_status,
)
from services.common.logs import log_fields, request_id_var
from services.common.metrics import GrpcServerMetrics, MethodMetrics
from services.common.wire import passing_encoded

log = logging.getLogger("rpc")

Behavior = Callable[[Any, aio.ServicerContext], Awaitable[Any]]

# Health checks and reflection stay open to probes and tools without a token, and are never refused
# for load: a probe that times out would restart a pod that is merely busy.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)

# The codes GrpcServerErrorRatioHigh counts (deploy/k8s/monitoring/rules.yaml): always logged.
SERVER_FAULT_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)

# Methods that change nothing (AIP-131/132 and the like): their successful calls are sampled at one
# rate, the writes' at another (by default every write is logged). Every failure is always logged.
_READ_METHOD = re.compile(r"(Get|List|Search|BatchGet|Verify)[A-Z]")

_CODES = {code.value[0]: code for code in grpc.StatusCode}
_DOMAIN_CODES = {code: _CODES[code.value] for code in Code}

MAX_REQUEST_ID_LENGTH = 128
_REQUEST_ID_PREFIX = secrets.token_hex(8)
_request_numbers = itertools.count(1)


def _code_of(context: aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    return _CODES.get(code, grpc.StatusCode.UNKNOWN)


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.lstrip("/").rpartition("/")
    return service, name


class Refused(Exception):
    """A call the server did not start; carries the status to answer with."""

    def __init__(self, code: grpc.StatusCode, status: grpc.Status) -> None:
        super().__init__(code.name)
        self.code = code
        self.status = status


class CallGate:
    """Admission of the calls of the service's own API.

    At most ``limit`` run at once; further calls wait up to ``queue_timeout`` for a slot (waiting,
    they cost the event loop nothing), then answer RESOURCE_EXHAUSTED with a RetryInfo. The bound keeps
    the loop's queue of runnable work short, and so health checks fast, whatever the load; and
    RESOURCE_EXHAUSTED is not a server-fault code, so a flood cannot fire the error-ratio alert.

    During shutdown, once ``close()`` is called, new calls answer UNAVAILABLE (retry elsewhere) while
    those admitted before finish; ``drained()`` waits for them."""

    def __init__(self, domain: str, limit: int, queue_timeout: float) -> None:
        self._limit = limit
        self._queue_timeout = queue_timeout
        # Admitted calls (``_in_flight``) hold a slot (``_running``) or wait for one in ``_waiting``,
        # first come, first served. A call that finds a slot free takes it with two comparisons; only
        # calls beyond the bound pay for a future. A leaving call hands its slot to the first waiter.
        self._in_flight = 0
        self._running = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._idle = asyncio.Event()
        self._idle.set()
        self.accepting = True
        self._last_refusal = 0.0
        # The statuses are built once; each refusal raises a new exception, since raising one instance
        # again and again would grow its traceback (and keep every refused call's frames alive).
        self._busy = (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            refusal_status(
                code_pb2.RESOURCE_EXHAUSTED,
                "SERVER_BUSY",
                "the server is at its limit of concurrent calls; retry shortly",
                domain,
                retry_after=max(queue_timeout, 0.5),
            ),
        )
        self._closing = (
            grpc.StatusCode.UNAVAILABLE,
            refusal_status(
                code_pb2.UNAVAILABLE, "SHUTTING_DOWN", "the server is shutting down; retry", domain, retry_after=1.0
            ),
        )

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def admit(self) -> bool:
        """Admit a call: True when it holds a slot now, False when it must ``wait_turn()`` first.
        A call holding a slot ends with ``leave()``."""
        if not self.accepting:
            self._last_refusal = time.monotonic()
            raise Refused(*self._closing)
        self._in_flight += 1
        if self._in_flight == 1:
            self._idle.clear()
        if self._running < self._limit and not self._waiting:
            self._running += 1
            return True
        return False

    async def wait_turn(self) -> None:
        """Wait up to ``queue_timeout`` for a slot. Refused (RESOURCE_EXHAUSTED) after that, and on
        cancellation, the call has left: it holds no slot and no place in the queue."""
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            async with asyncio.timeout(self._queue_timeout):
                await turn
        except BaseException as error:  # timed out, or the call was cancelled
            if turn.done() and not turn.cancelled():
                self.leave()  # handed a slot in the same turn as the wait ended: pass it on
            else:
                turn.cancel()
                with contextlib.suppress(ValueError):  # a leave() may have dropped it already
                    self._waiting.remove(turn)
                self._depart()
            if isinstance(error, TimeoutError):
                raise Refused(*self._busy) from None
            raise

    def leave(self) -> None:
        """A call holding a slot is done: the slot goes to the first waiter still waiting."""
        self._running -= 1
        waiting = self._waiting
        while waiting and self._running < self._limit:
            turn = waiting.popleft()
            if not turn.done():  # done: cancelled, its call is leaving by itself
                turn.set_result(None)
                self._running += 1
        self._depart()

    def _depart(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._idle.set()

    def close(self) -> None:
        self.accepting = False
        self._last_refusal = time.monotonic()

    async def quiet(self, period: float, within: float) -> bool:
        """Wait until no call has arrived for ``period`` seconds (at most ``within``): then grpc holds
        no call it has accepted and not yet handed to us, which its stop would cancel."""
        deadline = time.monotonic() + within
        while True:
            now = time.monotonic()
            wait = self._last_refusal + period - now
            if wait <= 0:
                return True
            if now + wait > deadline:
                await asyncio.sleep(max(0.0, deadline - now))
                return False
            await asyncio.sleep(wait)

    async def drained(self, within: float) -> bool:
        """True when every admitted call has finished within ``within`` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._idle.wait()
        return self._in_flight == 0


class CallWrapper:
    """Builds the one wrapper of each method; holds what every wrapper shares."""

    def __init__(
        self,
        *,
        domain: str,
        metrics: GrpcServerMetrics,
        verifier: TokenVerifier,
        gate: CallGate,
        access_log_sample_rate: float,
        write_access_log_sample_rate: float,
    ) -> None:
        self.domain = domain
        self.metrics = metrics
        self.verifier = verifier
        self.gate = gate
        self.sample_rate = access_log_sample_rate
        self.write_sample_rate = write_access_log_sample_rate

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        service, name = _split(method)
        if service in OPEN_SERVICES:
            if handler.unary_unary is None:
                return handler  # Watch, reflection: long-lived streams, not counted as calls
            return self._wrap_open(method, handler, self.metrics.for_method("unary", service, name))
        if handler.unary_unary is None:
            raise ValueError(f"{method}: the platform serves unary methods only; a stream would go unchecked")
        return self._wrap_api(method, handler, self.metrics.for_method("unary", service, name))

    def _access_log(self, method: str, code: grpc.StatusCode, elapsed: float, context: aio.ServicerContext) -> None:
        caller = current_caller.get()
        fields = {
            "method": method,
            "code": code.name,
            "duration_ms": round(elapsed * 1000, 3),
            "subject": caller.subject if caller else None,
            "peer": context.peer(),
        }
        log_fields(log, logging.WARNING if code in SERVER_FAULT_CODES else logging.INFO, "rpc", fields)

    def _failure(self, error: BaseException, method: str) -> tuple[grpc.StatusCode, grpc.Status | None]:
        """The code a failed call ends with, and the status to abort with (None: re-raise as is)."""
        if isinstance(error, DomainError):
            return _DOMAIN_CODES[error.code], to_status(error, self.domain)
        if isinstance(error, Refused):
            return error.code, error.status
        if isinstance(error, asyncio.CancelledError):
            # The client went away or its deadline passed: not a server fault.
            return grpc.StatusCode.CANCELLED, None
        if isinstance(error, NotImplementedError):
            # What the generated base servicer raises for a method nobody implemented.
            status = _plain_status(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented")
            return grpc.StatusCode.UNIMPLEMENTED, status
        if not isinstance(error, Exception):
            return grpc.StatusCode.UNKNOWN, None
        refused = request_status(error, self.domain)
        if refused is not None:
            log.info("request refused by the database: %s", type(error).__name__, extra={"fields": {"method": method}})
            return refused.code, refused
        transient = infrastructure_status(error, self.domain)
        if transient is not None:
            log.warning("transient failure: %s", type(error).__name__, extra={"fields": {"method": method}})
            return transient.code, transient
        log.exception("unexpected error", extra={"fields": {"method": method}})
        return grpc.StatusCode.INTERNAL, internal_status(self.domain)

    def _wrap_api(self, method: str, handler: grpc.RpcMethodHandler, metrics: MethodMetrics) -> grpc.RpcMethodHandler:
        behavior: Behavior = handler.unary_unary
        decode = _decoder(handler)
        verify = self.verifier.verify
        gate = self.gate
        finished = metrics.finished
        failure = self._failure
        access_log = self._access_log
        # A successful call is logged at its kind's sample rate (reads, writes); a failure always.
        rate = self.sample_rate if _READ_METHOD.match(_split(method)[1]) else self.write_sample_rate
        ok = grpc.StatusCode.OK
        clock = time.perf_counter

        async def call(body: bytes, context: aio.ServicerContext) -> Any:
            request_id, authorization = _scan(context.invocation_metadata())
            request_id_var.set(request_id)
            metrics.started += 1
            begin = clock()
            code = grpc.StatusCode.OK
            try:
                if not gate.admit():
                    await gate.wait_turn()
                try:
                    current_caller.set(await verify(authorization))
                    response = await behavior(decode(body), context)
                finally:
                    gate.leave()
                code = _code_of(context)
                return response
            except aio.AbortError:
                code = _code_of(context)
                raise
            except BaseException as error:
                code, status = failure(error, method)
                if status is None:
                    raise
                await context.abort_with_status(status)
                raise  # abort_with_status always raises
            finally:
                elapsed = clock() - begin
                finished(code, elapsed)
                if code is not ok or rate >= 1.0 or (rate > 0.0 and random.random() < rate):
                    access_log(method, code, elapsed, context)

        return grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=None, response_serializer=passing_encoded(handler.response_serializer)
        )

    def _wrap_open(self, method: str, handler: grpc.RpcMethodHandler, metrics: MethodMetrics) -> grpc.RpcMethodHandler:
        """Health/Check: counted like any call, but no token, no bound, no access line unless it fails."""
        behavior: Behavior = handler.unary_unary
        decode = _decoder(handler)
        finished = metrics.finished
        failure = self._failure
        access_log = self._access_log
        clock = time.perf_counter

        async def call(body: bytes, context: aio.ServicerContext) -> Any:
            metrics.started += 1
            begin = clock()
            code = grpc.StatusCode.OK
            try:
                response = await behavior(decode(body), context)
                code = _code_of(context)
                return response
            except aio.AbortError:
                code = _code_of(context)
                raise
            except BaseException as error:
                code, status = failure(error, method)
                if status is None:
                    raise
                await context.abort_with_status(status)
                raise
            finally:
                elapsed = clock() - begin
                finished(code, elapsed)
                if code in SERVER_FAULT_CODES:
                    access_log(method, code, elapsed, context)

        return grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=None, response_serializer=passing_encoded(handler.response_serializer)
        )


def _scan(metadata: Sequence[tuple[str, str | bytes]] | None) -> tuple[str, list[str]]:
    """The request id (the client's ``x-request-id`` if it is sane, else a new one) and every
    ``authorization`` value of the call."""
    request_id = ""
    authorization: list[str] = []
    for key, value in metadata or ():
        if key == "authorization":
            authorization.append(value if isinstance(value, str) else value.decode("latin-1"))
        elif key == "x-request-id" and isinstance(value, str):
            request_id = value
    if not request_id or len(request_id) > MAX_REQUEST_ID_LENGTH or not request_id.isprintable():
        request_id = f"{_REQUEST_ID_PREFIX}{next(_request_numbers):08x}"
    return request_id, authorization


def _decoder(handler: grpc.RpcMethodHandler) -> Callable[[bytes], Any]:
    deserialize = handler.request_deserializer
    if deserialize is None:
        return lambda body: body

    def decode(body: bytes) -> Any:
        try:
            return deserialize(body)
        except Exception:
            raise invalid_argument(
                [], reason="UNDECODABLE_REQUEST", message="the request body is not a valid message of the method"
            ) from None

    return decode


def _plain_status(code: grpc.StatusCode, message: str) -> grpc.Status:
    return rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message))


class _WrappedGenericHandler(grpc.GenericRpcHandler):
    """A generic handler whose method handlers come wrapped, each wrapped once."""

    def __init__(self, inner: grpc.GenericRpcHandler, wrap: Callable[[str, grpc.RpcMethodHandler], Any]) -> None:
        self._inner = inner
        self._wrap = wrap

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self._inner.service(handler_call_details)
        if handler is None:
            return None
        wrapped: grpc.RpcMethodHandler = self._wrap(handler_call_details.method, handler)
        return wrapped


class _MethodTable(grpc.GenericRpcHandler):
    """The wrapped handlers of every method a service registered by name: one dict look-up a call."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self.handlers.get(handler_call_details.method)


class MountingServer:
    """What the mount functions (generated ``add_*Servicer_to_server``, health, reflection) register
    on: the real server, with every method handler passed through the wrapper once, at start-up.

    Methods are served through grpc's generic path only, never registered by name with the server:
    grpc.aio's accept loop keeps one pending request per registered method and waits on all of them
    for every call (``asyncio.wait`` over one future per method: competition has 44 of its own), which
    cost each call more than the whole platform wrapper. Through the generic path it waits on one."""

    def __init__(self, server: aio.Server, wrapper: CallWrapper) -> None:
        self._server = server
        self._wrapper = wrapper
        # method -> (its handler, the wrapped handler): one entry per method, however often asked.
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        # Asked first: the generated code registers each service both generically and by name.
        self._table = _MethodTable()
        server.add_generic_rpc_handlers((self._table,))

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        known = self._wrapped.get(method)
        if known is not None and known[0] is handler:
            return known[1]
        wrapped = self._wrapper.wrap(method, handler)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Iterable[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers([_WrappedGenericHandler(h, self._wrap) for h in generic_rpc_handlers])

    def add_registered_method_handlers(self, service_name: str, method_handlers: dict[str, Any]) -> None:
        for name, handler in method_handlers.items():
            method = f"/{service_name}/{name}"
            self._table.handlers[method] = self._wrap(method, handler)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)
