"""The local AWS's state kept across restarts: snapshots of moto's backends in the state folder.

The moto server runs in this process, so its backends (tables and their items, queues and their messages,
buckets and their objects, schedules, state machines and their executions, secrets, SES identities) are Python
objects: pickled together into `<state>/aws-state.pickle`, within a second of any request that may have changed
them and once more at a clean stop, and loaded back before the stack builds its resources (which finds them
there and keeps them). A hard kill loses at most the last second; `kefu local reset` deletes the file.

A snapshot is taken while no request is in the server: requests hold a shared lock that the snapshot takes
exclusively. Readers never wait for a waiting snapshot (a request may call the server again from inside, as
Step Functions tasks do), so a snapshot waits for a quiet moment instead. Queue pollers' long polls (up to 20 s in
the server) take no lock: a message they move while a snapshot reads the queue makes it read again.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "aws-state.pickle"
#: The moto services whose state the stack keeps (what the templates create and the functions write).
SERVICES = (
    "dynamodb",
    "dynamodbstreams",
    "sqs",
    "s3",
    "scheduler",
    "stepfunctions",
    "secretsmanager",
    "ses",
    "sesv2",
    "sns",
    "events",
    "logs",
)
#: Actions that only read (by their `X-Amz-Target` suffix): they leave no change to snapshot.
_READS = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "Receive", "Head")
_ATTEMPTS = 5
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _SharedLock:
    """Many requests at once, or one snapshot alone; requests never wait for a waiting snapshot."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0

    def acquire_shared(self) -> None:
        with self._condition:
            self._readers += 1

    def release_shared(self) -> None:
        with self._condition:
            self._readers -= 1
            if self._readers == 0:
                self._condition.notify_all()

    def acquire_exclusive(self) -> None:
        self._condition.acquire()
        self._condition.wait_for(lambda: self._readers == 0)

    def release_exclusive(self) -> None:
        self._condition.release()


class _Pickler(pickle.Pickler):
    """Locks inside moto's objects (a queue's) are pickled as new, unlocked locks. A DynamoDB item's attributes
    (moto's LimitedSizeDict) are pickled as the plain dict they hold and built back in one step: unpickled as
    themselves, each attribute put back would re-add the sizes of all the others (moto's item size check, quadratic
    in the attributes), most of the time a restore takes."""

    def __init__(self, file: io.BytesIO) -> None:
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        # Looked up once: reducer_override runs for every object pickled.
        self._limited_size_dict: type[dict[str, Any]] = LimitedSizeDict

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK_TYPES):
            return (threading.RLock if type(obj) is _LOCK_TYPES[1] else threading.Lock), ()
        if type(obj) is self._limited_size_dict:
            # LimitedSizeDict(mapping) fills itself with dict.update, which does not call its __setitem__.
            return type(obj), (dict(obj),), vars(obj) or None
        return NotImplemented


def dumps(state: Any) -> bytes:
    """Pickled moto state (backends, or parts of them): the locks inside moto's objects come back as new ones."""
    buffer = io.BytesIO()
    _Pickler(buffer).dump(state)
    return buffer.getvalue()


def _backends() -> dict[str, Any]:
    from moto.backends import get_backend

    # moto types get_backend by each service's literal name; these are moto's names, checked by it at run time.
    return {name: get_backend(name) for name in SERVICES}  # type: ignore[call-overload]


def is_long_poll(environ: dict[str, Any]) -> bool:
    return environ.get("HTTP_X_AMZ_TARGET", "") == "AmazonSQS.ReceiveMessage"


def is_read(environ: dict[str, Any]) -> bool:
    method = environ.get("REQUEST_METHOD", "")
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    action = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
    return bool(action) and action.startswith(_READS)


class Snapshots:
    """Saves the backends to `state_dir` after changes (at most `interval` seconds behind) and at stop."""

    def __init__(self, state_dir: Path, interval: float = 1.0):
        self.path = state_dir / SNAPSHOT_FILE
        self.interval = interval
        self._lock = _SharedLock()
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.saved = 0

    def restore(self) -> bool:
        """The backends as last saved, if a snapshot exists; whether one did."""
        if not self.path.is_file():
            return False
        try:
            saved = pickle.loads(self.path.read_bytes())
        except Exception as err:  # a snapshot from another moto version, or cut short: start clean, say so
            log.warning("the local AWS state in %s could not be read (%s); starting clean", self.path, err)
            return False
        for name, backend in _backends().items():
            if name in saved:
                backend.clear()
                backend.update(saved[name])
                # What the service keeps beside its accounts' backends (S3: which account owns which bucket).
                vars(backend).update(vars(saved[name]))
        return True

    def wrap(self, app: Wsgi) -> Wsgi:
        """The moto server's WSGI app, counting requests in (shared) and noting those that may change state."""

        def tracked(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if is_long_poll(environ):
                # A queue poller's ReceiveMessage waits up to 20 s inside the server: holding the lock that long
                # would keep snapshots out for good. It changes only which messages are in flight.
                return app(environ, start_response)
            self._lock.acquire_shared()
            try:
                # The body is produced here, inside the lock: moto answers with a list, not a stream.
                return list(app(environ, start_response))
            finally:
                self._lock.release_shared()
                if not is_read(environ):
                    self._changed.set()

        return tracked

    def save(self) -> None:
        """Every kept backend, pickled while no request runs, written atomically."""
        pickled = b""
        self._lock.acquire_exclusive()
        try:
            self._changed.clear()
            for attempt in range(_ATTEMPTS):
                try:
                    pickled = dumps(dict(_backends()))
                    break
                except RuntimeError:
                    # A long poll moved a message while the queue was being read ("changed size during
                    # iteration"): read it again.
                    if attempt == _ATTEMPTS - 1:
                        raise
        finally:
            self._lock.release_exclusive()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_bytes(pickled)
        os.replace(partial, self.path)
        self.saved += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kefu-local-snapshots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self._changed.wait(self.interval) and not self._stopping.is_set():
                try:
                    self.save()
                except Exception:  # a failed snapshot must not stop the stack; the next change tries again
                    log.exception("could not save the local AWS state to %s", self.path)
                self._stopping.wait(self.interval)

    def stop(self) -> None:
        """Stop saving in the background and save once more: everything acknowledged before the stop is kept."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.save()


def reset(state_dir: Path) -> bool:
    """Forget the local AWS state (the next start is clean); whether there was one."""
    path = state_dir / SNAPSHOT_FILE
    existed = path.is_file()
    path.unlink(missing_ok=True)
    return existed
