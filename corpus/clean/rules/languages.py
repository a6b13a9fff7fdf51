"""The boilerplate rules in the other languages news is written in, as data.

Each rule here carries the name of the English rule it extends (so records, ``newsclean rules``
and ``--skip-rule`` see one rule per kind of chrome) and the languages it knows. Covered:
German (de), French (fr), Spanish (es), Italian (it), Portuguese (pt), Dutch (nl), Polish (pl)
and Russian (ru).

To add a language: add its words to each table below (a phrase per kind of chrome, as sites
write it), add its code to ``LANGUAGES``, and add a story with its chrome to
``tests/test_rules_languages.py``; then run ``make eval`` to see that nothing else moved.
"""

from __future__ import annotations

from corpus.clean.rules.shapes import CHANNELS, HEADING_END, SHORT_CHROME_CHARS, Rule, rx

LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "pl", "ru")

# "Follow us on / join our channel": the verb phrase, then a channel (a platform's name, or "channel").
_FOLLOW = r"""(?:folg(?:en\s+sie|t|e)\s+uns|abonnieren\s+sie\s+(?:unseren|uns)|treten\s+sie\s+(?:unserem|unserer)
    |suivez[-\s]nous|rejoignez[-\s](?:nous|notre)|abonnez[-\s]vous\s+à\s+notre
    |s[ií]guenos|[uú]nete\s+a\s+nuestro|suscr[ií]bete\s+a\s+nuestro
    |seguici|unisciti\s+al\s+nostro|iscriviti\s+al\s+nostro
    |siga[-\s]nos|siga\s+o|entre\s+(?:no|em)\s+nosso|junte[-\s]se\s+ao\s+nosso|inscreva[-\s]se\s+no\s+nosso
    |volg\s+ons|word\s+lid\s+van\s+ons|abonneer\s+je\s+op\s+ons
    |obserwuj\s+nas|śledź\s+nas|dołącz\s+do\s+nas|dołącz\s+do\s+naszego|subskrybuj\s+nasz
    |подписывайтесь\s+на\s+на[шс]|подпишитесь\s+на\s+на[шс]|следите\s+за\s+нами|присоединяйтесь\s+к\s+нам
    |присоединяйтесь\s+к\s+нашему)"""
_CHANNEL_WORDS = r"(?:kanal|chaîne|canal|canale|kanaal|kanału|kanale|channel|канал\w*|telegram-канал\w*)"

# Newsletter: the word for it, and a verb of signing up, on one short line.
_NEWSLETTER = r"(?:newsletter\w*|nieuwsbrief|bolet[ií]n|lettre\s+d'information|рассылк\w+|biuletyn\w*)"
_SIGN_UP = r"""(?:abonnieren|anmelden|bestellen|registrieren|inscri(?:vez|s|re)|abonnez|suscr[ií]b\w+|iscriviti|assine|inscreva
    |schrijf\s+je\s+in|meld\s+je\s+aan|abonneer|zapisz\s+się|zapisz|subskrybuj|подпиш\w+|подписыва\w+)"""

