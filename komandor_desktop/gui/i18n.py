"""Languages of the window: English source strings, a Russian Qt translation.

Widgets write their words with ``self.tr("English")``; ``resources/i18n/
komandor_ru.ts`` holds the Russian of UI.md and ``komandor_ru.qm`` is its
compiled form (``pyside6-lrelease``, committed; tests check it is current).
Russian is the default; ``--lang en`` or ``KOMANDOR_LANG=en`` switch to the
source strings (``config.ClientConfig.lang`` decides which, once). Switching at
run time removes / installs the translator, and Qt sends every widget a
``LanguageChange`` event to retranslate itself.

Which language is active is itself a translation — the string "en" in the
"Language" context translates to "ru" — so any code with a Qt app can ask
``current_language()`` without a global of ours.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator, Signal

from .icons import RESOURCES

I18N = RESOURCES / "i18n"
QM_RU = I18N / "komandor_ru.qm"
TS_RU = I18N / "komandor_ru.ts"


def current_language() -> str:
    """ "ru" or "en": whatever the installed translators make of it."""
    return QCoreApplication.translate("Language", "en")


class LanguageSwitch(QObject):
    """Owns the app's translators and swaps them.

    Signals:
        languageChanged(str): after a switch, with "ru" or "en".
    """

    languageChanged = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ours: QTranslator | None = None
        self._qt: QTranslator | None = None
        self._lang = "en"

    @property
    def language(self) -> str:
        return self._lang

    def set_language(self, lang: str) -> None:
        """Install the translators of ``lang`` ("ru" or "en") on the running app."""
        lang = "en" if lang == "en" else "ru"
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("create the QApplication before choosing a language")
        for old in (self._ours, self._qt):
            if old is not None:
                app.removeTranslator(old)
        self._ours = self._qt = None
        if lang == "ru":
            self._ours = self._load(str(QM_RU))
            qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
            self._qt = self._load(f"{qt_dir}/qtbase_ru.qm", f"{qt_dir}/qt_ru.qm", required=False)
            QLocale.setDefault(QLocale("ru_RU"))
        else:
            QLocale.setDefault(QLocale("en_GB"))
        for translator in (self._ours, self._qt):
            if translator is not None:
                app.installTranslator(translator)
        changed = lang != self._lang
        self._lang = lang
        if changed:
            self.languageChanged.emit(lang)

    def _load(self, *paths: str, required: bool = True) -> QTranslator | None:
        for path in paths:
            translator = QTranslator(self)
            if translator.load(path):
                return translator
        if required:
            raise FileNotFoundError(f"translation missing: {paths[0]}")
        return None
