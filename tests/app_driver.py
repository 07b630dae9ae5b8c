"""Runs the real program in this process and drives its widgets as a user would.

``python tests/app_driver.py [--step ...] -- <komandor-desktop arguments>``

The program is started through its own entry point (``komandor_desktop.cli.main``,
what the ``komandor-desktop`` script calls), in a process of its own, on the
profile home the test gives it. Before that, this driver creates the
QApplication (the program's ``create_application`` takes an existing one) and a
timer that looks at the top-level widgets every 50 ms and plays the steps:
it types into the dialogs with real key events (``QTest``), presses their
buttons, and reports on standard output what it saw, one line per event
(``event: window-shown`` ...). Standard error stays the program's alone.

Steps (in order; each waits for its widget):
    login:PHONE:CODE:NAME   fill the login dialog (ASCII: QTest types no other keys),
                            press "Get code", then "Sign in"
    new-passphrase:TEXT     choose TEXT in the new-passphrase dialog (typed twice)
    unlock:TEXT             type TEXT into the unlock dialog and press OK
    expect-unlock-error     wait until the unlock dialog shows its error
    window                  wait for the main window, report ``window-shown``
    synced                  wait until the status line says the keys are in sync
    ctrl-q                  press Ctrl+Q in the main window
    close                   close the main window (its close button)

Lines read from standard input are steps too, played after the ones given.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def say(text: str) -> None:
    print(f"event: {text}", flush=True)


class Driver:
    def __init__(self, steps: list[str]) -> None:
        self.steps = deque(steps)
        self.done: set[int] = set()  # widgets already acted on (by id)
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
        self.stdin.activated.connect(self.read_stdin)

    def read_stdin(self, *_: object) -> None:
        line = sys.stdin.readline()
        if not line:
            self.stdin.setEnabled(False)
            return
        if line.strip():
            self.steps.append(line.strip())

    @staticmethod
    def shown(kind: str) -> QWidget | None:
        for widget in QApplication.topLevelWidgets():
            if type(widget).__name__ == kind and widget.isVisible():
                return widget
        return None

    def tick(self) -> None:
        if not self.steps:
            return
        name, _, arg = self.steps[0].partition(":")
        if getattr(self, "do_" + name.replace("-", "_"))(arg):
            say(f"done {self.steps.popleft()}")

    # -- steps: each returns True once it is done ----------------------------

    def do_login(self, arg: str) -> bool:
        dialog = self.shown("LoginDialog")
        if dialog is None or dialog.get_code is None:  # type: ignore[attr-defined]
            return False
        phone, code, name = arg.split(":")
        QTest.keyClicks(dialog.phone, phone)  # type: ignore[attr-defined]
        QTest.mouseClick(dialog.get_code, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.code, code)  # type: ignore[attr-defined]
        QTest.keyClicks(dialog.name, name)  # type: ignore[attr-defined]
        say("login-filled")
        QTimer.singleShot(300, lambda: self.press_ok(dialog))
        return True

    @staticmethod
    def press_ok(dialog: QWidget) -> None:
        from PySide6.QtWidgets import QDialogButtonBox

        button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)  # type: ignore[attr-defined]
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def do_new_passphrase(self, text: str) -> bool:
        dialog = self.shown("PassphraseDialog")
        if dialog is None or id(dialog) in self.done:
            return False
        self.done.add(id(dialog))
        fields = [dialog.first, dialog.repeat]  # type: ignore[attr-defined]
        for field in fields:
            field.setFocus()
            QTest.keyClicks(field, text)
        self.press_ok(dialog)
        return True

    def do_unlock(self, text: str) -> bool:
        dialog = self.shown("PassphraseDialog")
        if dialog is None or not dialog.buttons.isEnabled():  # type: ignore[attr-defined]
            return False
        field = dialog.first  # type: ignore[attr-defined]
        field.selectAll()
        QTest.keyClicks(field, text)
        self.press_ok(dialog)
        return True

    def do_expect_unlock_error(self, _arg: str) -> bool:
        dialog = self.shown("PassphraseDialog")
        return dialog is not None and dialog.error.isVisible()  # type: ignore[attr-defined]

    def do_window(self, _arg: str) -> bool:
        window = self.shown("MainWindow")
        if window is None:
            return False
        say("window-shown")
        return True

    def do_synced(self, _arg: str) -> bool:
        window = self.shown("MainWindow")
        return window is not None and window.status.state == "synced"  # type: ignore[attr-defined]

    def do_ctrl_q(self, _arg: str) -> bool:
        window = self.shown("MainWindow")
        if window is None:
            return False
        if QApplication.activeWindow() is not window:  # shortcuts go to the active window
            window.activateWindow()
            return False
        target = QApplication.focusWidget() or window
        QTest.keyClick(target, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
        return True

    def do_close(self, _arg: str) -> bool:
        window = self.shown("MainWindow")
        if window is None:
            return False
        window.close()
        return True


def main(argv: list[str]) -> int:
    split = argv.index("--")
    options, program = argv[:split], argv[split + 1:]
    steps = [options[i + 1] for i, arg in enumerate(options) if arg == "--step"]
    QApplication([sys.argv[0]])
    driver = Driver(steps)
    from komandor_desktop.cli import main as program_main

    code = program_main(program)
    driver.timer.stop()
    return code


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    raise SystemExit(main(sys.argv[1:]))
