"""The chrome rules in each covered language: a story written for the test, with the chrome sites put
around it; every story sentence is kept, every chrome line goes, and the record names the rule."""

from __future__ import annotations

import pytest

from corpus.clean.cleaner import clean_text

CASES = {
    "de": (["Der Stadtrat hat am Dienstagabend beschlossen, die alte Hafenbrücke im Frühjahr wieder für den "
            "Verkehr zu öffnen.",
            "Die Reparatur dauerte zwei Jahre und kostete deutlich mehr als ursprünglich geplant.",
            "Anwohner hoffen, dass die Staus auf der Umleitung durch die Innenstadt nun abnehmen."],
           [("Lesezeit: 3 Minuten", "page-meta"), ("Aktualisiert am 12.03.2026, 14:05 Uhr", "page-meta"),
            ("Von Anna Schmidt | 12.03.2026", "byline"),
            ("Folgen Sie uns auf WhatsApp für die wichtigsten Nachrichten aus der Region.", "cta-social"),
            ("Jetzt den Newsletter abonnieren und nichts mehr verpassen!", "cta-newsletter"),
            ("Redaktion: Thomas Weber", "editor-credit"), ("© 2026 Hafenbote. Alle Rechte vorbehalten.", "copyright"),
            ("Das könnte Sie auch interessieren", "related-box"),
            ("Kommentare", "comments")]),
    "fr": (["Le conseil municipal a voté mardi la réouverture du vieux pont du port au printemps prochain.",
            "Les travaux ont duré deux ans et ont coûté bien plus cher que prévu au départ.",
            "Les riverains espèrent que les embouteillages dans le centre-ville vont enfin diminuer."],
           [("Temps de lecture : 3 min", "page-meta"), ("Mis à jour le 12 mars 2026 à 14h05", "page-meta"),
            ("Rejoignez notre chaîne Telegram pour suivre l'actualité locale.", "cta-social"),
            ("Inscrivez-vous à notre newsletter quotidienne.", "cta-newsletter"),
            ("Tous droits réservés", "copyright"), ("À lire aussi", "related-box"),
            ("Laisser un commentaire", "comments")]),
    "es": (["El ayuntamiento aprobó el martes la reapertura del viejo puente del puerto la próxima primavera.",
            "Las obras duraron dos años y costaron mucho más de lo previsto al principio.",
            "Los vecinos esperan que los atascos en el centro de la ciudad disminuyan por fin."],
           [("Tiempo de lectura: 3 min", "page-meta"), ("Actualizado el 12/03/2026 a las 14:05", "page-meta"),
            ("Síguenos en Instagram para más noticias de la ciudad.", "cta-social"),
            ("Suscríbete a nuestro boletín de noticias.", "cta-newsletter"),
            ("Todos los derechos reservados.", "copyright"), ("Te puede interesar", "related-box"),
            ("Comentarios", "comments")]),
    "it": (["Il consiglio comunale ha approvato martedì la riapertura del vecchio ponte del porto in primavera.",
            "I lavori sono durati due anni e sono costati molto più del previsto.",
            "I residenti sperano che il traffico nel centro della città finalmente diminuisca."],
           [("Tempo di lettura: 3 minuti", "page-meta"), ("Aggiornato il 12/03/2026 alle 14:05", "page-meta"),
            ("Seguici su Facebook per restare aggiornato.", "cta-social"),
            ("Iscriviti alla newsletter per ricevere le notizie del giorno.", "cta-newsletter"),
            ("Riproduzione riservata", "copyright"), ("Leggi anche", "related-box"),
            ("Lascia un commento", "comments")]),
    "pt": (["A câmara municipal aprovou na terça-feira a reabertura da velha ponte do porto na primavera.",
            "As obras duraram dois anos e custaram muito mais do que o previsto inicialmente.",
            "Os moradores esperam que os engarrafamentos no centro da cidade finalmente diminuam."],
           [("Tempo de leitura: 3 min", "page-meta"), ("Atualizado em 12/03/2026 às 14:05", "page-meta"),
            ("Siga-nos no Instagram e acompanhe as notícias da região.", "cta-social"),
            ("Assine a nossa newsletter e receba as principais notícias.", "cta-newsletter"),
            ("Todos os direitos reservados.", "copyright"), ("Leia também", "related-box"),
            ("Deixe um comentário", "comments")]),
    "nl": (["De gemeenteraad heeft dinsdag besloten de oude havenbrug in het voorjaar weer te openen.",
            "De reparatie duurde twee jaar en kostte veel meer dan oorspronkelijk gepland.",
            "Bewoners hopen dat de files in het centrum van de stad eindelijk afnemen."],
           [("Leestijd: 3 minuten", "page-meta"), ("Bijgewerkt op 12-03-2026 om 14:05", "page-meta"),
            ("Volg ons op Facebook voor het laatste nieuws uit de regio.", "cta-social"),
            ("Schrijf je in voor onze nieuwsbrief.", "cta-newsletter"),
            ("Alle rechten voorbehouden.", "copyright"), ("Lees ook", "related-box"), ("Reacties", "comments")]),
    "pl": (["Rada miasta zdecydowała we wtorek o ponownym otwarciu starego mostu portowego na wiosnę.",
            "Remont trwał dwa lata i kosztował znacznie więcej, niż pierwotnie planowano.",
            "Mieszkańcy mają nadzieję, że korki w centrum miasta wreszcie się zmniejszą."],
           [("Czas czytania: 3 min", "page-meta"), ("Aktualizacja: 12.03.2026 14:05", "page-meta"),
            ("Obserwuj nas na Facebooku, aby być na bieżąco.", "cta-social"),
            ("Zapisz się do naszego newslettera.", "cta-newsletter"),
            ("Wszelkie prawa zastrzeżone.", "copyright"), ("Czytaj także", "related-box"),
            ("Komentarze", "comments")]),
    "ru": (["Городской совет во вторник решил весной снова открыть старый портовый мост для движения.",
            "Ремонт продолжался два года и обошёлся намного дороже, чем планировалось.",
            "Жители надеются, что пробки в центре города наконец уменьшатся."],
           [("Время чтения: 3 минуты", "page-meta"), ("Обновлено: 12.03.2026 14:05", "page-meta"),
            ("Подписывайтесь на наш канал в Telegram, чтобы не пропустить новости.", "cta-social"),
            ("Подпишитесь на нашу рассылку новостей.", "cta-newsletter"),
            ("Все права защищены.", "copyright"), ("Читайте также", "related-box"), ("Комментарии", "comments")]),
    "sv": (["Kommunfullmäktige beslutade på tisdagskvällen att den gamla hamnbron ska öppnas för trafik igen i vår.",
            "Reparationen tog två år och kostade betydligt mer än vad som ursprungligen planerades.",
            "De boende hoppas att köerna på omvägen genom centrum nu ska minska."],
           [("Publicerad 4 mars 2026 kl. 06.30", "page-meta"), ("Lästid: 3 min", "page-meta"),
            ("Följ oss på Instagram för fler lokala nyheter.", "cta-social"),
            ("Prenumerera på vårt nyhetsbrev och få nyheterna varje morgon.", "cta-newsletter"),
            ("Annons", "advertisement"), ("Källa: TT", "editor-credit"), ("Läs mer", "related-box"),
            ("Kommentarer", "comments")]),
    "da": (["Byrådet besluttede tirsdag aften, at den gamle havnebro skal åbnes for trafik igen til foråret.",
            "Reparationen tog to år og kostede langt mere end oprindeligt planlagt.",
            "Beboerne håber, at køerne på omkørslen gennem centrum nu bliver mindre."],
           [("Opdateret 4. marts 2026 kl. 06.30", "page-meta"),
            ("Tilmeld dig vores nyhedsbrev og få dagens vigtigste nyheder.", "cta-newsletter"),
            ("Annonce", "advertisement"), ("Læs også", "related-box"), ("Kommentarer", "comments")]),
    "no": (["Bystyret vedtok tirsdag kveld at den gamle havnebrua skal åpnes for trafikk igjen til våren.",
            "Reparasjonen tok to år og kostet langt mer enn det som opprinnelig var planlagt.",
            "Beboerne håper at køene på omkjøringen gjennom sentrum nå blir kortere."],
           [("Publisert 4. mars 2026 kl. 06.30", "page-meta"),
            ("Følg oss på Facebook for flere nyheter.", "cta-social"),
            ("Annonse", "advertisement"), ("Les også", "related-box"), ("Kommentarer", "comments")]),
    "fi": (["Kaupunginvaltuusto päätti tiistai-iltana, että vanha satamasilta avataan liikenteelle uudelleen keväällä.",
            "Korjaus kesti kaksi vuotta ja maksoi huomattavasti enemmän kuin alun perin suunniteltiin.",
            "Asukkaat toivovat, että ruuhkat keskustan kiertotiellä vihdoin vähenevät."],
           [("Päivitetty 4.3.2026 klo 6.30", "page-meta"),
            ("Tilaa uutiskirjeemme ja saat uutiset aamuisin.", "cta-newsletter"),
            ("Mainos", "advertisement"), ("Lähde: STT", "editor-credit"), ("Lue myös", "related-box"),
            ("Kommentit", "comments")]),
    "cs": (["Zastupitelstvo v úterý večer rozhodlo, že starý přístavní most bude na jaře znovu otevřen pro dopravu.",
            "Oprava trvala dva roky a stála mnohem více, než se původně plánovalo.",
            "Obyvatelé doufají, že kolony na objížďce přes centrum města konečně ubudou."],
           [("Aktualizováno 4. března 2026 10:42", "page-meta"),
            ("Sledujte nás na Facebooku a nic vám neunikne.", "cta-social"), ("Reklama", "advertisement"),
            ("Všechna práva vyhrazena.", "copyright"), ("Zdroj: ČTK", "editor-credit"),
            ("Související články", "related-box"), ("Diskuse", "comments")]),
    "sk": (["Mestské zastupiteľstvo v utorok večer rozhodlo, že starý prístavný most bude na jar opäť otvorený.",
            "Oprava trvala dva roky a stála oveľa viac, ako sa pôvodne plánovalo.",
            "Obyvatelia dúfajú, že kolóny na obchádzke cez centrum mesta konečne ubudnú."],
           [("Aktualizované 4. marca 2026 10:42", "page-meta"), ("Reklama", "advertisement"),
            ("Všetky práva vyhradené.", "copyright"), ("Čítajte aj", "related-box"), ("Diskusia", "comments")]),
    "hu": (["A városi közgyűlés kedd este úgy döntött, hogy tavasszal újra megnyitják a forgalom előtt a régi "
            "kikötői hidat.",
            "A javítás két évig tartott, és jóval többe került, mint amennyit eredetileg terveztek.",
            "A lakók abban bíznak, hogy a belvárosi terelőúton végre csökkennek a dugók."],
           [("Frissítve: 2026.03.04. 10:42", "page-meta"), ("Iratkozzon fel hírlevelünkre!", "cta-newsletter"),
            ("Hirdetés", "advertisement"), ("Minden jog fenntartva.", "copyright"), ("Forrás: MTI", "editor-credit"),
            ("Kapcsolódó cikkek", "related-box"), ("Hozzászólások", "comments")]),
    "ro": (["Consiliul local a decis marți seara ca vechiul pod din port să fie redeschis circulației în primăvară.",
            "Reparația a durat doi ani și a costat mult mai mult decât se plănuise inițial.",
            "Locuitorii speră că ambuteiajele de pe ruta ocolitoare prin centru se vor reduce în sfârșit."],
           [("Actualizat: 04.03.2026, 10:42", "page-meta"), ("Publicitate", "advertisement"),
            ("Toate drepturile rezervate.", "copyright"), ("Sursa: Agerpres", "editor-credit"),
            ("Citește și", "related-box"), ("Comentarii", "comments")]),
    "bg": (["Общинският съвет реши във вторник вечерта старият пристанищен мост да бъде отворен отново през пролетта.",
            "Ремонтът продължи две години и струваше много повече от първоначално планираното.",
            "Жителите се надяват, че задръстванията по обходния маршрут през центъра най-после ще намалеят."],
           [("Обновена: 04.03.2026 10:42", "page-meta"), ("Реклама", "advertisement"),
            ("Всички права запазени.", "copyright"), ("Източник: БТА", "editor-credit"),
            ("Още по темата", "related-box"), ("Коментари", "comments")]),
    "el": (["Το δημοτικό συμβούλιο αποφάσισε την Τρίτη το βράδυ να ανοίξει ξανά την παλιά γέφυρα του λιμανιού την "
            "άνοιξη.",
            "Η επισκευή κράτησε δύο χρόνια και κόστισε πολύ περισσότερο από ό,τι είχε αρχικά προβλεφθεί.",
            "Οι κάτοικοι ελπίζουν ότι η κίνηση στην παράκαμψη μέσα από το κέντρο θα μειωθεί επιτέλους."],
           [("Τελευταία ενημέρωση: 04.03.2026 10:42", "page-meta"), ("Διαφήμιση", "advertisement"),
            ("Πηγή: ΑΠΕ-ΜΠΕ", "editor-credit"), ("Διαβάστε επίσης", "related-box"), ("Σχόλια", "comments")]),
    "tr": (["Belediye meclisi salı akşamı eski liman köprüsünün ilkbaharda yeniden trafiğe açılmasına karar verdi.",
            "Onarım iki yıl sürdü ve başlangıçta planlanandan çok daha pahalıya mal oldu.",
            "Mahalle sakinleri, şehir merkezinden geçen alternatif yoldaki trafiğin nihayet azalmasını umuyor."],
           [("Güncelleme: 04.03.2026 - 10:42", "page-meta"), ("Reklam", "advertisement"),
            ("Tüm hakları saklıdır.", "copyright"), ("Kaynak: İHA", "editor-credit"),
            ("İlgili Haberler", "related-box"), ("Yorumlar", "comments")]),
    "uk": (["Міська рада у вівторок увечері вирішила навесні знову відкрити для руху старий портовий міст.",
            "Ремонт тривав два роки й обійшовся значно дорожче, ніж планували спочатку.",
            "Мешканці сподіваються, що затори на об'їзді через центр міста нарешті зменшаться."],
           [("Оновлено: 04.03.2026 10:42", "page-meta"),
            ("Підписуйтесь на наш Telegram-канал, щоб не пропустити головне.", "cta-social"),
            ("Реклама", "advertisement"), ("Джерело: Укрінформ", "editor-credit"),
            ("Читайте також", "related-box"), ("Коментарі", "comments")]),
    "ar": (["قرر المجلس البلدي مساء الثلاثاء إعادة فتح جسر الميناء القديم أمام حركة المرور في فصل الربيع.",
            "استغرقت أعمال الإصلاح عامين وكلفت أكثر بكثير مما كان مخططا له في البداية.",
            "يأمل السكان أن تتراجع الاختناقات المرورية على الطريق البديل عبر وسط المدينة أخيرا."],
           [("آخر تحديث: 04/03/2026 10:42", "page-meta"), ("إعلان", "advertisement"),
            ("جميع الحقوق محفوظة.", "copyright"), ("المصدر: وكالات", "editor-credit"),
            ("مواضيع ذات صلة", "related-box"), ("التعليقات", "comments")]),
    "fa": (["شورای شهر سه‌شنبه شب تصمیم گرفت پل قدیمی بندر را در بهار دوباره به روی خودروها باز کند.",
            "تعمیر این پل دو سال طول کشید و بسیار بیشتر از برآورد اولیه هزینه داشت.",
            "ساکنان امیدوارند ترافیک مسیر جایگزین در مرکز شهر سرانجام کاهش یابد."],
           [("تاریخ انتشار: ۱۴۰۴/۱۲/۱۳ ۱۰:۴۲", "page-meta"), ("تبلیغات", "advertisement"),
            ("منبع: ایسنا", "editor-credit"), ("اخبار مرتبط", "related-box"), ("نظرات", "comments")]),
    "he": (["מועצת העיר החליטה ביום שלישי בערב לפתוח מחדש לתנועה את גשר הנמל הישן באביב.",
            "התיקון נמשך שנתיים ועלה הרבה יותר ממה שתוכנן בתחילה.",
            "התושבים מקווים שהפקקים בדרך העוקפת דרך מרכז העיר יפחתו סוף סוף."],
           [("עודכן: 04.03.2026 10:42", "page-meta"), ("פרסומת", "advertisement"),
            ("כל הזכויות שמורות.", "copyright"), ("כתבות נוספות", "related-box"), ("תגובות", "comments")]),
    "hi": (["नगर परिषद ने मंगलवार शाम फैसला किया कि बंदरगाह का पुराना पुल वसंत में फिर से यातायात के लिए खोला जाएगा।",
            "मरम्मत में दो साल लगे और इस पर शुरुआती अनुमान से कहीं ज्यादा खर्च हुआ।",
            "निवासियों को उम्मीद है कि शहर के बीच से गुजरने वाले वैकल्पिक रास्ते पर जाम अब कम होगा।"],
           [("अपडेटेड: 04 मार्च 2026, 10:42", "page-meta"), ("विज्ञापन", "advertisement"),
            ("स्रोत: पीटीआई", "editor-credit"), ("यह भी पढ़ें", "related-box"), ("टिप्पणियां", "comments")]),
    "id": (["Dewan kota pada Selasa malam memutuskan jembatan pelabuhan lama akan dibuka kembali untuk lalu lintas "
            "pada musim semi.",
            "Perbaikan berlangsung dua tahun dan menelan biaya jauh lebih besar dari rencana semula.",
            "Warga berharap kemacetan di jalur pengalihan melalui pusat kota akhirnya berkurang."],
           [("Diperbarui 04 Maret 2026, 10:42 WIB", "page-meta"), ("Iklan", "advertisement"),
            ("Hak cipta dilindungi undang-undang.", "copyright"), ("Editor: Budi Santoso", "editor-credit"),
            ("Baca Juga", "related-box"), ("Komentar", "comments")]),
    "vi": (["Hội đồng thành phố tối thứ Ba quyết định mở lại cây cầu cảng cũ cho xe cộ lưu thông vào mùa xuân.",
            "Việc sửa chữa kéo dài hai năm và tốn kém hơn nhiều so với dự kiến ban đầu.",
            "Người dân hy vọng tình trạng ùn tắc trên tuyến đường vòng qua trung tâm sẽ giảm bớt."],
           [("Cập nhật: 04/03/2026 10:42", "page-meta"), ("Quảng cáo", "advertisement"),
            ("Nguồn: TTXVN", "editor-credit"),
            ("Tin liên quan", "related-box"), ("Bình luận", "comments")]),
    "ja": (["市議会は火曜日の夜、港の古い橋を春に再び通行可能にすることを決めた。",
            "修理には二年かかり、当初の計画を大きく上回る費用がかかった。",
            "住民は、中心部を通る迂回路の渋滞がようやく減ることを期待している。"],
           [("2026年3月4日 11時42分", "page-meta"), ("広告", "advertisement"), ("無断転載を禁じます。", "copyright"),
            ("関連ニュース", "related-box"), ("コメント", "comments")]),
    "zh": (["市议会周二晚间决定，港口的旧桥将在春季重新开放通车。",
            "维修工程持续了两年，费用远远超出最初的预算。",
            "居民们希望，穿过市中心的绕行道路上的拥堵终于能够缓解。"],
           [("发布时间：2026-03-04 10:42", "page-meta"), ("2026年3月4日", "page-meta"), ("广告", "advertisement"),
            ("版权所有 © 新华网", "copyright"), ("责任编辑：王伟", "editor-credit"), ("来源：新华社", "editor-credit"),
            ("延伸阅读", "related-box"), ("网友评论", "comments")]),
    "ko": (["시의회는 화요일 저녁 낡은 항구 다리를 봄에 다시 개통하기로 결정했다.",
            "보수 공사는 2년이 걸렸고 처음 계획보다 훨씬 많은 비용이 들었다.",
            "주민들은 도심을 지나는 우회 도로의 정체가 마침내 줄어들기를 기대하고 있다."],
           [("입력 2026.03.04 10:42", "page-meta"), ("광고", "advertisement"),
            ("무단전재 및 재배포 금지", "copyright"), ("관련기사", "related-box"), ("댓글", "comments")]),
    "ca": (["El ple municipal va aprovar dimarts a la nit la reobertura del vell pont del port la propera primavera.",
            "Les obres van durar dos anys i van costar molt més del que s'havia previst.",
            "Els veïns esperen que els embussos al centre de la ciutat disminueixin per fi."],
           [("Actualitzat el 04/03/2026 a les 10:42", "page-meta"), ("Publicitat", "advertisement"),
            ("Tots els drets reservats.", "copyright"), ("Notícies relacionades", "related-box"),
            ("Comentaris", "comments")]),
    "hr": (["Gradsko vijeće u utorak je navečer odlučilo da će stari lučki most na proljeće ponovno biti otvoren za "
            "promet.",
            "Popravak je trajao dvije godine i stajao mnogo više nego što je prvotno planirano.",
            "Stanovnici se nadaju da će se gužve na obilaznici kroz središte grada konačno smanjiti."],
           [("Objavljeno: 04.03.2026. u 10:42", "page-meta"), ("Oglas", "advertisement"),
            ("Sva prava pridržana.", "copyright"), ("Izvor: Hina", "editor-credit"),
            ("Povezani članci", "related-box"), ("Komentari", "comments")]),
    "sr": (["Градско веће је у уторак увече одлучило да стари лучки мост на пролеће поново буде отворен за саобраћај.",
            "Поправка је трајала две године и коштала много више него што је првобитно планирано.",
            "Становници се надају да ће гужве на обилазници кроз центар града коначно бити мање."],
           [("Ажурирано: 04.03.2026. 10:42", "page-meta"), ("Оглас", "advertisement"),
            ("Сва права задржана.", "copyright"), ("Извор: Танјуг", "editor-credit"),
            ("Прочитајте још", "related-box"), ("Коментари", "comments")]),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_chrome_in_each_language_goes_and_the_story_stays(lang):
    story, chrome = CASES[lang]
    head = [line for line, rule in chrome if rule in ("page-meta", "byline")]
    tail = [line for line, rule in chrome if rule not in ("page-meta", "byline", "related-box")]
    box = [line for line, rule in chrome if rule == "related-box"]
    headline = "Headline of another story in the box"
    # the box sits between two story paragraphs: it goes, the story after it stays
    text = "\n".join(head + story[:2] + box + [headline] + story[2:] + tail)
    kept, removed = clean_text(text)
    kept_lines = kept.split("\n")
    for sentence in story:
        assert sentence in kept_lines, f"{lang}: a story sentence was removed: {sentence}"
    removed_by = {}
    for removal in removed:
        for line in removal.text.split("\n"):
            removed_by[line] = removal.rule
    for line, rule in chrome:
        assert line not in kept, f"{lang}: chrome kept: {line}"
        if rule != "comments":  # the comment heading ends the story: what follows goes with it
            assert removed_by.get(line) == rule, f"{lang}: {line!r} removed by {removed_by.get(line)}, not {rule}"
    assert removed_by.get(CASES[lang][1][-1][0]) == "comments"
    assert headline not in kept_lines, f"{lang}: the box's headline goes with it"


def test_skip_rule_keeps_what_the_rule_would_remove():
    story, chrome = CASES["de"]
    text = "\n".join(story + ["Redaktion: Thomas Weber"])
    assert "Redaktion: Thomas Weber" not in clean_text(text)[0]
    kept, removed = clean_text(text, frozenset({"editor-credit"}))
    assert "Redaktion: Thomas Weber" in kept and not [r for r in removed if r.rule == "editor-credit"]


def test_rules_list_the_languages_they_know():
    from click.testing import CliRunner

    from cli.main import main

    out = CliRunner().invoke(main, ["rules"]).output
    rows = {line.split("\t")[0] + "/" + line.split("\t")[1]: line.split("\t")[2] for line in out.splitlines()
            if not line.startswith("#")}
    assert set(rows["cta-social/line+suffix"].split(",")) >= set(CASES) | {"en"}
    assert rows["tail-fragment/structural"] == "any"


def test_rules_list_each_language_file_and_its_kinds():
    from click.testing import CliRunner

    from cli.main import main

    out = CliRunner().invoke(main, ["rules", "--languages"]).output
    rows = {line.split("\t")[0]: line.split("\t")[2] for line in out.splitlines() if not line.startswith("#")}
    assert set(rows) >= set(CASES) | {"en"} and len(rows) >= 30
    assert "related(" in rows["sv"] and "related-box" in rows["sv"] and "editor-credit" in rows["tr"]


def test_a_language_is_a_data_file_of_known_kinds():
    from corpus.clean.rules.phrases import KINDS, LANGUAGE_DATA

    for code in CASES:
        assert code in LANGUAGE_DATA, code
        assert set(LANGUAGE_DATA[code]["phrases"]) <= set(KINDS)


# Sign-offs, credits, ad labels, "read also" lines and channel plugs, as sites in each language write them:
# each line goes under the named rule, inside or after a story that stays whole.
CREDITS_AND_PLUGS = [
    ("bk/PAP", "editor-credit"), ("dpa/lno", "editor-credit"), ("mr/ANSA", "editor-credit"),
    ("Foto: Julia Berger / dpa", "photo-credit"), ("Fot. Adam Nowak / Agencja Gazeta", "photo-credit"),
    ("Photo: Sam Reed/Reuters", "photo-credit"),
    ("Anzeige – Jetzt im Shop: Winterjacken zum halben Preis", "advertisement"),
    ("Dieser Beitrag enthält Affiliate-Links.", "advertisement"), ("Publicidad", "advertisement"),
    ("Lea también: El alcalde presenta el nuevo plan de tráfico", "inline-related"),
    ("LE PUEDE INTERESAR: Así será la nueva línea de autobús", "inline-related"),
    ("VEA TAMBIÉN: Cierran el mercado por obras", "inline-related"),
    ("Lesen Sie hier: Wie die Brücke gebaut wurde", "inline-related"),
    ("Dowiedz się więcej: Jak głosowali radni", "inline-related"),
    ("¿Ya sabías que tenemos canal de WhatsApp? Únete con este enlace.", "cta-social"),
    ("Abonniert unseren Kanal auf YouTube!", "cta-social"),
    ("Teilen mit:", "share-bar"), ("Partager Imprimer", "share-bar"), ("Weiterlesen", "navigation"),
    ("Cargando...", "navigation"), ("Czytaj dalej", "navigation"), ("Inhaltsverzeichnis", "navigation"),
    ("Sie sind aktuell nicht eingeloggt.", "cta-support"), ("Letzte Änderung 03.02.2026", "page-meta"),
    ("Subscribe now to our print edition for the full story.", "cta-support"),
    ("We want to hear what you think about this article.", "comments"),
    ("Get the Harbour Post's morning edition by email and never miss a story. Free Sign Up", "cta-newsletter"),
]


@pytest.mark.parametrize("line,rule", CREDITS_AND_PLUGS)
def test_credits_ad_labels_and_plugs_go_by_name(line, rule):
    story = CASES["de"][0]
    kept, removed = clean_text("\n".join(story[:2] + [line] + story[2:]))
    assert line not in kept.split("\n"), f"chrome kept: {line}"
    assert all(sentence in kept.split("\n") for sentence in story)
    assert [r.rule for r in removed if line in r.text.split("\n")] == [rule]


@pytest.mark.parametrize("sentence", [
    "Die Werbung der Partei zeigte den Kandidaten vor dem Rathaus, was im Stadtrat für Streit sorgte.",
    "El presidente habló durante una hora en su canal de YouTube y respondió preguntas de los vecinos.",
    "Foto und Film waren für die Künstlerin zwei Seiten derselben Arbeit, sagte die Kuratorin am Montag.",
    "Lesen Sie hier weiter, sagte der Bürgermeister und zeigte auf den Bericht der Gutachter.",
])
def test_story_sentences_with_the_same_words_stay(sentence):
    story = CASES["de"][0]
    kept, _ = clean_text("\n".join(story[:2] + [sentence] + story[2:]))
    assert sentence in kept.split("\n")


@pytest.mark.parametrize("heading", ["Weitere Informationen:", "Pressekontakt", "Más información", "Contact presse",
                                     "Further information"])
def test_an_info_box_heading_after_the_story_takes_the_addresses_under_it(heading):
    story = CASES["de"][0]
    address = "Stadtwerke Hafenstadt, Uferweg 3, 12345 Hafenstadt, Telefon 0123 45678"
    kept, removed = clean_text("\n".join([*story, heading, address]))
    assert kept.split("\n") == story
    assert [r.rule for r in removed] == ["info-box"] and address in removed[0].text


# More chrome as each language's sites print it, placed inside a story that must stay whole.
MORE_CHROME = [
    ("Läs också: Regeringen vill sänka skatten på bensin", "inline-related"),
    ("Související články: Vláda chce snížit daň z benzinu", "inline-related"),
    ("延伸阅读：政府计划降低燃油税", "inline-related"),
    ("【相关阅读】政府计划降低燃油税", "inline-related"),
    ("Baca juga: Pemerintah akan menurunkan pajak bensin", "inline-related"),
    ("Читайте также: Правительство снизит налог на бензин", "inline-related"),
    ("Noticias relacionadas: El Gobierno bajará el impuesto a la gasolina", "inline-related"),
    ("Par Jean Dupont, le 4 mars à 14h05", "byline"),
    ("di Marco Rossi, 4 marzo ore 14:05", "byline"),
    ("Assine a nossa newsletter e receba as notícias no seu e-mail.", "cta-newsletter"),
    ("Takip edin: Google News kanalımıza abone olun", "cta-social"),
    ("Bizi Telegram kanalımızdan takip edin.", "cta-social"),
    ("关注我们的微信公众号", "cta-social"),
    ("Laden Sie unsere App herunter und lesen Sie unterwegs.", "cta-app"),
    ("11時42分", "page-meta"),
    ("kl. 06.30", "page-meta"),
    ("3 Min. Lesezeit", "page-meta"),
    ("Hafenbote © 2026", "copyright"),
    ("Tüm hakları saklıdır.", "copyright"),
    ("责任编辑：王伟", "editor-credit"),
    ("المصدر: وكالات", "editor-credit"),
    ("Iklan", "advertisement"),
    ("إعلان", "advertisement"),
    ("Sobre el autor", "author-bio"),
]


@pytest.mark.parametrize("line,rule", MORE_CHROME)
def test_more_chrome_in_each_language_goes_by_name(line, rule):
    story = CASES["de"][0]
    kept, removed = clean_text("\n".join(story[:2] + [line] + story[2:]))
    assert line not in kept.split("\n"), f"chrome kept: {line}"
    if rule != "author-bio":  # a bio heading ends the story: the sentence after it goes with it
        assert all(sentence in kept.split("\n") for sentence in story)
    assert [r.rule for r in removed if line in r.text.split("\n")] == [rule]


def test_a_telegram_plug_tacked_onto_a_russian_paragraph_is_cut_off():
    story = CASES["ru"][0]
    plug = "Подписывайтесь на наш Telegram-канал, чтобы не пропустить новости."
    kept, removed = clean_text("\n".join([story[0], story[1] + " " + plug, story[2]]))
    assert kept.split("\n") == story
    assert [(r.rule, r.text) for r in removed] == [("cta-social", plug)]


# Issue 27: a story sentence that opens with a label's words is story, not chrome, and never ends the story.
LABELLED_SENTENCES = [
    "Edited by hand, the official figures showed a rise of four percent over the winter months.",
    "Reporting by volunteers from the angling club showed that the river was cleaner than last year.",
    "Related: the minister said the bridge would cost twice what the council had first been told.",
    "Click here, the fraudsters' emails said, and many pensioners did exactly that before the bank noticed.",
    "All rights reserved, the company's lawyers wrote in a letter that the council published on Friday.",
    "Lesen Sie auch: die Stadt hat die Kosten verschwiegen, sagte der Sprecher der Opposition am Montag.",
]


@pytest.mark.parametrize("sentence", LABELLED_SENTENCES)
def test_a_story_sentence_opening_with_a_label_stays_and_the_story_after_it_too(sentence):
    story = ["The council met on Tuesday evening to discuss the harbour bridge and its long repair.",
             "The repair took two years and cost far more than the engineers had planned at the start.",
             sentence,
             "Residents hope the queues on the detour through the town centre will now get shorter.",
             "The bridge opens to traffic again in the spring, the council said."]
    kept, removed = clean_text("\n".join(story))
    assert kept.split("\n") == story, [(r.rule, r.text) for r in removed]


def test_a_word_starting_trie_finds_what_each_phrase_alone_finds() -> None:
    """``trie(..., lead=True)`` puts the branches that must start a word under one look-behind: wherever a
    phrase stands alone in a line (a word starting there, as its own pattern requires), the trie finds a
    phrase starting at the same place, on every language's anywhere-phrases and on noise around them."""
    import random
    import re

    from corpus.clean.rules.phrases import ANYWHERE_KINDS, _atom, _bounded, _phrases, trie

    rng = random.Random(11)
    for kind in sorted(ANYWHERE_KINDS):
        phrases = sorted(_phrases(kind))
        joined = re.compile(trie(phrases, lead=True))
        alone = [re.compile(("(?<!\\w)" if _bounded(p[0]) else "") + "".join(map(_atom, p))
                            + ("(?!\\w)" if _bounded(p[-1]) else "")) for p in phrases]
        noise = ["x", "our", "a", "-", " ", "東", "é", "1", "'", "İ".lower()]
        for _ in range(300):
            line = "".join(rng.choice([rng.choice(phrases), *noise, " "]) for _ in range(rng.randrange(1, 8)))
            starts = [m.start() for pattern in alone if (m := pattern.search(line))]
            found = joined.search(line)
            assert (found.start() if found else None) == (min(starts) if starts else None), (kind, line)
