"""The Qt binding itself: a binding that loses references to None crashes the window.

PySide6 6.12.0 on Python 3.11 returns None from every void method without
taking a reference, so each ``setText``/``appendRow``/``index.data()`` that
answers None drops one; after some thousands of calls CPython aborts with
"none_dealloc" (a 10,000-row list did it in the benchmark). pyproject.toml
keeps that release out; this test fails on any binding that still does it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel

CALLS = 2000


class _Model(QAbstractListModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        return None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from 3.12 on")
def test_void_calls_and_none_answers_keep_none_alive(qtbot: object) -> None:
    label, timer, model, items = QLabel(), QTimer(), _Model(), QStandardItemModel()
    calls: dict[str, Callable[[], object]] = {
        "QLabel.setText": lambda: label.setText("a"),
        "QTimer.setInterval": lambda: timer.setInterval(5),
        "QStandardItemModel.appendRow": lambda: items.appendRow(QStandardItem("x")),
        "QModelIndex.data -> None": lambda: model.index(1, 0).data(Qt.ItemDataRole.UserRole),
    }
    for name, call in calls.items():
        before = sys.getrefcount(None)
        for _ in range(CALLS):
            call()
        # a fixed binding may keep a few more; a broken one loses one per call
        assert sys.getrefcount(None) >= before - 10, name