# "Related" headings: sites put these boxes mid-article, so they are boxes (heading and the
# headlines under it go, the story resumes), not boundaries that would end the story.
_RELATED = r"""(?:das\s+könnte\s+sie\s+(?:auch\s+)?interessieren|mehr\s+zum\s+thema|weitere\s+(?:artikel|nachrichten|themen)
    |lesen\s+sie\s+auch|auch\s+interessant|verwandte\s+(?:artikel|themen)|meistgelesen(?:e\s+artikel)?|empfehlungen
    |à\s+lire\s+(?:aussi|également)|lire\s+aussi|sur\s+le\s+même\s+sujet|articles?\s+similaires|à\s+voir\s+aussi|les\s+plus\s+lus
    |lesen\s+sie\s+hier|auch\s+lesen|schon\s+gelesen|zum\s+weiterlesen|meistkommentiert(?:e\s+artikel)?|lesen\s+sie\s+auch\s+(?:die\s+folgenden|diese)\s+(?:beiträge|artikel)
    |(?:también\s+)?(?:te|le)\s+puede\s+interesar|le[ae]\s+también|vea\s+también|(?:noticias|notas)\s+relacionadas|art[ií]culos\s+relacionados|lo\s+más\s+le[ií]do
    |leggi\s+anche|potrebbe\s+interessarti|articoli\s+correlati|i\s+più\s+letti
    |leia\s+também|veja\s+também|not[ií]cias\s+relacionadas|mais\s+lidas|você\s+pode\s+gostar
    |lees\s+ook|meer\s+over\s+dit\s+onderwerp|gerelateerde\s+artikelen|meest\s+gelezen
    |czytaj\s+(?:także|też|również)|dowiedz\s+się\s+więcej|zobacz\s+(?:także|też|również)|podobne\s+artykuły|najczęściej\s+czytane
    |читайте\s+также|смотрите\s+также|похожие\s+статьи|по\s+теме|самое\s+читаемое)"""

_COMMENTS = r"""(?:kommentare?|kommentar\s+schreiben|schreiben\s+sie\s+einen\s+kommentar|diskutieren\s+sie\s+mit|leserkommentare
    |commentaires?|laisser\s+un\s+commentaire|réagissez|ajouter\s+un\s+commentaire
    |comentarios?|deja\s+(?:un|tu)\s+comentario|dejar\s+un\s+comentario
    |commenti|lascia\s+un\s+commento|\d+\s+commenti
    |comentários|deixe\s+(?:um|seu)\s+comentário
    |reacties|laat\s+een\s+reactie\s+achter|reageer|\d+\s+reacties
    |komentarze|dodaj\s+komentarz|skomentuj|\d+\s+komentarzy
    |комментарии|оставить\s+комментарий|добавить\s+комментарий|\d+\s+комментари\w*)"""

_RIGHTS = r"""(?:alle\s+rechte\s+vorbehalten|tous\s+droits\s+réservés|todos\s+los\s+derechos\s+reservados|tutti\s+i\s+diritti\s+riservati
    |riproduzione\s+riservata|todos\s+os\s+direitos\s+reservados|alle\s+rechten\s+voorbehouden|wszelkie\s+prawa\s+zastrzeżone
    |все\s+права\s+защищены)"""

_READING_TIME = r"""(?:lesezeit|lesedauer|temps\s+de\s+lecture|lecture|tiempo\s+de\s+lectura|lectura|tempo\s+di\s+lettura|lettura
    |tempo\s+de\s+leitura|leitura|leestijd|czas\s+(?:czytania|lektury)|время\s+чтения|на\s+чтение|чтение)"""
_UPDATED = r"""(?:aktualisiert(?:\s+am)?|zuletzt\s+aktualisiert|stand|veröffentlicht(?:\s+am)?|mis\s+à\s+jour(?:\s+le)?|publié\s+le
    |actualizado(?:\s+el)?|publicado(?:\s+el)?|aggiornato(?:\s+il|\s+alle)?|ultimo\s+aggiornamento|pubblicato(?:\s+il)?
    |atualizado(?:\s+em)?|publicado\s+em|bijgewerkt(?:\s+op)?|laatst\s+bijgewerkt|gepubliceerd(?:\s+op)?|aktualizacja|zaktualizowano
    |opublikowano|обновлено|опубликовано|letzte\s+änderung|zuletzt\s+geändert|last\s+modified|dernière\s+modification
    |última\s+modificación|ultima\s+modifica)"""
_DATE = r"""(?:\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\.?\s+\w+\.?\s+\d{4}|\d{1,2}\s+de\s+\w+\s+de\s+\d{4}
    |\d{1,2}[:h.]\d{2}|\w+\s+\d{1,2},?\s+\d{4})"""

