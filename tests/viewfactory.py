"""The tests' ChatView factory: the demo's own (``gui.demo.demo_view``), one copy.

``make_view(chat_id, name, **fields)`` gives a view with defaults for what is
not given; the section follows the fields, and ``reason`` switches it off
with the texts of ``texts.py``, as ``build_views`` does.
"""

from komandor_desktop.gui.demo import demo_view as make_view

__all__ = ["make_view"]
