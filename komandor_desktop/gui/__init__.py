"""The window: Qt widgets, item models, delegates, dialogs, and the bridge to the sync worker.

The only package of the client that imports Qt (``tests/test_architecture.py``
checks that nothing below it does). Its modules are imported one by one
(``from komandor_desktop.gui.mainwindow import MainWindow``); importing the
package itself loads nothing, so that the window's modules stay lazy imports
of the composition root (``komandor_desktop/window.py``).
"""