_EDITING = r"""(?:redaktion|mitarbeit|bearbeitet\s+von|übersetzt\s+von|édité\s+par|édition|traduit\s+par|avec\s+(?:afp|reuters|ap)
    |edición|editado\s+por|traducido\s+por|redacción|a\s+cura\s+di|redazione|tradotto\s+da|edição|editado\s+por|tradução
    |redactie|bewerkt\s+door|vertaald\s+door|redakcja|opracowanie|tłumaczenie|редактор|под\s+редакцией|перевод)"""

_BYLINE = r"""(?:von|par|por|door|autor(?:ka)?|автор)"""

LINE_RULES: tuple[Rule, ...] = (
    Rule("cta-social", "line",
         rx(rf"^\W*{_FOLLOW}\b.{{0,120}}\b(?:{CHANNELS}\w{{0,3}}|{_CHANNEL_WORDS})\b"),  # "na Facebooku"
         "calls to join or follow the site on a social or messaging channel", suffix=True,
         max_chars=SHORT_CHROME_CHARS, languages=LANGUAGES,
         needles=("folg", "abonnieren", "treten", "suivez", "rejoignez", "abonnez", "sígu", "sigu", "únete", "unete",
                  "suscr", "seguici", "unisciti", "iscriviti", "siga", "entre", "junte", "inscreva", "volg", "word lid",
                  "abonneer", "obserwuj", "śledź", "dołącz", "subskrybuj", "подпис", "следите", "присоедин")),
    Rule("cta-newsletter", "line",
         rx(rf"^(?=.{{0,200}}$)(?:.*\b{_NEWSLETTER}\b.*\b{_SIGN_UP}|.*\b{_SIGN_UP}\b.*\b{_NEWSLETTER})"),
         "newsletter sign-up prompts", suffix=True, max_chars=SHORT_CHROME_CHARS, languages=LANGUAGES,
         needles=("newsletter", "nieuwsbrief", "boletín", "boletin", "lettre d'information", "рассылк", "biuletyn")),
    Rule("copyright", "line", rx(rf"\b{_RIGHTS}\b"), "copyright and reproduction footers",
         max_chars=SHORT_CHROME_CHARS, languages=LANGUAGES,
         needles=("rechte", "droits", "derechos", "diritti", "riproduzione", "direitos", "rechten", "prawa", "права")),
    Rule("page-meta", "line",
         rx(rf"""^\W*(?:{_READING_TIME}\s*:?\s*\d{{1,3}}\s*\w{{0,10}}\.?|\d{{1,3}}\s*(?:min\.?|minut\w*|минут\w*|мин\.?)\s+{_READING_TIME}
             |{_UPDATED}\s*:?\s*{_DATE}(?:\s*(?:um|à|a\s+las|alle|às|om|o|в)?\s*\d{{1,2}}[:h.]\d{{2}})?(?:\s*(?:uhr|h|horas?|ore))?)\W*$"""),
         "reading-time labels and 'updated at' stamps", max_chars=120, languages=LANGUAGES,
         needles=("lese", "lectur", "lettura", "leitura", "leestijd", "czas", "время", "чтени", "aktualis", "stand",
                  "veröffentlicht", "mis à jour", "publié", "actualizado", "publicado", "aggiornat", "pubblicato",
                  "atualizado", "bijgewerkt", "gepubliceerd", "aktualiz", "opublikowano", "обновлено", "опубликовано",
                  "änderung", "geändert", "modified", "modification", "modificación", "modifica")),
    Rule("editor-credit", "line", rx(rf"^\W*{_EDITING}\s*[:/,]?\s+\S.{{0,120}}$"),
         "editor, translation and production credits", max_chars=160, languages=LANGUAGES,
         needles=("redak", "mitarbeit", "bearbeitet", "übersetzt", "édit", "traduit", "avec", "edici", "editado",
                  "traducido", "redacc", "a cura", "redazione", "tradotto", "tradução", "redactie", "bewerkt", "vertaald",
                  "opracowanie", "tłumacz", "редакт", "перевод")),
    Rule("byline", "line",
         rx(rf"""^\W*{_BYLINE}\s*:?\s+[^\W\d_][\w.'-]+(?:\s+[^\W\d_][\w.'-]+){{0,3}}\s*[|,·•–—-]\s*{_DATE}.{{0,40}}$"""),
         "a byline with its date: the author's name after 'Von', 'Par', 'Por', 'Door', 'Autor:', then the date",
         max_chars=100, languages=LANGUAGES, needles=("von ", "par ", "por ", "door ", "autor", "автор")),
    Rule("inline-related", "line", rx(rf"^\W*{_RELATED}\s*[:|>»\-–—]\s*\S.{{0,200}}$"),
         "a single 'Lesen Sie auch: <other story>' link line inside the text", languages=LANGUAGES,
         needles=("könnte", "mehr zum", "weitere", "lesen sie", "interessant", "verwandte", "meistgelesen", "empfehlung",
                  "lire", "même sujet", "similaires", "voir aussi", "plus lus", "interesar", "lee ", "lea ", "vea ", "relacionad",
                  "lesen", "dowiedz",
                  "leído", "leido", "leggi", "interessarti", "correlati", "più letti", "leia", "veja", "lidas",
                  "gostar", "lees ook", "onderwerp", "gerelateerde", "gelezen", "czytaj", "zobacz", "podobne",
                  "najczęściej", "читайте", "смотрите", "похожие", "по теме", "читаемое")),
)

