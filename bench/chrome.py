"""A generator of realistic scraped chrome around a story, for the plain-text quality set.

Wording is assembled from parts (verbs, channels, site names, headings, people) so
that the set tests kinds of chrome, not a fixed list of lines. Seeded: the same
seed gives the same files.
"""

from __future__ import annotations

import random

SITES = ["Daily Ledger", "Metro Courier", "The Northern Star", "Citywire Post", "Bay Herald", "Valley Times",
         "Harbor News", "Capital Dispatch", "Plains Tribune", "Coastline Gazette", "Summit Journal"]
SECTIONS = ["News", "World", "Politics", "Business", "Tech", "Sport", "Culture", "Health", "Science", "Opinion"]
FIRST = ["Ana", "Jonas", "Priya", "Mark", "Lena", "Tomás", "Aisha", "Kenji", "Sofia", "David", "Marta", "Ravi"]
LAST = ["Silva", "Berg", "Natarajan", "Hale", "Ortiz", "Moreau", "Okafor", "Tanaka", "Rossi", "Cohen", "Novak"]
CHANNELS = ["Telegram", "WhatsApp", "Facebook", "Twitter", "Instagram", "YouTube", "Google News", "TikTok"]
ROLES = ["senior reporter", "correspondent", "staff writer", "news editor", "freelance journalist", "columnist"]
BEATS = ["politics and city hall", "energy and climate", "technology", "courts and crime", "health", "sport"]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _site(rng: random.Random) -> str:
    return rng.choice(SITES)


def nav_line(rng: random.Random) -> str:
    sep = rng.choice([" > ", " » ", " / ", " › "])
    return sep.join(["Home"] + rng.sample(SECTIONS, rng.randint(1, 2)))


def timestamp_line(rng: random.Random) -> str:
    n = rng.randint(2, 59)
    unit = rng.choice(["minutes", "hours", "mins"])
    return rng.choice([f"{n} {unit} ago", f"Updated {rng.randint(1, 12)} hours ago",
                       f"Published: {rng.randint(1, 28)}/{rng.randint(1, 12)}/2024 {rng.randint(0, 23):02d}:"
                       f"{rng.randint(0, 59):02d}", f"Updated at {rng.randint(1, 12)}:{rng.randint(10, 59)} p.m."])


def byline(rng: random.Random) -> str:
    return rng.choice([f"By {_person(rng)}", f"By {_person(rng)} | {_site(rng)}", f"Written by {_person(rng)}"])


def cta_line(rng: random.Random) -> str:
    site, channel = _site(rng), rng.choice(CHANNELS)
    return rng.choice([
        f"Join our {channel} channel and get the latest stories delivered to you.",
        f"Follow {site} on {channel} for breaking news.",
        f"Follow us on {channel} and {rng.choice(CHANNELS)}",
        f"Join {site}'s {channel} group for the day's top headlines.",
        f"Subscribe to our {rng.choice(['morning', 'evening', 'weekly', 'daily'])} newsletter for more "
        "stories like this.",
        f"Sign up for the {site} briefing and get the news in your inbox.",
        f"Download the {site} app for iPhone and Android",
        f"Get the {site} app",
        "Like this story? Share it with your friends!",
        f"Support independent journalism: become a member of {site} today.",
    ])


def bio(rng: random.Random) -> list[str]:
    name = _person(rng)
    first = name.split()[0]
    return [rng.choice([f"About {name}", "About the author", f"About {name.lower()}"]),
            rng.choice([f"{name} is a {rng.choice(ROLES)} covering {rng.choice(BEATS)}.",
                        f"I am a {rng.choice(ROLES)} with more than {rng.randint(3, 20)} years of experience "
                        f"writing about {rng.choice(BEATS)}.",
                        f"{first} has been a {rng.choice(ROLES)} at {_site(rng)} since {rng.randint(2001, 2022)}."])]


def related_block(rng: random.Random, headlines: list[str]) -> list[str]:
    heading = rng.choice(["Related Articles", "Related stories", "Check Also", "You might also like",
                          "More from " + _site(rng), "Recommended for you", "Read next", "RELATED"])
    lines = [heading]
    for title in rng.sample(headlines, min(len(headlines), rng.randint(2, 4))):
        if rng.random() < 0.4:
            lines.append(_site(rng))
            lines.append(f"{rng.randint(1, 11)} hours ago")
        lines.append(title)
    return lines


def comment_block(rng: random.Random) -> list[str]:
    return rng.choice([
        ["Leave a Reply", "Your email address will not be published. Required fields are marked *"],
        ["Comments", "No comments yet..."],
        [f"{rng.randint(2, 90)} Comments", "Be the first to comment"],
        ["Leave a comment"],
    ])


def footer(rng: random.Random) -> list[str]:
    site = _site(rng)
    lines = [rng.choice([f"© {rng.randint(2015, 2025)} {site}. All rights reserved.",
                         f"Copyright {site} Media Group", f"(c) {site} {rng.randint(2015, 2025)}"])]
    if rng.random() < 0.5:
        lines.insert(0, rng.choice(["Share on Facebook Twitter Email", "Share this article",
                                    "Facebook | Twitter | Email"]))
    if rng.random() < 0.3:
        lines.append("We use cookies to give you the best experience. "
                     "By using this site you agree to our cookie policy.")
    return lines


def credit(rng: random.Random) -> list[str]:
    name = _person(rng)
    return [rng.choice([f"Edited by: {name}", f"(Reporting by {_person(rng)}; Editing by {name})",
                        f"Editing by {name}"]),
            f"{name.split()[0].lower()}@{_site(rng).lower().replace(' ', '')}.example"]


def dress(story: str, headline: str, other_headlines: list[str], seed: int) -> str:
    """The story as a scrape would save it: headline, chrome on top, chrome after."""
    rng = random.Random(seed)
    paragraphs = [p for p in story.split("\n") if p.strip()]
    top = [headline]
    if rng.random() < 0.6:
        top.append(nav_line(rng))
    if rng.random() < 0.5:
        top.append(byline(rng))
    if rng.random() < 0.5:
        top.append(timestamp_line(rng))
    if paragraphs and rng.random() < 0.3:
        paragraphs[-1] = paragraphs[-1] + " " + cta_line(rng)
    tail: list[str] = []
    kinds = [lambda: [cta_line(rng)], lambda: credit(rng), lambda: bio(rng),
             lambda: related_block(rng, other_headlines), lambda: comment_block(rng), lambda: footer(rng)]
    for make in kinds:
        if rng.random() < 0.55:
            tail.extend(make())
    sep = "\n\n" if rng.random() < 0.5 else "\n"
    return sep.join(top + paragraphs + tail) + "\n"
