"""JSON logs, one object per line, carrying the request id of the RPC being served.

Records are handed to a queue on the event loop and formatted and written by a writer thread, so
that a slow or blocked stderr (a full pipe, a stalled log shipper) never stalls the RPCs. The request
id is captured when the record is queued: the writer thread does not see the RPC's contextvars.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import logging
import logging.handlers
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, TextIO

import orjson

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def _line(
    service: str,
    created: float,
    level: str,
    logger: str,
    message: str,
    request_id: str,
    fields: object,
    trace: str | None = None,
) -> str:
    entry: dict[str, Any] = {
        "time": f"{_second(int(created))}.{int(created % 1 * 1000):03d}Z",
        "level": level,
        "service": service,
        "logger": logger,
        "message": message,
    }
    if request_id:
        entry["request_id"] = request_id
    if isinstance(fields, dict):
        entry.update(fields)
    if trace:
        entry["trace"] = trace
    try:
        return orjson.dumps(entry, default=str).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (an int beyond 64 bits): the standard encoder
        return _FALLBACK.encode(entry)


# Lines are formatted by orjson (times in ISO 8601, ``default=str`` for other odd field values):
# every write's access line is formatted, and the standard encoder took 4.3 µs a line against
# orjson's 0.7 in a warm loop (README, Operating at scale). The fallback is built once: json.dumps
# with options builds an encoder per line.
_FALLBACK = json.JSONEncoder(ensure_ascii=False, default=str)
# The last second formatted, and its text: lines come many to a second.
_last_second: tuple[int, str] = (-1, "")


def _second(seconds: int) -> str:
    global _last_second
    cached = _last_second  # one read: another thread may replace it, never half of it
    if cached[0] != seconds:
        cached = _last_second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    return cached[1]


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        return _line(
            self.service,
            record.created,
            record.levelname,
            record.name,
            record.getMessage(),
            getattr(record, "request_id", None) or request_id_var.get(),
            getattr(record, "fields", None),
            self.formatException(record.exc_info) if record.exc_info else None,
        )


@dataclass(frozen=True, slots=True)
class _Line:
    """A line queued without a LogRecord (see :func:`log_fields`)."""

    created: float
    level: int
    logger: str
    message: str
    request_id: str
    fields: dict[str, Any]


def log_fields(logger: logging.Logger, level: int, message: str, fields: dict[str, Any]) -> None:
    """``logger.log(level, message, extra={"fields": fields})``, the same line, for a line per call
    (the access log): when the writer thread is the only place lines go, the line is queued as it is,
    without building a LogRecord and passing it through the logger's handlers on the event loop.
    Measured on CreateCandidate, whose every call is logged: a line cost 0.05 ms of service CPU."""
    if not logger.isEnabledFor(level):
        return
    handler = _writer.handler if _writer is not None else None
    if handler is None or logging.root.handlers != [handler] or logger.handlers:
        logger.log(level, message, extra={"fields": fields})  # someone else listens too (tests, tools)
        return
    handler.enqueue(_Line(time.time(), level, logger.name, message, request_id_var.get(), fields))


# Records waiting for the writer beyond this are dropped (and counted): a stderr that stopped
# draining must cost lines, not memory.
MAX_QUEUED_RECORDS = 20_000
Records = queue.SimpleQueue[logging.LogRecord | _Line]


class _ContextQueueHandler(logging.handlers.QueueHandler):
    """Queues the record itself (formatting happens on the writer thread) with the request id of
    the RPC that logged it."""

    queue: Records

    def __init__(self, records: Records) -> None:
        super().__init__(records)
        self.dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return record

    def enqueue(self, record: logging.LogRecord | _Line) -> None:
        if self.queue.qsize() >= MAX_QUEUED_RECORDS:
            self.dropped += 1
            return
        self.queue.put_nowait(record)


_STOP = logging.LogRecord("", logging.NOTSET, "", 0, "", (), None)


class _BatchWriter:
    """Formats queued records and writes them to ``stream`` in batches: one write, and one wake-up of
    this thread, per ``interval`` rather than per line, so that the thread takes the interpreter
    lock from the event loop as rarely as it can."""

    def __init__(
        self,
        handler: _ContextQueueHandler,
        service: str,
        stream: TextIO,
        interval: float,
    ) -> None:
        self.handler = handler
        self._records = handler.queue
        self._reported_drops = 0
        self._service = service
        self._formatter = JsonFormatter(service)
        self._stream = stream
        self._interval = interval
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._records.put(_STOP)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            batch = [self._records.get()]
            if batch[0] is not _STOP:
                time.sleep(self._interval)  # let the lines of the next moments gather
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._records.get_nowait())
            lines = [self._format(record) for record in batch if record is not _STOP]
            dropped = self.handler.dropped - self._reported_drops
            if dropped:
                self._reported_drops += dropped
                lines.append(
                    json.dumps({"level": "WARNING", "message": f"{dropped} log lines dropped: stderr fell behind"})
                )
            if lines:
                # A closed or broken stderr must not kill the writer: the lines are lost, not the service.
                with contextlib.suppress(Exception):
                    self._stream.write("\n".join(lines) + "\n")
                    self._stream.flush()
            if any(record is _STOP for record in batch):
                return

    def _format(self, record: logging.LogRecord | _Line) -> str:
        try:
            if isinstance(record, _Line):
                name = logging.getLevelName(record.level)
                return _line(
                    self._service, record.created, name, record.logger, record.message, record.request_id, record.fields
                )
            return self._formatter.format(record)
        except Exception:
            logger = record.logger if isinstance(record, _Line) else record.name
            return json.dumps({"level": "ERROR", "message": "unformattable log record", "logger": logger})


# Lines reach stderr at most this long after they are logged. Each batch costs the writer a few
# takes of the interpreter lock, and a take while the event loop is busy is dear: the thread waits up
# to the switch interval (5 ms), woken without success at each of the loop's frequent releases of
# the lock, and each of those releases then signals it. Four batches a second instead of twenty
# took 0.010-0.015 ms of service CPU off every CreateCandidate (same-run A/B, README: Operating at
# scale); a second between batches gained no more.
WRITE_INTERVAL_SECONDS = 0.25

_writer: _BatchWriter | None = None


def configure_logging(service: str, level: str) -> None:
    global _writer
    stop_logging()
    handler = _ContextQueueHandler(queue.SimpleQueue())
    _writer = _BatchWriter(handler, service, sys.stderr, WRITE_INTERVAL_SECONDS)
    _writer.start()
    atexit.register(stop_logging)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our lines carry no source location, process or thread: skip gathering them for every record.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def stop_logging() -> None:
    """Write out what is queued; called at exit."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None
