"""Everything the bot says to people, in English, Russian, French, German and Spanish (English otherwise).

Texts are Telegram HTML; `text()` escapes the values it fills in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.telegram.format import link

if TYPE_CHECKING:
    from bot.services import ChannelInfo, DigestOutcome, FeedInfo, ImportResult, Refusal, Status, UserSummary

LANGUAGES = ("en", "ru", "fr", "de", "es")
# Feeds listed in one message; a long list would pass Telegram's 4096 characters.
MAX_FEED_LINES = 40

# Commands shown in Telegram's menu: (command, {language: description}).
COMMANDS: list[tuple[str, dict[str, str]]] = [
    ("summarize", {
        "en": "Summarise a link, a text, or the message you reply to",
        "ru": "Кратко пересказать ссылку, текст или сообщение, на которое вы отвечаете",
        "fr": "Résumer un lien, un texte ou le message auquel vous répondez",
        "de": "Link, Text oder die beantwortete Nachricht zusammenfassen",
        "es": "Resumir un enlace, un texto o el mensaje al que respondes",
    }),
    ("language", {
        "en": "Choose your language (or a channel's)",
        "ru": "Выбрать свой язык (или язык канала)",
        "fr": "Choisir votre langue (ou celle d'une chaîne)",
        "de": "Ihre Sprache (oder die eines Kanals) wählen",
        "es": "Elegir tu idioma (o el de un canal)",
    }),
    ("feeds", {
        "en": "List a channel's feeds",
        "ru": "Ленты канала",
        "fr": "Lister les flux d'une chaîne",
        "de": "Feeds eines Kanals anzeigen",
        "es": "Ver las fuentes de un canal",
    }),
    ("addfeed", {
        "en": "Add a feed to a channel",
        "ru": "Добавить ленту в канал",
        "fr": "Ajouter un flux à une chaîne",
        "de": "Einem Kanal einen Feed hinzufügen",
        "es": "Añadir una fuente a un canal",
    }),
    ("removefeed", {
        "en": "Remove a feed from a channel",
        "ru": "Убрать ленту из канала",
        "fr": "Retirer un flux d'une chaîne",
        "de": "Einen Feed aus einem Kanal entfernen",
        "es": "Quitar una fuente de un canal",
    }),
    ("schedule", {
        "en": "Set a channel's daily digest time",
        "ru": "Время ежедневной сводки канала",
        "fr": "Heure du résumé quotidien d'une chaîne",
        "de": "Uhrzeit des täglichen Überblicks festlegen",
        "es": "Hora del resumen diario de un canal",
    }),
    ("filters", {
        "en": "Keywords a channel's stories must or must not contain",
        "ru": "Слова, которые должны или не должны быть в новостях канала",
        "fr": "Mots que les sujets d'une chaîne doivent ou ne doivent pas contenir",
        "de": "Wörter, die Meldungen eines Kanals enthalten müssen oder nicht dürfen",
        "es": "Palabras que las noticias de un canal deben o no deben contener",
    }),
    ("digest", {
        "en": "Post a channel's next digest now",
        "ru": "Опубликовать следующую сводку канала сейчас",
        "fr": "Publier maintenant le prochain résumé d'une chaîne",
        "de": "Den nächsten Überblick eines Kanals jetzt senden",
        "es": "Publicar ahora el próximo resumen de un canal",
    }),
    ("status", {
        "en": "Feeds, last poll, errors, next digest",
        "ru": "Ленты, последний опрос, ошибки, следующая сводка",
        "fr": "Flux, dernière lecture, erreurs, prochain résumé",
        "de": "Feeds, letzter Abruf, Fehler, nächster Überblick",
        "es": "Fuentes, última lectura, errores, próximo resumen",
    }),
    ("export", {
        "en": "Download a channel's feeds as OPML",
        "ru": "Скачать ленты канала в формате OPML",
        "fr": "Télécharger les flux d'une chaîne en OPML",
        "de": "Feeds eines Kanals als OPML herunterladen",
        "es": "Descargar las fuentes de un canal en OPML",
    }),
    ("help", {
        "en": "What this bot can do",
        "ru": "Что умеет этот бот",
        "fr": "Ce que ce bot sait faire",
        "de": "Was dieser Bot kann",
        "es": "Qué puede hacer este bot",
    }),
]

_TEXTS: dict[str, dict[str, str]] = {
    "help": {
        "en": "I summarise news in your language.\n\n"
              "/summarize <i>link or text</i>, or reply /summarize to a message\n"
              "/language <i>code</i>: the language I answer in (en, fr, de, es, ru…)\n\n"
              "Channel and group administrators: add me to the chat as an administrator, then use "
              "/addfeed, /removefeed, /feeds, /schedule, /filters, /language, /digest, /status and /export. "
              "In a private chat, name the channel first: <code>/addfeed @my_channel https://example.org/rss</code>. "
              "Send an OPML file with <code>@my_channel</code> as its caption to import feeds.",
        "ru": "Я кратко пересказываю новости на вашем языке.\n\n"
              "/summarize <i>ссылка или текст</i> или ответьте /summarize на сообщение\n"
              "/language <i>код</i>: язык моих ответов (ru, en, fr, de, es…)\n\n"
              "Администраторам каналов и групп: добавьте меня в чат администратором и используйте "
              "/addfeed, /removefeed, /feeds, /schedule, /filters, /language, /digest, /status и /export. "
              "В личном чате сначала укажите канал: <code>/addfeed @my_channel https://example.org/rss</code>. "
              "Чтобы импортировать ленты, пришлите файл OPML с подписью <code>@my_channel</code>.",
        "fr": "Je résume l'actualité dans votre langue.\n\n"
              "/summarize <i>lien ou texte</i>, ou répondez /summarize à un message\n"
              "/language <i>code</i> : la langue de mes réponses (fr, en, de, es, ru…)\n\n"
              "Administrateurs de chaînes et de groupes : ajoutez-moi comme administrateur, puis utilisez "
              "/addfeed, /removefeed, /feeds, /schedule, /filters, /language, /digest, /status et /export. "
              "En discussion privée, nommez d'abord la chaîne : <code>/addfeed @ma_chaine https://example.org/rss</code>. "
              "Envoyez un fichier OPML avec la légende <code>@ma_chaine</code> pour importer des flux.",
        "de": "Ich fasse Nachrichten in Ihrer Sprache zusammen.\n\n"
              "/summarize <i>Link oder Text</i>, oder antworten Sie mit /summarize auf eine Nachricht\n"
              "/language <i>Code</i>: die Sprache meiner Antworten (de, en, fr, es, ru…)\n\n"
              "Für Administratoren von Kanälen und Gruppen: Machen Sie mich dort zum Administrator und nutzen Sie "
              "/addfeed, /removefeed, /feeds, /schedule, /filters, /language, /digest, /status und /export. "
              "Im privaten Chat zuerst den Kanal nennen: <code>/addfeed @mein_kanal https://example.org/rss</code>. "
              "Eine OPML-Datei mit der Beschriftung <code>@mein_kanal</code> importiert Feeds.",
        "es": "Resumo noticias en tu idioma.\n\n"
              "/summarize <i>enlace o texto</i>, o responde /summarize a un mensaje\n"
              "/language <i>código</i>: el idioma de mis respuestas (es, en, fr, de, ru…)\n\n"
              "Administradores de canales y grupos: añádeme como administrador y usa "
              "/addfeed, /removefeed, /feeds, /schedule, /filters, /language, /digest, /status y /export. "
              "En un chat privado, indica primero el canal: <code>/addfeed @mi_canal https://example.org/rss</code>. "
              "Envía un archivo OPML con el pie <code>@mi_canal</code> para importar fuentes.",
    },
    "unknown_command": {
        "en": "I don't know {command}. Send /help to see what I can do.",
        "ru": "Я не знаю команду {command}. Отправьте /help, чтобы увидеть, что я умею.",
        "fr": "Je ne connais pas {command}. Envoyez /help pour voir ce que je sais faire.",
        "de": "{command} kenne ich nicht. Senden Sie /help, um zu sehen, was ich kann.",
        "es": "No conozco {command}. Envía /help para ver lo que puedo hacer.",
    },
    "internal_error": {
        "en": "Something went wrong on my side. Please try again later.",
        "ru": "Что-то пошло не так с моей стороны. Попробуйте позже.",
        "fr": "Un problème est survenu de mon côté. Veuillez réessayer plus tard.",
        "de": "Bei mir ist etwas schiefgegangen. Bitte versuchen Sie es später noch einmal.",
        "es": "Algo ha fallado por mi parte. Inténtalo de nuevo más tarde.",
    },
    "usage": {
        "en": "Usage: {usage}",
        "ru": "Использование: {usage}",
        "fr": "Utilisation : {usage}",
        "de": "Verwendung: {usage}",
        "es": "Uso: {usage}",
    },
    "summarize_usage": {
        "en": "Send /summarize with a link or a text, or reply /summarize to a message.",
        "ru": "Отправьте /summarize со ссылкой или текстом либо ответьте /summarize на сообщение.",
        "fr": "Envoyez /summarize avec un lien ou un texte, ou répondez /summarize à un message.",
        "de": "Senden Sie /summarize mit einem Link oder Text, oder antworten Sie mit /summarize auf eine Nachricht.",
        "es": "Envía /summarize con un enlace o un texto, o responde /summarize a un mensaje.",
    },
    "in_line": {
        "en": "I'm busy with other requests: you are number {position} in line. I'll answer here.",
        "ru": "Я занят другими запросами: вы {position}-й в очереди. Я отвечу здесь.",
        "fr": "Je traite d'autres demandes : vous êtes numéro {position} dans la file. Je répondrai ici.",
        "de": "Ich bearbeite gerade andere Anfragen: Sie sind Nummer {position} in der Warteschlange. Ich antworte hier.",
        "es": "Estoy atendiendo otras peticiones: eres el número {position} en la cola. Responderé aquí.",
    },
    "source_language": {
        "en": "Original language: {language}",
        "ru": "Язык оригинала: {language}",
        "fr": "Langue d'origine : {language}",
        "de": "Originalsprache: {language}",
        "es": "Idioma original: {language}",
    },
    "partial": {
        "en": "(The text was long: this covers its beginning.)",
        "ru": "(Текст длинный: пересказано его начало.)",
        "fr": "(Le texte était long : ce résumé couvre son début.)",
        "de": "(Der Text war lang: Dies fasst seinen Anfang zusammen.)",
        "es": "(El texto era largo: esto resume su comienzo.)",
    },
    # -- refusals: /summarize --
    "one_at_a_time": {
        "en": "Please wait until I have answered your previous request.",
        "ru": "Подождите, пока я отвечу на ваш предыдущий запрос.",
        "fr": "Attendez que j'aie répondu à votre demande précédente.",
        "de": "Bitte warten Sie, bis ich Ihre vorherige Anfrage beantwortet habe.",
        "es": "Espera a que responda tu petición anterior.",
    },
    "rate_limited": {
        "en": "That's a lot of requests in a minute. Please try again in {seconds} s.",
        "ru": "Слишком много запросов за минуту. Попробуйте снова через {seconds} с.",
        "fr": "Trop de demandes en une minute. Réessayez dans {seconds} s.",
        "de": "Zu viele Anfragen in einer Minute. Bitte versuchen Sie es in {seconds} s erneut.",
        "es": "Demasiadas peticiones en un minuto. Inténtalo de nuevo en {seconds} s.",
    },
    "busy": {
        "en": "Too many requests are waiting right now. Please try again in a minute.",
        "ru": "Сейчас в очереди слишком много запросов. Попробуйте через минуту.",
        "fr": "Trop de demandes sont en attente. Réessayez dans une minute.",
        "de": "Gerade warten zu viele Anfragen. Bitte versuchen Sie es in einer Minute erneut.",
        "es": "Hay demasiadas peticiones en espera. Inténtalo de nuevo en un minuto.",
    },
    "model_loading": {
        "en": "I'm still starting up. Please try again in a minute.",
        "ru": "Я ещё запускаюсь. Попробуйте через минуту.",
        "fr": "Je suis encore en train de démarrer. Réessayez dans une minute.",
        "de": "Ich starte noch. Bitte versuchen Sie es in einer Minute erneut.",
        "es": "Todavía me estoy iniciando. Inténtalo de nuevo en un minuto.",
    },
    "unsafe_link": {
        "en": "I can't open that link: {reason}.",
        "ru": "Я не могу открыть эту ссылку: {reason}.",
        "fr": "Je ne peux pas ouvrir ce lien : {reason}.",
        "de": "Diesen Link kann ich nicht öffnen: {reason}.",
        "es": "No puedo abrir ese enlace: {reason}.",
    },
    "fetch_failed": {
        "en": "I couldn't load that page ({reason}).",
        "ru": "Не удалось загрузить страницу ({reason}).",
        "fr": "Je n'ai pas pu charger cette page ({reason}).",
        "de": "Ich konnte die Seite nicht laden ({reason}).",
        "es": "No pude cargar esa página ({reason}).",
    },
    "no_article": {
        "en": "I found no article text on that page.",
        "ru": "На этой странице я не нашёл текста статьи.",
        "fr": "Je n'ai trouvé aucun texte d'article sur cette page.",
        "de": "Auf dieser Seite habe ich keinen Artikeltext gefunden.",
        "es": "No encontré el texto de ningún artículo en esa página.",
    },
    "cannot_summarize": {
        "en": "I can't summarise this ({reason}).",
        "ru": "Я не могу это пересказать ({reason}).",
        "fr": "Je ne peux pas résumer ceci ({reason}).",
        "de": "Das kann ich nicht zusammenfassen ({reason}).",
        "es": "No puedo resumir esto ({reason}).",
    },
    "no_summary": {
        "en": "I couldn't write a useful summary of this. A longer text may work better.",
        "ru": "Не получилось составить полезный пересказ. С более длинным текстом может получиться лучше.",
        "fr": "Je n'ai pas pu en tirer un résumé utile. Un texte plus long marchera peut-être mieux.",
        "de": "Ich konnte keine brauchbare Zusammenfassung schreiben. Ein längerer Text klappt vielleicht besser.",
        "es": "No pude escribir un resumen útil. Con un texto más largo puede ir mejor.",
    },
    "model_failed": {
        "en": "The summariser failed on this request. Please try again later.",
        "ru": "Не удалось составить пересказ. Попробуйте позже.",
        "fr": "Le résumé a échoué. Veuillez réessayer plus tard.",
        "de": "Die Zusammenfassung ist fehlgeschlagen. Bitte versuchen Sie es später erneut.",
        "es": "El resumen ha fallado. Inténtalo de nuevo más tarde.",
    },
    # -- languages --
    "bad_language": {
        "en": "I don't know the language code {code}. Use a two-letter code such as en, fr, de, es or ru.",
        "ru": "Я не знаю код языка {code}. Используйте двухбуквенный код: ru, en, fr, de, es.",
        "fr": "Je ne connais pas le code de langue {code}. Utilisez un code à deux lettres : fr, en, de, es, ru.",
        "de": "Den Sprachcode {code} kenne ich nicht. Verwenden Sie einen Zwei-Buchstaben-Code wie de, en, fr, es, ru.",
        "es": "No conozco el código de idioma {code}. Usa un código de dos letras: es, en, fr, de, ru.",
    },
    "language_set_user": {
        "en": "From now on I'll answer you and write your summaries in: {language}.",
        "ru": "Теперь я отвечаю вам и пишу пересказы на языке: {language}.",
        "fr": "Désormais, je vous réponds et j'écris vos résumés en : {language}.",
        "de": "Ab jetzt antworte ich Ihnen und schreibe Zusammenfassungen auf: {language}.",
        "es": "A partir de ahora te respondo y escribo tus resúmenes en: {language}.",
    },
    "language_set_channel": {
        "en": "Digests for {chat} will be written in: {language}.",
        "ru": "Сводки для {chat} будут на языке: {language}.",
        "fr": "Les résumés de {chat} seront écrits en : {language}.",
        "de": "Überblicke für {chat} werden geschrieben auf: {language}.",
        "es": "Los resúmenes de {chat} se escribirán en: {language}.",
    },
    # -- refusals: channel management --
    "target_needed": {
        "en": "Which channel? Name it first, e.g. <code>/feeds @my_channel</code>. In a group, commands apply to the group.",
        "ru": "Какой канал? Укажите его первым, например <code>/feeds @my_channel</code>. В группе команды относятся к самой группе.",
        "fr": "Quelle chaîne ? Nommez-la d'abord, par ex. <code>/feeds @ma_chaine</code>. Dans un groupe, les commandes s'appliquent au groupe.",
        "de": "Welcher Kanal? Nennen Sie ihn zuerst, z. B. <code>/feeds @mein_kanal</code>. In einer Gruppe gelten Befehle für die Gruppe.",
        "es": "¿Qué canal? Indícalo primero, p. ej. <code>/feeds @mi_canal</code>. En un grupo, los comandos se aplican al grupo.",
    },
    "chat_not_found": {
        "en": "I can't find {chat}. Add me to it as an administrator first.",
        "ru": "Я не нахожу {chat}. Сначала добавьте меня туда администратором.",
        "fr": "Je ne trouve pas {chat}. Ajoutez-moi d'abord comme administrateur.",
        "de": "Ich finde {chat} nicht. Fügen Sie mich dort zuerst als Administrator hinzu.",
        "es": "No encuentro {chat}. Primero añádeme como administrador.",
    },
    "bot_not_in_chat": {
        "en": "I'm not a member of {chat}. Add me to it as an administrator first.",
        "ru": "Я не состою в {chat}. Сначала добавьте меня туда администратором.",
        "fr": "Je ne suis pas membre de {chat}. Ajoutez-moi d'abord comme administrateur.",
        "de": "Ich bin kein Mitglied von {chat}. Fügen Sie mich dort zuerst als Administrator hinzu.",
        "es": "No soy miembro de {chat}. Primero añádeme como administrador.",
    },
    "not_admin": {
        "en": "Sorry, only administrators of {chat} can do that.",
        "ru": "Извините, это могут делать только администраторы {chat}.",
        "fr": "Désolé, seuls les administrateurs de {chat} peuvent faire cela.",
        "de": "Das können leider nur Administratoren von {chat}.",
        "es": "Lo siento, solo los administradores de {chat} pueden hacer eso.",
    },
    "channel_unknown": {
        "en": "{chat} has no digest yet. Add a feed with /addfeed to start one.",
        "ru": "У {chat} ещё нет сводки. Добавьте ленту командой /addfeed.",
        "fr": "{chat} n'a pas encore de résumé. Ajoutez un flux avec /addfeed pour commencer.",
        "de": "{chat} hat noch keinen Überblick. Fügen Sie mit /addfeed einen Feed hinzu.",
        "es": "{chat} aún no tiene resumen. Añade una fuente con /addfeed para empezar.",
    },
    "feed_fetch_failed": {
        "en": "I couldn't load that feed ({reason}).",
        "ru": "Не удалось загрузить ленту ({reason}).",
        "fr": "Je n'ai pas pu charger ce flux ({reason}).",
        "de": "Ich konnte den Feed nicht laden ({reason}).",
        "es": "No pude cargar esa fuente ({reason}).",
    },
    "not_a_feed": {
        "en": "That address is not a feed I can read ({reason}).",
        "ru": "По этому адресу нет ленты, которую я могу прочитать ({reason}).",
        "fr": "Cette adresse n'est pas un flux que je sais lire ({reason}).",
        "de": "Unter dieser Adresse ist kein Feed, den ich lesen kann ({reason}).",
        "es": "Esa dirección no es una fuente que pueda leer ({reason}).",
    },
    "feed_added": {
        "en": "{chat} now follows {name}.",
        "ru": "{chat} теперь читает {name}.",
        "fr": "{chat} suit maintenant {name}.",
        "de": "{chat} folgt jetzt {name}.",
        "es": "{chat} ahora sigue {name}.",
    },
    "feed_not_found": {
        "en": "{chat} has no feed called {name}. /feeds lists them.",
        "ru": "У {chat} нет ленты {name}. Список: /feeds.",
        "fr": "{chat} n'a pas de flux nommé {name}. /feeds les liste.",
        "de": "{chat} hat keinen Feed namens {name}. /feeds listet sie auf.",
        "es": "{chat} no tiene ninguna fuente llamada {name}. /feeds las muestra.",
    },
    "feed_removed": {
        "en": "{chat} no longer follows {name}.",
        "ru": "{chat} больше не читает {name}.",
        "fr": "{chat} ne suit plus {name}.",
        "de": "{chat} folgt {name} nicht mehr.",
        "es": "{chat} ya no sigue {name}.",
    },
    "feeds_header": {
        "en": "Feeds of {chat}:",
        "ru": "Ленты {chat}:",
        "fr": "Flux de {chat} :",
        "de": "Feeds von {chat}:",
        "es": "Fuentes de {chat}:",
    },
    "no_feeds": {
        "en": "{chat} follows no feeds yet. Add one with /addfeed.",
        "ru": "{chat} пока не читает ни одной ленты. Добавьте её командой /addfeed.",
        "fr": "{chat} ne suit encore aucun flux. Ajoutez-en un avec /addfeed.",
        "de": "{chat} folgt noch keinem Feed. Fügen Sie mit /addfeed einen hinzu.",
        "es": "{chat} aún no sigue ninguna fuente. Añade una con /addfeed.",
    },
    "schedule_set": {
        "en": "Digests for {chat}: {schedule}. Next one: {next}.",
        "ru": "Сводки для {chat}: {schedule}. Следующая: {next}.",
        "fr": "Résumés de {chat} : {schedule}. Prochain : {next}.",
        "de": "Überblicke für {chat}: {schedule}. Nächster: {next}.",
        "es": "Resúmenes de {chat}: {schedule}. Próximo: {next}.",
    },
    "daily_at": {
        "en": "daily at {time} ({zone})",
        "ru": "ежедневно в {time} ({zone})",
        "fr": "tous les jours à {time} ({zone})",
        "de": "täglich um {time} ({zone})",
        "es": "cada día a las {time} ({zone})",
    },
    "cron": {
        "en": "on the schedule {cron} ({zone})",
        "ru": "по расписанию {cron} ({zone})",
        "fr": "selon le calendrier {cron} ({zone})",
        "de": "nach dem Zeitplan {cron} ({zone})",
        "es": "según el horario {cron} ({zone})",
    },
    "bad_schedule": {
        "en": "I can't use that time: {reason}. Example: <code>/schedule 08:00 Europe/Prague</code>.",
        "ru": "Это время не подходит: {reason}. Пример: <code>/schedule 08:00 Europe/Moscow</code>.",
        "fr": "Je ne peux pas utiliser cette heure : {reason}. Exemple : <code>/schedule 08:00 Europe/Paris</code>.",
        "de": "Diese Zeit kann ich nicht verwenden: {reason}. Beispiel: <code>/schedule 08:00 Europe/Berlin</code>.",
        "es": "No puedo usar esa hora: {reason}. Ejemplo: <code>/schedule 08:00 Europe/Madrid</code>.",
    },
    "filters_set": {
        "en": "Filters for {chat}. Must contain one of: {include}. Must not contain: {exclude}.",
        "ru": "Фильтры {chat}. Должно быть одно из: {include}. Не должно быть: {exclude}.",
        "fr": "Filtres de {chat}. Doit contenir l'un de : {include}. Ne doit pas contenir : {exclude}.",
        "de": "Filter für {chat}. Muss eines enthalten von: {include}. Darf nicht enthalten: {exclude}.",
        "es": "Filtros de {chat}. Debe contener uno de: {include}. No debe contener: {exclude}.",
    },
    "nothing": {
        "en": "—", "ru": "—", "fr": "—", "de": "—", "es": "—",
    },
    "bad_filters": {
        "en": "I don't understand {rule}. Write +word to require a word, -word to drop stories with it, or clear.",
        "ru": "Не понимаю {rule}. Пишите +слово, чтобы требовать слово, -слово, чтобы исключать, или clear.",
        "fr": "Je ne comprends pas {rule}. Écrivez +mot pour exiger un mot, -mot pour écarter les sujets qui le contiennent, ou clear.",
        "de": "{rule} verstehe ich nicht. Schreiben Sie +Wort, um ein Wort zu verlangen, -Wort, um Meldungen damit auszuschließen, oder clear.",
        "es": "No entiendo {rule}. Escribe +palabra para exigirla, -palabra para descartar noticias con ella, o clear.",
    },
    "bad_regex": {
        "en": "The pattern {rule} is not a valid regular expression ({reason}).",
        "ru": "Шаблон {rule} не является корректным регулярным выражением ({reason}).",
        "fr": "Le motif {rule} n'est pas une expression régulière valide ({reason}).",
        "de": "Das Muster {rule} ist kein gültiger regulärer Ausdruck ({reason}).",
        "es": "El patrón {rule} no es una expresión regular válida ({reason}).",
    },
    "bad_opml": {
        "en": "I can't read that file as an OPML feed list: {reason}.",
        "ru": "Не могу прочитать этот файл как список лент OPML: {reason}.",
        "fr": "Je ne peux pas lire ce fichier comme une liste de flux OPML : {reason}.",
        "de": "Diese Datei kann ich nicht als OPML-Feedliste lesen: {reason}.",
        "es": "No puedo leer ese archivo como lista de fuentes OPML: {reason}.",
    },
    "opml_too_big": {
        "en": "That file is too big for a feed list (more than {limit} KB).",
        "ru": "Файл слишком большой для списка лент (больше {limit} КБ).",
        "fr": "Ce fichier est trop gros pour une liste de flux (plus de {limit} Ko).",
        "de": "Die Datei ist zu groß für eine Feedliste (mehr als {limit} KB).",
        "es": "El archivo es demasiado grande para una lista de fuentes (más de {limit} KB).",
    },
    "opml_too_many": {
        "en": "That file lists more than {limit} feeds; please split it.",
        "ru": "В файле больше {limit} лент; разделите его.",
        "fr": "Ce fichier liste plus de {limit} flux ; découpez-le.",
        "de": "Die Datei enthält mehr als {limit} Feeds; bitte teilen Sie sie auf.",
        "es": "El archivo tiene más de {limit} fuentes; divídelo.",
    },
    "opml_imported": {
        "en": "{chat}: {added} feeds added, {known} already followed.",
        "ru": "{chat}: добавлено лент: {added}, уже были: {known}.",
        "fr": "{chat} : {added} flux ajoutés, {known} déjà suivis.",
        "de": "{chat}: {added} Feeds hinzugefügt, {known} schon abonniert.",
        "es": "{chat}: {added} fuentes añadidas, {known} ya seguidas.",
    },
    "opml_refused": {
        "en": "Skipped, not public web addresses:",
        "ru": "Пропущены (не публичные веб-адреса):",
        "fr": "Ignorés, adresses web non publiques :",
        "de": "Übersprungen, keine öffentlichen Webadressen:",
        "es": "Omitidas, no son direcciones web públicas:",
    },
    "export_caption": {
        "en": "Feeds of {chat}",
        "ru": "Ленты {chat}",
        "fr": "Flux de {chat}",
        "de": "Feeds von {chat}",
        "es": "Fuentes de {chat}",
    },
    "digest_posted": {
        "en": "Posted a digest of {stories} stories to {chat}.",
        "ru": "В {chat} опубликована сводка из {stories} новостей.",
        "fr": "Résumé de {stories} sujets publié dans {chat}.",
        "de": "Überblick mit {stories} Meldungen in {chat} veröffentlicht.",
        "es": "Publicado en {chat} un resumen de {stories} noticias.",
    },
    "digest_queued": {
        "en": "The digest for {chat} ({stories} stories) is queued: Telegram did not take it yet. I'll keep trying.",
        "ru": "Сводка для {chat} ({stories} новостей) в очереди: Telegram её пока не принял. Я буду пробовать дальше.",
        "fr": "Le résumé de {chat} ({stories} sujets) est en file d'attente : Telegram ne l'a pas encore accepté. Je réessaierai.",
        "de": "Der Überblick für {chat} ({stories} Meldungen) wartet: Telegram hat ihn noch nicht angenommen. Ich versuche es weiter.",
        "es": "El resumen de {chat} ({stories} noticias) está en cola: Telegram aún no lo aceptó. Seguiré intentándolo.",
    },
    "digest_empty": {
        "en": "No new stories for {chat} since its last digest.",
        "ru": "Для {chat} нет новых новостей с прошлой сводки.",
        "fr": "Aucun nouveau sujet pour {chat} depuis le dernier résumé.",
        "de": "Keine neuen Meldungen für {chat} seit dem letzten Überblick.",
        "es": "No hay noticias nuevas para {chat} desde el último resumen.",
    },
    "channel_paused": {
        "en": "I can no longer post to {chat} ({reason}), so its digests are paused. "
              "Make me an administrator there again, then send /digest {chat} to resume.",
        "ru": "Я больше не могу публиковать в {chat} ({reason}), поэтому сводки приостановлены. "
              "Снова сделайте меня администратором и отправьте /digest {chat}, чтобы возобновить.",
        "fr": "Je ne peux plus publier dans {chat} ({reason}), ses résumés sont donc suspendus. "
              "Refaites de moi un administrateur, puis envoyez /digest {chat} pour reprendre.",
        "de": "Ich kann nicht mehr in {chat} posten ({reason}), daher sind die Überblicke pausiert. "
              "Machen Sie mich dort wieder zum Administrator und senden Sie /digest {chat}, um fortzufahren.",
        "es": "Ya no puedo publicar en {chat} ({reason}), así que sus resúmenes están en pausa. "
              "Vuelve a hacerme administrador y envía /digest {chat} para reanudarlos.",
    },
    # -- /status --
    "status_bot": {
        "en": "Bot status",
        "ru": "Состояние бота",
        "fr": "État du bot",
        "de": "Status des Bots",
        "es": "Estado del bot",
    },
    "status_channel": {
        "en": "Status of {chat}",
        "ru": "Состояние {chat}",
        "fr": "État de {chat}",
        "de": "Status von {chat}",
        "es": "Estado de {chat}",
    },
    "status_next_digest": {
        "en": "Next digest: {when}",
        "ru": "Следующая сводка: {when}",
        "fr": "Prochain résumé : {when}",
        "de": "Nächster Überblick: {when}",
        "es": "Próximo resumen: {when}",
    },
    "status_language": {
        "en": "Language: {language}",
        "ru": "Язык: {language}",
        "fr": "Langue : {language}",
        "de": "Sprache: {language}",
        "es": "Idioma: {language}",
    },
    "status_paused": {
        "en": "Paused: {reason}",
        "ru": "Приостановлено: {reason}",
        "fr": "En pause : {reason}",
        "de": "Pausiert: {reason}",
        "es": "En pausa: {reason}",
    },
    "status_channels": {
        "en": "Channels: {count}",
        "ru": "Каналов: {count}",
        "fr": "Chaînes : {count}",
        "de": "Kanäle: {count}",
        "es": "Canales: {count}",
    },
    "status_model": {
        "en": "Model: {model}",
        "ru": "Модель: {model}",
        "fr": "Modèle : {model}",
        "de": "Modell: {model}",
        "es": "Modelo: {model}",
    },
    "status_queues": {
        "en": "Waiting: {waiting} summary requests, {unsent} digest messages",
        "ru": "В очереди: запросов на пересказ {waiting}, сообщений сводок {unsent}",
        "fr": "En attente : {waiting} demandes de résumé, {unsent} messages de résumé quotidien",
        "de": "Wartend: {waiting} Zusammenfassungsanfragen, {unsent} Überblicksnachrichten",
        "es": "En espera: {waiting} peticiones de resumen, {unsent} mensajes de resúmenes",
    },
    "feed_line": {
        "en": "last read {when}",
        "ru": "прочитана {when}",
        "fr": "lu {when}",
        "de": "gelesen {when}",
        "es": "leída {when}",
    },
    "and_more": {
        "en": "… and {count} more",
        "ru": "… и ещё {count}",
        "fr": "… et {count} de plus",
        "de": "… und {count} weitere",
        "es": "… y {count} más",
    },
    "never": {
        "en": "never",
        "ru": "никогда",
        "fr": "jamais",
        "de": "nie",
        "es": "nunca",
    },
    "loading": {
        "en": "loading",
        "ru": "загружается",
        "fr": "en chargement",
        "de": "wird geladen",
        "es": "cargando",
    },
}


class Html(str):
    """Telegram HTML, already escaped: text() inserts it as it is."""


def ui_language(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def text(language: str | None, key: str, /, **params: object) -> Html:
    """The text for `key` in `language` (English if it has none there); values are escaped unless Html."""
    variants = _TEXTS[key]
    template = variants.get(ui_language(language)) or variants["en"]
    return Html(template.format(**{
        name: value if isinstance(value, Html) else escape(str(value)) for name, value in params.items()
    }))


def refusal(language: str | None, refused: Refusal) -> Html:
    """The answer to a services.Refusal."""
    return text(language, refused.key, **refused.params)


def usage(language: str | None, syntax: str) -> Html:
    return text(language, "usage", usage=syntax)


def commands(language: str) -> list[tuple[str, str]]:
    """(command, description) pairs for Telegram's command menu."""
    return [(command, descriptions.get(language, descriptions["en"])) for command, descriptions in COMMANDS]


