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
    assert rows["cta-social/line+suffix"] == "de,en,es,fr,it,nl,pl,pt,ru"
    assert rows["tail-fragment/structural"] == "any"


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
