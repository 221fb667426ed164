"""Page reading in a worker process that can be killed: a hostile file costs at most its limits.

pdfminer, pdfium, PIL, OpenCV and Tesseract run on bytes we do not control. A PDF whose object
references loop can keep pdfminer busy forever, a crafted image can ask for gigabytes. So pages
are read in a separate process, one document at a time, under

- a time limit per document (``read_timeout_seconds``): past it the worker and its Tesseract
  children are killed and the document is ``E_TIMEOUT``;
- a memory limit (``read_memory_mb``, ``RLIMIT_DATA`` set in the worker, plus a watch of its
  resident size from this side): past it the document is ``E_TOO_LARGE``.

Every exception a reader raises becomes a stable error code (``E_CORRUPT`` for a library that
chokes on the bytes), never a traceback. Workers are kept warm and reused across documents (the
imports cost about a second); one that was killed or failed is replaced at the next document.
"""
from __future__ import annotations

import atexit
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from core.errors import (
    CorruptFileError,
    QuoteReviewError,
    ReadTimeoutError,
    TooLargeError,
    UnreadableError,
)
from core.models import MediaType, PageText

_STARTUP_SECONDS = 120  # imports on a loaded machine; not counted in a document's time limit
_WATCH_INTERVAL = 0.05  # seconds between two looks at the worker's resident size


@dataclass(frozen=True)
class ReadLimits:
    timeout_seconds: float = 300.0
    memory_mb: int = 700
    workers: int = 2

    @classmethod
    def from_settings(cls) -> "ReadLimits":
        from core.settings import Settings

        settings = Settings.load()
        return cls(float(settings.read_timeout_seconds), int(settings.read_memory_mb), max(1, int(settings.read_workers)))


