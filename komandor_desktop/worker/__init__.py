"""The sync worker: the engine in a process of its own, and its message contract.

``contract`` defines the messages (no I/O); ``main`` is the worker process
(``python -m komandor_desktop.worker``); the window's side is ``gui/worker.py``.
"""
