"""`make eval` (learned chrome): template chrome no phrase rule knows, learned from a multi-site night.

A night of news is generated here (deterministic: a seeded random generator, no network): seven
languages, three sites each, 5-30 stories per site, in the shapes crawls give (JSONL with urls, JSONL
without urls in ``crawl/HOST/`` folders, ``.txt`` scrapes in ``crawl/HOST/...``). Each site prints its
template chrome as such sites do, with text that changes from page to page: a dateline, a reading
time, a photo credit, an advertisement label in two cases, "read also: HEADLINE" (another story of the
run), tags, and a related heading over headlines. Estonian (et) and Swahili (sw) are left out of every
phrase rule on purpose (and fi, hu, vi, id, tr, sv have no phrase file as this is written): only
corpus evidence can find this chrome. Story lines include a short subheading, quotes, and a background
sentence one site repeats on three of its stories; none of them may go.

Measured: the share of chrome lines removed by the learned rules alone (learned-template,
linked-headline, learned-heading; target >= 0.70) and by any rule, story lines lost (target 0);
then a second night (new stories, 1-4 a site) run against the first night's ``--state`` (>= 0.85).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEARNED = {"learned-template", "linked-headline", "learned-heading"}

LANGS = {
    "fi": dict(
        words="hallitus kaupunki päätti tiistaina uuden suunnitelman jonka mukaan asukkaat saavat enemmän tukea "
              "vuonna kunta ilmoitti että työ alkaa keväällä ja jatkuu pitkälle syksyyn asti mutta rahoitus on "
              "vielä auki koska valtio ei ole vielä vahvistanut osuuttaan hankkeesta joka maksaa miljoonia",
        names=["Matti Virtanen", "Anna Korhonen", "Jussi Mäkinen", "Laura Nieminen", "Pekka Laine"],
        date=lambda r: f"{r.randint(1, 28)}.{r.randint(1, 12)}. klo {r.randint(6, 22)}.{r.randint(10, 59)}",
        read=lambda r: f"Lukuaika {r.randint(2, 9)} min", credit="Kuva: {n} / Lehtikuva", ad=("MAINOS", "Mainos"),
        also="Lue myös: {t}", tags="Aiheet: {a}, {b}", related="Aiheesta lisää", quote="– {s}, {n} sanoo."),
    "sv": dict(
        words="regeringen staden beslutade på tisdagen om en ny plan som innebär att invånarna får mer stöd under "
              "året kommunen meddelade att arbetet börjar i vår och fortsätter långt in i hösten men finansieringen "
              "är fortfarande öppen eftersom staten ännu inte har bekräftat sin andel av projektet",
        names=["Erik Lindqvist", "Sara Nyström", "Johan Berg", "Maria Holm", "Per Ekström"],
        date=lambda r: f"{r.randint(1, 28)} {r.choice(['jan', 'feb', 'mars', 'nov'])} 2026 kl. "
                       f"{r.randint(6, 22)}.{r.randint(10, 59)}",
        read=lambda r: f"{r.randint(2, 9)} min läsning", credit="Foto: {n} / TT", ad=("ANNONS", "Annons"),
        also="Läs också: {t}", tags="Ämnen: {a}, {b}", related="Relaterat", quote="– {s}, säger {n}."),
    "hu": dict(
        words="a kormány város kedden döntött egy új tervről amely szerint a lakók több támogatást kapnak az évben "
              "az önkormányzat bejelentette hogy a munka tavasszal kezdődik és egészen őszig tart de a finanszírozás "
              "még nyitott mert az állam még nem erősítette meg a részét a projektből",
        names=["Nagy Péter", "Kovács Anna", "Tóth László", "Szabó Éva", "Horváth Gábor"],
        date=lambda r: f"2026. {r.choice(['november', 'december', 'január'])} {r.randint(1, 28)}. "
                       f"{r.randint(6, 22)}:{r.randint(10, 59)}",
        read=lambda r: f"Olvasási idő: {r.randint(2, 9)} perc", credit="Fotó: {n} / MTI", ad=("HIRDETÉS", "Hirdetés"),
        also="Olvasd el: {t}", tags="Címkék: {a}, {b}", related="Kapcsolódó cikkek", quote="„{s}” – mondta {n}."),
    "vi": dict(
        words="chính phủ thành phố hôm thứ ba đã quyết định một kế hoạch mới theo đó người dân sẽ nhận được nhiều "
              "hỗ trợ hơn trong năm chính quyền cho biết công việc sẽ bắt đầu vào mùa xuân và kéo dài đến mùa thu "
              "nhưng nguồn vốn vẫn chưa rõ vì nhà nước chưa xác nhận phần của mình trong dự án",
        names=["Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Quốc Dũng", "Hoàng Thu Hà"],
        date=lambda r: f"{r.choice(['Thứ ba', 'Thứ tư', 'Thứ năm'])}, {r.randint(1, 28)}/{r.randint(1, 12)}/2026, "
                       f"{r.randint(6, 22)}:{r.randint(10, 59)} (GMT+7)",
        read=lambda r: f"{r.randint(2, 9)} phút đọc", credit="Ảnh: {n}", ad=("QUẢNG CÁO", "Quảng cáo"),
        also="Xem thêm: {t}", tags="Từ khóa: {a}, {b}", related="Tin liên quan", quote="“{s}”, ông {n} nói."),
    "id": dict(
        words="pemerintah kota pada hari selasa memutuskan rencana baru yang membuat warga akan mendapat lebih "
              "banyak bantuan tahun ini pemerintah daerah mengatakan pekerjaan akan dimulai pada musim semi dan "
              "berlanjut hingga akhir tahun tetapi pendanaan masih terbuka karena negara belum memastikan bagiannya",
        names=["Budi Santoso", "Siti Rahayu", "Agus Wijaya", "Dewi Lestari", "Rudi Hartono"],
        date=lambda r: f"{r.choice(['Selasa', 'Rabu', 'Kamis'])}, {r.randint(1, 28)} Nov 2026 "
                       f"{r.randint(6, 22)}:{r.randint(10, 59)} WIB",
        read=lambda r: f"Waktu baca {r.randint(2, 9)} menit", credit="Foto: {n}/Antara", ad=("IKLAN", "Iklan"),
        also="Baca juga: {t}", tags="Tag: {a}, {b}", related="Berita terkait", quote="\"{s},\" kata {n}."),
    "et": dict(
        words="valitsus linn otsustas teisipäeval uue kava mille järgi saavad elanikud rohkem toetust aasta jooksul "
              "vald teatas et töö algab kevadel ja kestab sügiseni kuid rahastus on veel lahtine sest riik ei ole "
              "veel kinnitanud oma osa projektist mis maksab miljoneid",
        names=["Mart Tamm", "Kati Saar", "Jaan Sepp", "Liis Mägi", "Toomas Kask"],
        date=lambda r: f"{r.randint(1, 28)}.{r.randint(1, 12)}.2026 {r.randint(6, 22)}:{r.randint(10, 59)}",
        read=lambda r: f"Lugemisaeg {r.randint(2, 9)} min", credit="Foto: {n} / Postimees", ad=("REKLAAM", "Reklaam"),
        also="Loe ka: {t}", tags="Teemad: {a}, {b}", related="Seotud lood", quote="„{s},” ütles {n}."),
    "sw": dict(
        words="serikali jiji iliamua siku ya jumanne mpango mpya ambao wakazi watapata msaada zaidi mwaka huu "
              "halmashauri ilisema kazi itaanza msimu wa mvua na kuendelea hadi mwisho wa mwaka lakini fedha bado "
              "hazijapatikana kwa sababu serikali kuu haijathibitisha sehemu yake ya mradi",
        names=["Juma Mwangi", "Amina Hassan", "Baraka Otieno", "Neema Wanjiru", "Hamisi Ali"],
        date=lambda r: f"{r.choice(['Jumanne', 'Jumatano'])}, {r.randint(1, 28)} Novemba 2026 "
                       f"{r.randint(6, 22)}:{r.randint(10, 59)}",
        read=lambda r: f"Dakika {r.randint(2, 9)} za kusoma", credit="Picha: {n} / Mwananchi",
        ad=("TANGAZO", "Tangazo"),
        also="Soma pia: {t}", tags="Mada: {a}, {b}", related="Habari zaidi", quote="\"{s},\" alisema {n}."),
}
SITES = ("uutiset", "dagbladet", "hirek")  # three sites a language: names only; hosts below
LAYOUTS = ("jsonl-url", "jsonl-folder", "txt-folder")


def sentence(rng: random.Random, words: list[str], low: int = 12, high: int = 24) -> str:
    picked = [rng.choice(words) for _ in range(rng.randint(low, high))]
    return (" ".join(picked)).capitalize() + "."


def title_of(rng: random.Random, words: list[str], name: str) -> str:
    head = [rng.choice(words) for _ in range(rng.randint(4, 8))]
    head.insert(rng.randint(1, len(head)), name.split()[-1])
    return " ".join(head).capitalize()


def story(rng: random.Random, spec: dict, name: str, background: str | None) -> list[str]:
    words = spec["words"].split()
    lines = [sentence(rng, words) + f" {name} " + sentence(rng, words, 6, 10)]
    lines += [sentence(rng, words) for _ in range(rng.randint(2, 4))]
    lines.append(" ".join(rng.choice(words) for _ in range(rng.randint(2, 3))).capitalize())  # a subheading
    lines.append(spec["quote"].format(s=sentence(rng, words, 6, 10).rstrip("."), n=rng.choice(spec["names"])))
    lines += [sentence(rng, words) for _ in range(rng.randint(1, 3))]
    if background:
        lines.append(background)
    return lines


def page(rng: random.Random, spec: dict, name: str, story_lines: list[str], others: list[str],
         elsewhere: list[str]) -> tuple[list[str], list[str]]:
    """(the page's lines, its chrome lines), the chrome in the site's template."""
    words = spec["words"].split()
    chrome_top = [spec["date"](rng), spec["read"](rng)]
    credit = spec["credit"].format(n=rng.choice(spec["names"]))
    ad = rng.choice(spec["ad"])
    also = spec["also"].format(t=rng.choice(others))
    tags = spec["tags"].format(a=rng.choice(words), b=rng.choice(words))
    unseen = [title_of(rng, words, rng.choice(spec["names"])) for _ in range(2)]  # stories not in the crawl
    related = [spec["related"], *rng.sample(others + elsewhere, 1), *unseen]
    body = list(story_lines)
    lines = chrome_top + body[:1] + [credit] + body[1:3] + [ad] + body[3:5] + [also] + body[5:] + [tags] + related
    return lines, [*chrome_top, credit, ad, also, tags, *related]


def build(folder: Path, night: int, rng: random.Random, titles_before: dict[str, list[str]] | None = None,
          ) -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, list[str]]]:
    """Write one night; returns {key: (story lines, chrome lines)} and each host's titles."""
    truth: dict[str, tuple[list[str], list[str]]] = {}
    titles: dict[str, list[str]] = {}
    for lang, spec in LANGS.items():
        for s, site in enumerate(SITES):
            host = f"www.{site}-{lang}.example"
            count = rng.randint(5, 30) if night == 1 else rng.randint(1, 4)
            names = [f"{rng.choice(spec['names'])}" for _ in range(count)]
            heads = [title_of(rng, spec["words"].split(), n) for n in names]
            titles[host] = heads
            background = sentence(rng, spec["words"].split(), 14, 18) if count >= 9 else None
            layout = LAYOUTS[s % 3]
            rows = []
            for n in range(count):
                others = [t for t in heads if t != heads[n]] + (titles_before or {}).get(host, [])
                elsewhere = [t for h, ts in titles.items() if h != host for t in ts[:3]] or others
                body = story(rng, spec, names[n], background if n in (1, 4, 7) else None)
                lines, chrome = page(rng, spec, names[n], body, others or heads, elsewhere)
                key = f"{host}/{night}-{n}"
                truth[key] = (body, chrome)
                url = f"https://{host}/{night}/{n}"
                if layout == "jsonl-url":
                    rows.append({"url": url, "title": heads[n], "text": "\n".join(lines), "key": key})
                elif layout == "jsonl-folder":
                    rows.append({"title": heads[n], "text": "\n".join(lines), "key": key})
                else:
                    path = folder / "crawl" / host / f"2026/{night}-{n}.txt"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(heads[n] + "\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
            if rows:
                path = folder / "crawl" / host / "feed.jsonl"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return truth, titles


def key_of(record: dict) -> str:
    meta = record.get("meta") or {}
    if "key" in meta:
        return meta["key"]
    path = record["provenance"]["path"]  # crawl/HOST/2026/N-M.txt
    parts = path.split("/")
    return f"{parts[-3]}/{parts[-1].removesuffix('.txt')}"


EXACT_OFF = ("--skip-rule", "repeated-line", "--skip-rule", "site-repeated-line")


def phrase_rules_off() -> tuple[str, ...]:
    """Every phrase rule off: five of these seven languages have a phrase file now, so learning alone is
    measured as it works in a language that has none (the rules' names, not their languages, are switched)."""
    sys.path.insert(0, str(HERE.parent))
    from corpus.clean.rules import RULE_NAMES, STRUCTURAL_RULES

    return tuple(arg for name in sorted(RULE_NAMES - set(STRUCTURAL_RULES)) for arg in ("--skip-rule", name))


def run(folder: Path, state: Path, *options: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "cli", "ingest", str(folder), "--state", str(state), "--workers", "2",
                          *options], capture_output=True, text=True, cwd=HERE.parent, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def score(records: list[dict], truth: dict[str, tuple[list[str], list[str]]]) -> dict:
    chrome = learned = any_rule = story_lost = story_total = 0
    by_rule: dict[str, int] = {}
    for r in records:
        body, lines = truth[key_of(r)]
        text = set(r["text"].split("\n"))
        gone_by = {}
        for removal in r["provenance"]["removed"]:
            for part in removal["text"].split("\n"):
                gone_by.setdefault(part.strip(), removal["rule"])
        for line in lines:
            chrome += 1
            if line not in text:
                any_rule += 1
                rule = gone_by.get(line.strip(), "?")
                by_rule[rule] = by_rule.get(rule, 0) + 1
                learned += rule in LEARNED
        story_total += len(body)
        story_lost += sum(line not in text for line in body)
    return dict(docs=len(records), chrome=chrome, learned=learned / max(1, chrome), any=any_rule / max(1, chrome),
                lost=story_lost, story=story_total, by_rule=by_rule)


def main() -> int:
    rng = random.Random(21)
    with tempfile.TemporaryDirectory(prefix="newsclean-learned-") as tmp:
        night1, night2, state = Path(tmp, "night-1"), Path(tmp, "night-2"), Path(tmp, "state.db")
        truth1, titles1 = build(night1, 1, rng)
        truth2, _ = build(night2, 2, rng, titles1)
        alone_off = (*EXACT_OFF, *phrase_rules_off())
        first = score(run(night1, state, *alone_off), truth1)
        second = score(run(night2, state, *alone_off), truth2)
        alone = score(run(night2, Path(tmp, "alone.db"), *alone_off), truth2)
        every = score(run(night1, Path(tmp, "every.db")), truth1)
    print(f"\nLearned chrome: {len(LANGS)} languages without phrase rules x {len(SITES)} sites, generated night "
          "(bench/eval_learned.py)")
    print("learned: share of the chrome lines removed by learned-template, linked-headline, learned-heading, with the "
          "exact-line rules (repeated-line, site-repeated-line) and every phrase rule off (as in a language with no "
          "phrase file), but in the last row; any rule: by any rule")
    print(f"{'':44}{'docs':>6}{'chrome':>8}{'learned':>9}{'any rule':>10}{'story lost':>12}")
    for label, s in (("night 1 (5-30 stories a site)", first), ("night 2 with night 1's --state", second),
                     ("night 2 alone (1-4 stories a site)", alone), ("night 1, every rule on", every)):
        print(f"{label:44}{s['docs']:>6}{s['chrome']:>8}{s['learned']:>9.3f}{s['any']:>10.3f}"
              f"{s['lost']:>6} of {s['story']}")
    for label, s in (("night 1", first), ("night 2", second)):
        print(f"  {label} chrome removed by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(s["by_rule"].items())))
    ok = first["learned"] >= 0.70 and second["learned"] >= 0.85 and not first["lost"] and not second["lost"]
    print("targets (night 1 >= 0.70, night 2 >= 0.85 by learned rules, no story line lost):", "met" if ok else "MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
