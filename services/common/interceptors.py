"""Server interceptors: observability (request id, JSON access log, Prometheus metrics), error
mapping, and authentication. Each wraps the method's behaviour so that it runs in the RPC's own task
and its contextvars reach the servicer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from services.common.auth import TokenVerifier, current_caller
from services.common.errors import DomainError
from services.common.grpc_errors import internal_status, to_status
from services.common.logs import request_id_var
from services.common.metrics import GrpcServerMetrics, code_label

log = logging.getLogger("rpc")

Behavior = Callable[[Any, aio.ServicerContext], Awaitable[Any]]
Wrap = Callable[[Behavior, str], Behavior]

# Health checks and reflection stay open to probes and tools without a token.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


def _wrap_handler(handler: grpc.RpcMethodHandler | None, method: str, wrap: Wrap) -> Any:
    """Rebuild ``handler`` with its single-response behaviour wrapped; streaming responses pass."""
    if handler is None:
        return None
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, method),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


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


class ObservabilityInterceptor(aio.ServerInterceptor):
    def __init__(self, metrics: GrpcServerMetrics) -> None:
        self.metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        kind = "unary" if handler is not None and handler.unary_unary is not None else "client_stream"
        metadata = dict(handler_call_details.invocation_metadata or ())

        def wrap(behavior: Behavior, method: str) -> Behavior:
            service, name = _split(method)

            async def observed(request: Any, context: aio.ServicerContext) -> Any:
                request_id_var.set(str(metadata.get("x-request-id") or uuid.uuid4().hex))
                self.metrics.started.labels(kind, service, name).inc()
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
                    self.metrics.handled.labels(kind, service, name, code_label(code)).inc()
                    self.metrics.handling_seconds.labels(kind, service, name).observe(elapsed)
                    caller = current_caller.get()
                    log.info(
                        "rpc",
                        extra={
                            "fields": {
                                "method": method,
                                "code": code.name,
                                "duration_ms": round(elapsed * 1000, 3),
                                "subject": caller.subject if caller else None,
                                "peer": context.peer(),
                            }
                        },
                    )

            return observed

        return _wrap_handler(handler, handler_call_details.method, wrap)


class ErrorInterceptor(aio.ServerInterceptor):
    """DomainError → its canonical code with ErrorInfo and BadRequest details; anything unexpected →
    INTERNAL with a safe message, the trace going to the log and never to the client."""

    def __init__(self, domain: str) -> None:
        self.domain = domain

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)

        def wrap(behavior: Behavior, method: str) -> Behavior:
            async def mapped(request: Any, context: aio.ServicerContext) -> Any:
                try:
                    return await behavior(request, context)
                except DomainError as error:
                    await context.abort_with_status(to_status(error, self.domain))
                except aio.AbortError:
                    raise
                except NotImplementedError:
                    # What the generated base servicer raises for a method nobody implemented.
                    await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented")
                except Exception:
                    log.exception("unexpected error", extra={"fields": {"method": method}})
                    await context.abort_with_status(internal_status(self.domain))

            return mapped

        return _wrap_handler(handler, handler_call_details.method, wrap)


class AuthInterceptor(aio.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        service, _ = _split(handler_call_details.method)
        if service in OPEN_SERVICES:
            return handler
        authorization = dict(handler_call_details.invocation_metadata or ()).get("authorization")

        def wrap(behavior: Behavior, method: str) -> Behavior:
            async def authenticated(request: Any, context: aio.ServicerContext) -> Any:
                current_caller.set(self.verifier.verify(str(authorization) if authorization else None))
                return await behavior(request, context)

            return authenticated

        return _wrap_handler(handler, handler_call_details.method, wrap)