def summary_reply(language: str, result: UserSummary) -> str:
    """A /summarize answer: the summary, its source's language and a link to the page."""
    lines = [escape(result.summary)]
    if result.partial:
        lines.append(f"<i>{text(language, 'partial')}</i>")
    footer = text(language, "source_language", language=result.source_language)
    if result.url:
        footer += " · " + link(result.url, result.title or urlsplit(result.url).hostname or result.url)
    lines.append(f"<i>{footer}</i>")
    return "\n\n".join(lines)


def when(language: str, moment: datetime | None) -> str:
    """A moment as people read it, in its own time zone (UTC for stored times)."""
    if moment is None:
        return text(language, "never")
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname() or 'UTC'}"


def schedule(language: str, schedule: dict) -> Html:
    zone = schedule.get("timezone", "UTC")
    if "cron" in schedule:
        return text(language, "cron", cron=schedule["cron"], zone=zone)
    return text(language, "daily_at", time=schedule.get("at", ""), zone=zone)


def schedule_set(language: str, channel: ChannelInfo) -> Html:
    return text(language, "schedule_set", chat=channel.chat, schedule=schedule(language, channel.schedule),
                next=when(language, channel.next_digest))


def filters_set(language: str, channel: ChannelInfo) -> Html:
    nothing = text(language, "nothing")
    return text(language, "filters_set", chat=channel.chat, include=", ".join(channel.include) or nothing,
                exclude=", ".join(channel.exclude) or nothing)


