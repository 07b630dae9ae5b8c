"""Last-message previews, decrypted off the paint path in small batches.

The window's views come without their last messages (``ChatView.pending_message``
holds the ciphertext): decrypting one means reading the chat and checking and
importing its key, a millisecond or two of crypto — too much to do inside
``data()`` while Qt paints a screen of rows. So painting only *asks*:
``lookup`` returns the view as it is (the second line stays empty) and queues
the chat; a worker thread decrypts the queue ``BATCH`` chats at a time, and
``ready`` names the chats whose previews came in, so the models repaint just
those rows. A preview is decrypted once per built view: an equal view of a
later sync reuses it, a changed one is decrypted again.

``resolve`` decrypts at once: for one chat the user chose (the profile pane,
the inspector), not for painting.

Signals:
    ready(list): chat ids whose previews were decrypted (repaint their rows).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from ..views import ChatView

log = logging.getLogger(__name__)

Previews = Callable[[str], str | None]  # chat id -> decrypted last message
BATCH = 16  # chats per trip to the thread: small, so the window gets the GIL in between
CLOSE_WAIT_S = 5.0

Results = list[tuple[ChatView, str | None]]


class _Relay(QObject):
    """Carries a batch's results from the thread to the GUI thread.

    The thread never touches a cache's Qt object (its model may be deleted
    meanwhile, with its window): it emits on this one, which lives as long as
    the process, and the slot hands the results over only to a cache that
    still exists.
    """

    delivered = Signal(object, object)  # (weak reference to the cache, results)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._hand_over)

    @staticmethod
    def _hand_over(ref: weakref.ref[PreviewCache], results: Results) -> None:
        cache = ref()
        if cache is not None and shiboken6.isValid(cache):
            cache._deliver(results)  # noqa: SLF001 - this module's


_relay: _Relay | None = None
_pool: ThreadPoolExecutor | None = None


def _shared() -> tuple[_Relay, ThreadPoolExecutor]:
    """The relay and the one decrypting thread, made on first use (on the GUI thread)."""
    global _relay, _pool
    if _relay is None:
        _relay = _Relay()
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="previews")
    return _relay, _pool


class PreviewCache(QObject):
    """Decrypted previews by chat id, filled in the background for the rows shown.

    Args:
        source: ``chat_id -> str | None`` (``Reader.preview``); None shows
            views as built (tests, the demo views).
    """

    ready = Signal(list)

    def __init__(self, source: Previews | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._done: dict[str, tuple[ChatView, ChatView]] = {}  # id -> (as built, shown)
        self._queue: dict[str, ChatView] = {}
        self._busy = False
        self._closed = False
        self._inflight: Future[Results] | None = None

    def _hit(self, view: ChatView) -> ChatView | None:
        if view.pending_message is None or self.source is None:
            return view
        hit = self._done.get(view.id)
        if hit is not None and (hit[0] is view or hit[0] == view):
            return hit[1]
        return None

    def lookup(self, view: ChatView) -> ChatView:
        """For painting: the decrypted view if known, else ``view`` (and decrypt it soon)."""
        hit = self._hit(view)
        if hit is not None or self._closed:
            return view if hit is None else hit
        self._queue[view.id] = view
        if not self._busy:
            self._busy = True
            QTimer.singleShot(0, self._next)
        return view

    def resolve(self, view: ChatView) -> ChatView:
        """``view`` with its preview decrypted now (one chosen chat, not a screen of rows)."""
        hit = self._hit(view)
        if hit is not None:
            return hit
        return self._keep(view, self._decrypt(view.id))

    def known(self, chat_id: str) -> str | None:
        """The preview of ``chat_id`` if it was decrypted already (the search reads these)."""
        hit = self._done.get(chat_id)
        return None if hit is None else hit[1].last_message

    def prune(self, views: Mapping[str, ChatView]) -> None:
        """Forget previews of chats that are gone or whose view changed."""
        stale = [cid for cid, (built, _) in self._done.items() if views.get(cid) != built]
        for cid in stale:
            del self._done[cid]

    def close(self) -> None:
        """No more background work; waits for a batch under way (before the store closes)."""
        self._closed = True
        self._queue.clear()
        if self._inflight is not None:
            wait([self._inflight], timeout=CLOSE_WAIT_S)

    # -- the background ------------------------------------------------------

    def _decrypt(self, chat_id: str) -> str | None:
        assert self.source is not None
        try:
            return self.source(chat_id)
        except Exception:  # a preview must never break the list
            log.exception("decrypting the preview of %s failed", chat_id)
            return None

    def _keep(self, view: ChatView, text: str | None) -> ChatView:
        shown = replace(view, last_message=text, pending_message=None)
        self._done[view.id] = (view, shown)
        return shown

    def _next(self) -> None:
        if not self._queue or self._closed:
            self._busy = False
            return
        batch = [self._queue.pop(cid) for cid in list(self._queue)[:BATCH]]
        relay, pool = _shared()
        ref = weakref.ref(self)
        self._inflight = future = pool.submit(self._decrypt_batch, batch)
        future.add_done_callback(lambda done: relay.delivered.emit(ref, done.result()))

    def _decrypt_batch(self, batch: list[ChatView]) -> Results:
        """In the thread: Python only (no Qt object is touched here)."""
        return [(view, self._decrypt(view.id)) for view in batch if not self._closed]

    def _deliver(self, results: Results) -> None:
        self._inflight = None
        if self._closed:
            return
        for view, text in results:
            self._keep(view, text)
        self.ready.emit([view.id for view, _ in results])
        self._next()
