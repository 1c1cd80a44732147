"""Server interceptors: observability (request id, JSON access log, Prometheus metrics), error
mapping, and authentication. Each wraps the method's behaviour so that it runs in the RPC's own task
and its contextvars reach the servicer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc import aio

from services.common.auth import TokenVerifier, current_caller
from services.common.errors import DomainError
from services.common.grpc_errors import infrastructure_status, internal_status, to_status
from services.common.logs import request_id_var
from services.common.metrics import GrpcServerMetrics, code_label

log = logging.getLogger("rpc")

Behavior = Callable[[Any, aio.ServicerContext], Awaitable[Any]]

# Health checks and reflection stay open to probes and tools without a token.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.lstrip("/").rpartition("/")
    return service, name


def _code_of(context: aio.ServicerContext) -> grpc.StatusCode:
    code = context.code()
    if code is None:
        return grpc.StatusCode.OK
    if isinstance(code, grpc.StatusCode):
        return code
    return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)


@dataclass(frozen=True)
class Call:
    """What an interceptor knows of a call before it runs."""

    method: str  # "/talent.v1.TalentService/GetCandidate"
    service: str  # "talent.v1.TalentService"
    name: str  # "GetCandidate"
    kind: str  # "unary" or "client_stream"
    metadata: dict[str, Any]


class BehaviorInterceptor(aio.ServerInterceptor):
    """Wraps the behaviour of every single-response method; subclasses say how in ``wrap``.

    The wrapper runs in the RPC's own task, so contextvars it sets reach the servicer."""

    def applies_to(self, call: Call) -> bool:
        return True

    def wrap(self, behavior: Behavior, call: Call) -> Behavior:
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        service, name = _split(handler_call_details.method)
        kind = "unary" if handler.unary_unary is not None else "client_stream"
        call = Call(
            handler_call_details.method, service, name, kind, dict(handler_call_details.invocation_metadata or ())
        )
        if not self.applies_to(call):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self.wrap(handler.unary_unary, call),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self.wrap(handler.stream_unary, call),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler


class ObservabilityInterceptor(BehaviorInterceptor):
    """Request id, one JSON access-log line and the Prometheus server metrics per call."""

    def __init__(self, metrics: GrpcServerMetrics) -> None:
        self.metrics = metrics

    def wrap(self, behavior: Behavior, call: Call) -> Behavior:
        labels = (call.kind, call.service, call.name)

        async def observed(request: Any, context: aio.ServicerContext) -> Any:
            request_id_var.set(str(call.metadata.get("x-request-id") or uuid.uuid4().hex))
            self.metrics.started.labels(*labels).inc()
            started = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                response = await behavior(request, context)
                code = _code_of(context)
                return response
            except aio.AbortError:
                code = _code_of(context)
                raise
            except asyncio.CancelledError:
                # The client went away or its deadline passed: not a server fault.
                code = grpc.StatusCode.CANCELLED
                raise
            except BaseException:
                code = grpc.StatusCode.UNKNOWN
                raise
            finally:
                elapsed = time.perf_counter() - started
                self.metrics.handled.labels(*labels, code_label(code)).inc()
                self.metrics.handling_seconds.labels(*labels).observe(elapsed)
                caller = current_caller.get()
                log.info(
                    "rpc",
                    extra={
                        "fields": {
                            "method": call.method,
                            "code": code.name,
                            "duration_ms": round(elapsed * 1000, 3),
                            "subject": caller.subject if caller else None,
                            "peer": context.peer(),
                        }
                    },
                )

        return observed


class ErrorInterceptor(BehaviorInterceptor):
    """DomainError → its canonical code with ErrorInfo and BadRequest details; anything unexpected →
    INTERNAL with a safe message, the trace going to the log and never to the client."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    def wrap(self, behavior: Behavior, call: Call) -> Behavior:
        async def mapped(request: Any, context: aio.ServicerContext) -> Any:
            try:
                return await behavior(request, context)
            except DomainError as error:
                await context.abort_with_status(to_status(error, self.domain))
            except aio.AbortError:
                raise
            except NotImplementedError:
                # What the generated base servicer raises for a method nobody implemented.
                await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{call.method} is not implemented")
            except Exception as error:
                transient = infrastructure_status(error, self.domain)
                if transient is not None:
                    log.warning(
                        "transient failure: %s", type(error).__name__, extra={"fields": {"method": call.method}}
                    )
                    await context.abort_with_status(transient)
                log.exception("unexpected error", extra={"fields": {"method": call.method}})
                await context.abort_with_status(internal_status(self.domain))

        return mapped


class AuthInterceptor(BehaviorInterceptor):
    """The caller from the bearer token, for every service but health and reflection."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    def applies_to(self, call: Call) -> bool:
        return call.service not in OPEN_SERVICES

    def wrap(self, behavior: Behavior, call: Call) -> Behavior:
        async def authenticated(request: Any, context: aio.ServicerContext) -> Any:
            # Every value, not the dict's last one: two authorization headers are refused.
            values = [str(v) for k, v in context.invocation_metadata() or () if k == "authorization"]
            current_caller.set(await self.verifier.verify(values))
            return await behavior(request, context)

        return authenticated