def feed_list(language: str, chat: str, feeds: Sequence[FeedInfo]) -> str:
    if not feeds:
        return text(language, "no_feeds", chat=chat)
    return "\n".join([text(language, "feeds_header", chat=chat), *_feed_lines(language, feeds)])


def digest_outcome(language: str, outcome: DigestOutcome) -> Html:
    if not outcome.stories:
        return text(language, "digest_empty", chat=outcome.chat)
    key = "digest_posted" if outcome.sent else "digest_queued"
    return text(language, key, chat=outcome.chat, stories=outcome.stories)


def opml_imported(language: str, result: ImportResult) -> str:
    lines = [text(language, "opml_imported", chat=result.chat, added=len(result.added), known=result.known)]
    if result.refused:
        lines.append(text(language, "opml_refused"))
        lines.extend(f"• {escape(line)}" for line in result.refused[:10])
    return "\n".join(lines)


def status_report(language: str, status: Status) -> str:
    channel = status.channel
    if channel is None:
        lines = [f"<b>{text(language, 'status_bot')}</b>", text(language, "status_channels", count=status.channels)]
    else:
        lines = [
            f"<b>{text(language, 'status_channel', chat=channel.chat)}</b>",
            text(language, "status_language", language=channel.language),
            text(language, "status_next_digest", when=when(language, channel.next_digest))
            + f" ({schedule(language, channel.schedule)})",
        ]
        if channel.paused_reason:
            lines.append(text(language, "status_paused", reason=channel.paused_reason))
    lines.append(text(language, "status_model", model=status.model or text(language, "loading")))
    lines.append(text(language, "status_queues", waiting=status.waiting, unsent=status.unsent))
    lines.extend(_feed_lines(language, status.feeds))
    return "\n".join(lines)


def _feed_lines(language: str, feeds: Sequence[FeedInfo]) -> list[str]:
    lines = [_feed_line(language, feed) for feed in feeds[:MAX_FEED_LINES]]
    if len(feeds) > MAX_FEED_LINES:
        lines.append(text(language, "and_more", count=len(feeds) - MAX_FEED_LINES))
    return lines


def _feed_line(language: str, feed: FeedInfo) -> str:
    line = f"• <b>{escape(feed.name)}</b> {link(feed.url, feed.title or feed.url)} — " + text(
        language, "feed_line", when=when(language, feed.last_polled_at)
    )
    return line + (f" ⚠️ {escape(feed.last_error)}" if feed.last_error else "")
