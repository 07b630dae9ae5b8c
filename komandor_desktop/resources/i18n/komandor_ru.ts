<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU" sourcelanguage="en">
<context>
    <name>AddContactsDialog</name>
    <message>
        <source>Add contacts…</source>
        <translation>Добавить контакты…</translation>
    </message>
    <message>
        <source>+7 (9XX) XXX-XX-XX, one per line</source>
        <translation>+7 (9XX) XXX-XX-XX, по одному на строку</translation>
    </message>
    <message>
        <source>Phone numbers, one per line</source>
        <translation>Номера телефонов, по одному на строку</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Добавить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Enter at least one phone number.</source>
        <translation>Введите хотя бы один номер телефона.</translation>
    </message>
    <message>
        <source>“{text}” is your own number: no need to add it.</source>
        <translation>«{text}» — это ваш собственный номер: добавлять его не нужно.</translation>
    </message>
</context>
<context>
    <name>ChatDelegate</name>
    <message>
        <source>IND</source>
        <translation>ФЛ</translation>
    </message>
    <message>
        <source>SP</source>
        <translation>ИП</translation>
    </message>
    <message>
        <source>CO</source>
        <translation>ЮЛ</translation>
    </message>
</context>
<context>
    <name>ChatListPane</name>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation>Поиск (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Поиск</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Все</translation>
    </message>
    <message>
        <source>All chats</source>
        <translation>Все чаты</translation>
    </message>
    <message>
        <source>Unread</source>
        <translation>Непрочитанные</translation>
    </message>
    <message>
        <source>Unread chats only</source>
        <translation>Только непрочитанные</translation>
    </message>
    <message>
        <source>Clear the search</source>
        <translation>Очистить поиск</translation>
    </message>
    <message>
        <source>Chats</source>
        <translation>Чаты</translation>
    </message>
    <message>
        <source>Chat inspector</source>
        <translation>Инспектор чата</translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation>Ничего не найдено</translation>
    </message>
    <message>
        <source>No unread chats</source>
        <translation>Нет непрочитанных чатов</translation>
    </message>
</context>
<context>
    <name>DetailPanel</name>
    <message>
        <source>Select a chat to see its profile.</source>
        <translation>Выберите чат, чтобы увидеть профиль.</translation>
    </message>
    <message>
        <source>Chat inspector</source>
        <translation>Инспектор чата</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Группа</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Канал</translation>
    </message>
    <message>
        <source>System</source>
        <translation>системный</translation>
    </message>
    <message>
        <source>Individual</source>
        <translation>ФЛ</translation>
    </message>
    <message>
        <source>Sole proprietor</source>
        <translation>ИП</translation>
    </message>
    <message>
        <source>Company</source>
        <translation>ЮЛ</translation>
    </message>
    <message>
        <source>Verified profile</source>
        <translation>Проверенный профиль</translation>
    </message>
    <message>
        <source>Switched off</source>
        <translation>Чат выключен</translation>
    </message>
    <message>
        <source>Server status: {status}.</source>
        <translation>Статус на сервере: {status}.</translation>
    </message>
    <message>
        <source>Last message</source>
        <translation>Последнее сообщение</translation>
    </message>
    <message>
        <source>from {name}</source>
        <translation>от {name}</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>отправлено</translation>
    </message>
    <message>
        <source>delivered</source>
        <translation>доставлено</translation>
    </message>
    <message>
        <source>read</source>
        <translation>прочитано</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>Сертификаты</translation>
    </message>
    <message>
        <source>checks passed</source>
        <translation>проверки пройдены</translation>
    </message>
    <message>
        <source>waiting for a key</source>
        <translation>ждёт ключ</translation>
    </message>
</context>
<context>
    <name>InspectorDialog</name>
    <message>
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <source>no</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>pending since {time}</source>
        <translation>ожидает отправки с {time}</translation>
    </message>
    <message>
        <source>waiting for a key</source>
        <translation>ждёт ключ</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>Чат</translation>
    </message>
    <message>
        <source>Server status</source>
        <translation>Статус на сервере</translation>
    </message>
    <message>
        <source>Switched on</source>
        <translation>Включён</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Причина</translation>
    </message>
    <message>
        <source>Explanation</source>
        <translation>Пояснение</translation>
    </message>
    <message>
        <source>Key id</source>
        <translation>Ключ</translation>
    </message>
    <message>
        <source>Key signer</source>
        <translation>Подписал ключ</translation>
    </message>
    <message>
        <source>Key check</source>
        <translation>Проверка ключа</translation>
    </message>
    <message>
        <source>Outbox</source>
        <translation>Очередь отправки</translation>
    </message>
    <message>
        <source>hash</source>
        <translation>хэш</translation>
    </message>
    <message>
        <source>check</source>
        <translation>проверка</translation>
    </message>
    <message>
        <source>wait list</source>
        <translation>лист ожидания</translation>
    </message>
    <message>
        <source>Certificates and the wait list</source>
        <translation>Сертификаты и лист ожидания</translation>
    </message>
    <message>
        <source>Raw JSON from the server</source>
        <translation>JSON с сервера</translation>
    </message>
    <message>
        <source>Copy as JSON</source>
        <translation>Копировать как JSON</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Chat inspector</source>
        <translation>Инспектор чата</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <source>en</source>
        <translation>ru</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Sign in to Komandor</source>
        <translation>Вход в Командор</translation>
    </message>
    <message>
        <source>The server asks to wait: you can ask for a new code in {seconds} s.</source>
        <translation>Сервер просит подождать: новый код можно запросить через {seconds} с.</translation>
    </message>
    <message>
        <source>The code was sent to {phone}</source>
        <translation>Код отправлен на {phone}</translation>
    </message>
    <message>
        <source>Send again in {seconds} s</source>
        <translation>Получить код ещё раз через {seconds} с</translation>
    </message>
    <message>
        <source>Send the code again</source>
        <translation>Получить код ещё раз</translation>
    </message>
    <message>
        <source>Get code</source>
        <translation>Получить код</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Войти</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Сервер</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>Code from SMS</source>
        <translation>Код из СМС</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Адрес сервера</translation>
    </message>
    <message>
        <source>Phone number</source>
        <translation>Номер телефона</translation>
    </message>
    <message>
        <source>Name (optional)</source>
        <translation>Имя (необязательно)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Enter the server address, e.g. https://komandor.example.ru</source>
        <translation>Введите адрес сервера, например https://komandor.example.ru</translation>
    </message>
    <message>
        <source>Enter the code from the SMS.</source>
        <translation>Введите код из СМС.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Komandor</source>
        <translation>Командор</translation>
    </message>
    <message>
        <source>Komandor — {name}</source>
        <translation>Командор — {name}</translation>
    </message>
    <message>
        <source>Sync now (F5)</source>
        <translation>Синхронизировать (F5)</translation>
    </message>
    <message>
        <source>Add contacts…</source>
        <translation>Добавить контакты…</translation>
    </message>
    <message>
        <source>Chat inspector</source>
        <translation>Инспектор чата</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Поиск</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Выход</translation>
    </message>
    <message>
        <source>Keyboard shortcuts (F1)</source>
        <translation>Сочетания клавиш (F1)</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>Меню</translation>
    </message>
    <message>
        <source>Profile</source>
        <translation>Профиль</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>More actions</source>
        <translation>Другие действия</translation>
    </message>
</context>
<context>
    <name>PassphraseDialog</name>
    <message>
        <source>New passphrase</source>
        <translation>Новая парольная фраза</translation>
    </message>
    <message>
        <source>Unlock the profile</source>
        <translation>Открыть профиль</translation>
    </message>
    <message>
        <source>Choose a passphrase for {profile}.</source>
        <translation>Придумайте парольную фразу для профиля {profile}.</translation>
    </message>
    <message>
        <source>Enter the passphrase of {profile}.</source>
        <translation>Введите парольную фразу профиля {profile}.</translation>
    </message>
    <message>
        <source>The passphrase protects your keys on this computer. Nobody can recover it, not even the server: keep it safe.</source>
        <translation>Парольная фраза защищает ваши ключи на этом компьютере. Восстановить её не сможет никто, даже сервер: не потеряйте её.</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>Парольная фраза</translation>
    </message>
    <message>
        <source>Repeat the passphrase</source>
        <translation>Повторите парольную фразу</translation>
    </message>
    <message>
        <source>Remember in the system keyring</source>
        <translation>Запомнить в связке ключей системы</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>Открыть</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation>Ещё раз</translation>
    </message>
    <message>
        <source>Enter the passphrase.</source>
        <translation>Введите парольную фразу.</translation>
    </message>
    <message>
        <source>The passphrase must be at least {count} characters long.</source>
        <translation>Парольная фраза должна быть не короче {count} символов.</translation>
    </message>
    <message>
        <source>Repeat the passphrase in the second field.</source>
        <translation>Повторите фразу во втором поле.</translation>
    </message>
    <message>
        <source>The two passphrases do not match: type the same one twice.</source>
        <translation>Фразы не совпадают: введите одну и ту же дважды.</translation>
    </message>
    <message>
        <source>Wrong passphrase. Try again.</source>
        <translation>Неверная парольная фраза. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Too short: at least {count} characters</source>
        <translation>Слишком короткая: нужно не меньше {count} символов</translation>
    </message>
    <message>
        <source>weak</source>
        <translation>слабая</translation>
    </message>
    <message>
        <source>medium</source>
        <translation>средняя</translation>
    </message>
    <message>
        <source>strong</source>
        <translation>высокая</translation>
    </message>
    <message>
        <source>Strength: {level}</source>
        <translation>Надёжность: {level}</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Previous / next chat (section headers are skipped)</source>
        <translation>Предыдущий / следующий чат (заголовки разделов пропускаются)</translation>
    </message>
    <message>
        <source>First / last chat</source>
        <translation>Первый / последний чат</translation>
    </message>
    <message>
        <source>Open the chat</source>
        <translation>Открыть чат</translation>
    </message>
    <message>
        <source>From a chat to its section header</source>
        <translation>От чата к заголовку его раздела</translation>
    </message>
    <message>
        <source>Space, ← / →</source>
        <translation>Пробел, ← / →</translation>
    </message>
    <message>
        <source>Fold / unfold the section under the cursor</source>
        <translation>Свернуть / развернуть раздел под курсором</translation>
    </message>
    <message>
        <source>↓ in the search</source>
        <translation>↓ в поиске</translation>
    </message>
    <message>
        <source>Into the chat list</source>
        <translation>Перейти в список чатов</translation>
    </message>
    <message>
        <source>Clear the search</source>
        <translation>Очистить поиск</translation>
    </message>
    <message>
        <source>Next / previous control</source>
        <translation>Следующий / предыдущий элемент</translation>
    </message>
    <message>
        <source>Add the contacts (in “Add contacts…”)</source>
        <translation>Добавить контакты (в окне «Добавить контакты…»)</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Сочетания клавиш</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Клавиши</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>Действие</translation>
    </message>
</context>
<context>
    <name>ConnectionBanner</name>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>No connection to the server: the list may be out of date.</source>
        <translation>Нет связи с сервером: список может быть устаревшим.</translation>
    </message>
    <message>
        <source>Sign-in has expired: the list is not updated.</source>
        <translation>Вход истёк: список не обновляется.</translation>
    </message>
    <message>
        <source>It has not been synced on this device yet.</source>
        <translation>На этом устройстве синхронизаций ещё не было.</translation>
    </message>
    <message>
        <source>Last successful sync: {time}.</source>
        <translation>Последняя успешная синхронизация: {time}.</translation>
    </message>
</context>
<context>
    <name>SyncStatus</name>
    <message>
        <source>Starting the sync…</source>
        <translation>Запуск синхронизации…</translation>
    </message>
    <message>
        <source>The sync stopped unexpectedly and is restarting…</source>
        <translation>Синхронизация неожиданно остановилась и перезапускается…</translation>
    </message>
    <message>
        <source>The sync cannot start: the profile does not open.</source>
        <translation>Синхронизация не запускается: профиль не открывается.</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Syncing keys: {done} of {total}…</source>
        <translation>Синхронизация ключей: {done} из {total}…</translation>
    </message>
    <message>
        <source>Keys in sync · {time}</source>
        <translation>Ключи синхронизированы · {time}</translation>
    </message>
    <message>
        <source>Server unreachable. Retrying in {seconds} s.</source>
        <translation>Нет связи с сервером. Повтор через {seconds} с.</translation>
    </message>
    <message>
        <source>Session expired — please sign in again.</source>
        <translation>Сессия истекла — войдите снова.</translation>
    </message>
    <message>
        <source>Sync failed: {message}</source>
        <translation>Ошибка синхронизации: {message}</translation>
    </message>
</context>
</TS>