_AGENCIES = r"(?:pap|dpa|afp|ap|apa|kna|epd|ansa|efe|reuters|tass|ria|ats|sda|belga|anp|lusa|ctk|mti)"

LINE_RULES += (
    Rule("cta-support", "line",
         rx(r"""^\W*(?:sie\s+sind\s+(?:\w+\s+)?nicht\s+(?:eingeloggt|angemeldet)|du\s+musst\s+eingeloggt\s+sein
             |vous\s+(?:devez\s+être|n'êtes\s+pas)\s+connecté|debes\s+iniciar\s+sesión|devi\s+(?:effettuare\s+il\s+login|accedere)
             |musisz\s+być\s+zalogowany|вы\s+не\s+авторизованы)"""),
         "log-in prompts ('Sie sind nicht eingeloggt')", max_chars=SHORT_CHROME_CHARS, languages=LANGUAGES),
    Rule("share-bar", "line",
         rx(r"""^(?:\W*(?:teilen(?:\s+(?:mit|auf|per))?|drucken|merken|partager|imprimer|compartir|imprimir|condividi|stampa
             |compartilhar|partilhar|delen|printen|udostępnij|drukuj|поделиться|печать)\W*){1,8}$"""),
         "share and tool bars ('Teilen mit:', 'Partager', 'Compartir')", languages=LANGUAGES),
    Rule("navigation", "line",
         rx(r"""^\W*(?:bild\s+anzeigen|wird\s+geladen|mehr\s+anzeigen|weiterlesen|nach\s+oben|startseite
             |(?:vorschau\s+auf\s+den\s+)?(?:nächsten|vorherigen)\s+artikel|nächster\s+artikel|vorheriger\s+artikel
             |lire\s+la\s+suite|chargement|article\s+(?:suivant|précédent)|cargando|leer\s+más|seguir\s+leyendo
             |art[ií]culo\s+(?:siguiente|anterior)|continua\s+a\s+leggere|caricamento|articolo\s+(?:successivo|precedente)
             |carregando|leia\s+mais|continue\s+lendo|lees\s+verder|czytaj\s+dalej|ładowanie|następny\s+artykuł
             |читать\s+далее|загрузка|следующая\s+статья|inhaltsverzeichnis|table\s+of\s+contents|sommaire|índice
             |indice|inhoudsopgave|spis\s+treści|содержание)\W*$"""),
         "page controls and loading labels ('Weiterlesen', 'Lire la suite', 'Cargando')", languages=LANGUAGES),
    Rule("cta-social", "line",
         rx(rf"""^(?=.{{0,200}}$).*\b(?:nuestro|our|unser\w*|notre|nostro|nosso|ons|nasz\w*|наш\w*|tenemos|temos|we\s+have|wir\s+haben)
             \s+(?:\w+\s+)?{_CHANNEL_WORDS}\b.{{0,20}}\b{CHANNELS}\b"""),
         "a plug for the site's own channel on a messaging or video platform", suffix=True,
         max_chars=SHORT_CHROME_CHARS, languages=("en", *LANGUAGES),
         needles=("canal", "channel", "kanal", "chaîne", "canale", "kanaal", "канал")),
    Rule("editor-credit", "line",
         rx(rf"^\W*(?:(?:[^\W\d_]{{2,4}}\s*/\s*)+{_AGENCIES}|{_AGENCIES}(?:\s*/\s*[^\W\d_]{{2,4}})+)\W*$"),
         "the desk's sign-off: editors' initials and the news agency ('aja/PAP', 'dpa/lby')", max_chars=40,
         languages=LANGUAGES),
    Rule("photo-credit", "line",
         rx(r"^\W*(?:fot\.|(?:foto|fotos|photos?|bild|bilder|image|zdjęcie|фото)\s*[:.])\s*\S.{0,80}$"),
         "a photo credit line ('Foto: NAME / AGENCY', 'Fot. NAME')", max_chars=100, languages=("en", *LANGUAGES),
         needles=("fot", "photo", "bild", "image", "zdjęcie", "фото")),
    Rule("advertisement", "line",
         rx(r"""^\W*(?:anzeige|werbung|publicidad|publicité|pubblicità|publicidade|advertentie|reklama|реклама|advertorial)
             (?:\s*[-–:,.|]\s*.{0,120})?$|\b(?:enthält|contains|contiene|contient)\s+(?:\w+\s+)?(?:affiliate[-\s]?links|werbung)\b"""),
         "advertising labels and affiliate disclosures", max_chars=160, languages=("en", *LANGUAGES),
         needles=("anzeige", "werbung", "publici", "pubblicit", "advertentie", "reklama", "реклама", "advertorial",
                  "affiliate")),
)