# --- the worker side ---------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    """End this worker and its Tesseract processes when the process that started it is gone (even
    killed with SIGKILL), checked every second by a daemon thread. (``PR_SET_PDEATHSIG`` would fire
    when the parent's *thread* that started the worker ends, which a Prefect task thread does.)"""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.killpg(0, signal.SIGKILL)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_main(requests: Connection, replies: Connection, memory_mb: int) -> None:
    """Serve read requests until the pipe closes. The worker leads its own process group, so
    killing the group also ends the Tesseract processes it started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    from extractors import read_pages_here
    from extractors import ocr, pdf_text  # noqa: F401 - imported once, before the limit applies

    limit = memory_mb * 1024 * 1024
    # RLIMIT_DATA counts the heap and private mappings (numpy arrays, pdfium bitmaps), not the
    # shared libraries, so it follows what a document makes the worker allocate.
    replies.send(("ready",))  # the imports do not count against the first document's time limit
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))

    while True:
        try:
            path, media_type = requests.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", read_pages_here(Path(path), media_type))
        except QuoteReviewError as error:
            reply = ("error", type(error).__name__, error.message, True)
        except MemoryError:
            # The worker may be left in a bad state: the parent replaces it.
            reply = ("error", "TooLargeError", f"reading its pages needs more than {memory_mb} MB", False)
        except RecursionError:
            reply = ("error", "CorruptFileError", "its structure nests without end (a reference loop)", False)
        except Exception as exc:  # noqa: BLE001 - every reader failure becomes a code, never a traceback
            if "memory" in str(exc).lower():  # OpenCV's and pdfium's own out-of-memory errors
                reply = ("error", "TooLargeError", f"reading its pages needs more than {memory_mb} MB", False)
            else:
                reply = ("error", "CorruptFileError", f"a reader failed on it ({type(exc).__name__}: {str(exc)[:200]})",
                         True)
        try:
            replies.send(reply)
        except MemoryError:
            replies.send(("error", "TooLargeError", f"its pages need more than {memory_mb} MB", False))


if __name__ == "__main__":
    _parent, _requests_fd, _replies_fd, _memory_mb = (int(value) for value in sys.argv[1:5])
    _die_with_parent(_parent)
    _worker_main(Connection(_requests_fd, writable=False), Connection(_replies_fd, readable=False), _memory_mb)
    sys.exit(0)


# --- the parent side ---------------------------------------------------------------------------

_ERRORS = {cls.__name__: cls for cls in (CorruptFileError, TooLargeError, ReadTimeoutError, UnreadableError)}


def _error_class(name: str) -> type[QuoteReviewError]:
    from core import errors

    found = getattr(errors, name, None)
    return found if isinstance(found, type) and issubclass(found, QuoteReviewError) else _ERRORS.get(name, UnreadableError)


def _resident_mb(pid: int) -> float:
    """The resident size of a process and its children (Tesseract), from /proc."""
    total_kb = 0
    for candidate in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{candidate}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            continue
    return total_kb / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


class _Worker:
    """``python -m extractors.isolation`` with two pipes: a plain subprocess, so nothing of the
    parent (threads, Prefect, the main module) is copied or re-imported into it."""

    def __init__(self, memory_mb: int) -> None:
        requests_read, requests_write = os.pipe()
        replies_read, replies_write = os.pipe()
        command = [sys.executable, "-m", "extractors.isolation", str(os.getpid()), str(requests_read),
                   str(replies_write), str(memory_mb)]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        self.process = subprocess.Popen(command, pass_fds=(requests_read, replies_write), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                                        process_group=0)
        os.close(requests_read)
        os.close(replies_write)
        self.requests = Connection(requests_write, readable=False)
        self.replies = Connection(replies_read, writable=False)
        try:
            ready = self.replies.poll(_STARTUP_SECONDS) and self.replies.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise UnreadableError(f"the page reader did not start within {_STARTUP_SECONDS} s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._close_pipes()

    def stop(self) -> None:
        self._close_pipes()  # the worker's recv() ends, and so does the worker
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for connection in (self.requests, self.replies):
            if not connection.closed:
                connection.close()


class ReaderInterrupted(QuoteReviewError):
    """The command is stopping (Ctrl-C, SIGTERM): reads in progress end at once."""

    code = "E_INTERRUPTED"


class ReaderPool:
    """Warm worker processes, one lent to each document being read."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self._busy: set[_Worker] = set()
        self._stopping = threading.Event()
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limits.workers)

    def read(self, path: Path, media_type: MediaType) -> list[PageText]:
        with self._slots:
            worker = self._take()
            healthy = False
            try:
                pages = self._ask(worker, path, media_type)
                healthy = True
                return pages
            except QuoteReviewError as error:
                # An error the worker answered leaves it fit for the next document; a kill does not.
                healthy = getattr(error, "worker_fit", False)
                raise
            finally:
                with self._lock:
                    self._busy.discard(worker)
                    if healthy:
                        self._idle.append(worker)
                if not healthy:
                    worker.kill()

    def _take(self) -> _Worker:
        if self._stopping.is_set():
            raise ReaderInterrupted("the command is stopping")
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    self._busy.add(worker)
                    return worker
                worker.kill()
        worker = _Worker(self.limits.memory_mb)
        with self._lock:
            self._busy.add(worker)
        return worker

    def interrupt(self) -> None:
        """Stop every read in progress and refuse new ones (the command is ending)."""
        self._stopping.set()
        with self._lock:
            busy = list(self._busy)
        for worker in busy:
            worker.kill()

    def _ask(self, worker: _Worker, path: Path, media_type: MediaType) -> list[PageText]:
        limits = self.limits
        if _resident_mb(worker.pid) > limits.memory_mb:  # a worker already over its limit at rest
            raise TooLargeError(f"reading its pages needed more than {limits.memory_mb} MB; it was stopped",
                                path=str(path))
        try:
            worker.requests.send((os.path.abspath(path), media_type))
        except OSError as exc:
            raise CorruptFileError("the page reader could not be reached", path=str(path)) from exc
        deadline = time.monotonic() + limits.timeout_seconds
        while not worker.replies.poll(_WATCH_INTERVAL):
            if self._stopping.is_set():
                raise ReaderInterrupted("the command is stopping", path=str(path))
            if not worker.alive():
                raise CorruptFileError(f"the page reader died on it (exit {worker.process.returncode})", path=str(path))
            if time.monotonic() > deadline:
                raise ReadTimeoutError(f"reading its pages took longer than {limits.timeout_seconds:g} s; it was stopped",
                                       path=str(path))
            if _resident_mb(worker.pid) > limits.memory_mb:
                raise TooLargeError(f"reading its pages needed more than {limits.memory_mb} MB; it was stopped",
                                    path=str(path))
        try:
            reply = worker.replies.recv()
        except (EOFError, OSError) as exc:
            raise CorruptFileError("the page reader died on it", path=str(path)) from exc
        if reply[0] == "ok":
            return reply[1]
        _, name, message, fit = reply
        error = _error_class(name)(message, path=str(path))
        error.worker_fit = fit
        raise error

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()


_pool: ReaderPool | None = None
_pool_lock = threading.Lock()


def reader_pool() -> ReaderPool:
    """The process's pool, made at first use with the limits of the settings."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ReaderPool(ReadLimits.from_settings())
            atexit.register(_pool.close)
        return _pool


def interrupt_reads() -> None:
    """Called on Ctrl-C or SIGTERM: the documents being read stop now, not at their time limit."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        pool.interrupt()


def set_limits(limits: ReadLimits) -> None:
    """Replace the pool (tests, or a command given other limits)."""
    global _pool
    with _pool_lock:
        old, _pool = _pool, ReaderPool(limits)
        atexit.register(_pool.close)
    if old is not None:
        old.close()