BOX_RULES: tuple[Rule, ...] = (
    Rule("related-box", "box", rx(r"^\W*" + _RELATED + HEADING_END),
         "a 'Das könnte Sie auch interessieren' / 'À lire aussi' box: the heading and the headlines under "
         "it go, and the story resumes after them", languages=LANGUAGES),
)

_INFO_BOX = r"""(?:(?:further|more|additional)\s+information|(?:press|media)\s+contacts?|contact(?:\s+us)?|sources?
    |weitere\s+informationen|zusatzinformationen|kontakt|pressekontakt|ansprechpartner(?:in)?(?:\s+zum\s+thema)?|quellen(?:angaben)?
    |originalpublikation|plus\s+d'informations|contact\s+presse|más\s+información|contacto|fuentes?|per\s+informazioni|contatti
    |mais\s+informações|contato|meer\s+informatie|więcej\s+informacji|kontakt\s+dla\s+mediów|źródła|источники|контакты)"""

BOUNDARY_RULES: tuple[Rule, ...] = (
    Rule("comments", "boundary", rx(r"^\W*" + _COMMENTS + HEADING_END), "the comment section after the story",
         languages=LANGUAGES),
    Rule("info-box", "boundary", rx(r"^\W*" + _INFO_BOX + HEADING_END),
         "a 'Further information' / 'Contact' / 'Sources' heading after the story: the press desk's "
         "addresses and links under it are not the story", languages=("en", *LANGUAGES)),
)
