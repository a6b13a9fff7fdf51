"""The English boilerplate rules, as data: every rule has a name, a kind and a reason (see
:mod:`corpus.clean.rules.shapes` for what the kinds mean)."""

from __future__ import annotations

from corpus.clean.rules.shapes import ARROWS, CHANNELS, HEADING_END, SHORT_CHROME_CHARS, Rule, in_parts, rx

LINE_RULES: tuple[Rule, ...] = (
    Rule(
        "cta-social",
        "line",
        rx(rf"""(?:^\W*(?:join|follow|like|subscribe\s+to|find|connect\s+with|stay\s+(?:connected|updated|informed|tuned)|get|click|tap|check\s+out|add)\b
            |\b(?:follow|join|like|find|connect\s+with)\s+us\b)
            .*\b{CHANNELS}\b"""),
        "calls to join or follow the site on a social or messaging channel",
        suffix=True,
        max_chars=SHORT_CHROME_CHARS,
        needles=("telegram", "whatsapp", "facebook", "twitter", "instagram", "youtube", "tiktok", "linkedin", "threads", "bluesky", "google", "signal", "viber", "snapchat", "flipboard", "rss", "x"),
        also_needles=("join", "follow", "like", "subscribe", "find", "connect", "stay", "get", "click", "tap", "check", "add"),
    ),
    Rule(
        "cta-newsletter",
        "line",
        rx(r"""(?:^\W*(?:sign\s*up|subscribe|register|get|receive|enter\s+your\s+e-?mail|want|don't\s+miss|never\s+miss)\b
            .*\b(?:newsletters?|inbox|briefings?|digest|daily\s+e-?mail|e-?mail\s+alerts|news\s+alerts)\b
            |^\W*(?:sign\s*up|subscribe)(?:\s+(?:now|today|here|for\s+free))?\W*$
            |^.{0,120}\bnewsletters?\b.{0,60}\b(?:sign\s*up|subscribe)\b.{0,60}$
            |^.{0,120}\bby\s+e-?mail\b.{0,80}\bsign\s*up\b.{0,20}$)"""),
        "newsletter sign-up prompts",
        suffix=True,
        max_chars=SHORT_CHROME_CHARS,
        needles=("newsletter", "inbox", "briefing", "digest", "mail", "alert", "sign", "subscribe"),
    ),
    Rule(
        "cta-app",
        "line",
        rx(r"""(?:^\W*(?:download|get|install|try)\s+(?:the|our)\b.{0,80}\b(?:apps?|features?)\b.{0,80}$
            |^(?=(?:\S+\s+){0,14}\S+\s*$).*\b(?:app\s+store|google\s+play|play\s+store)\b)"""),
        "app download and product promotion prompts",
        suffix=True,
        needles=("app", "feature", "play"),
        also_needles=("download", "get", "install", "try", "store", "google"),
    ),
    Rule(
        "cta-support",
        "line",
        rx(r"""^\W*(?:support\s+(?:our|independent|quality)\s+journalism|become\s+a\s+(?:member|subscriber|supporter|patron)
            |subscribe\s+(?:now\s+)?(?:to|for)\s+(?:unlimited|full|digital)|donate\s+(?:now|today)|(?:please\s+)?consider\s+(?:supporting|subscribing)
            |already\s+a\s+subscriber|log\s*in\s+to\s+(?:continue|read)|subscribe\s+to\s+(?:continue|read)
            |(?:subscribe|sign\s+up|log\s*in|register)\b.{0,60}\bfor\s+(?:the\s+)?full\s+(?:story|article|access))"""),
        "subscription, membership and donation prompts",
        suffix=True,
        max_chars=SHORT_CHROME_CHARS,
    ),
    Rule(
        "comments",
        "line",
        rx(r"""^\W*(?:leave\s+a\s+(?:reply|comment)|no\s+comments?(?:\s+yet)?|post\s+a\s+comment|add\s+(?:a|your)\s+comment
            |your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked|comments?\s+(?:are\s+)?closed
            |(?:show|view|load|read|see)\s+(?:all\s+)?(?:\d+\s+)?comments?|(?:log|sign)\s*in\s+to\s+(?:comment|reply)
            |be\s+the\s+first\s+to\s+comment|tell\s+us\s+what\s+(?:you|YOU)\s+think|join\s+the\s+(?:conversation|discussion)
            |we(?:'d|\s+would)?\s+(?:want|like|love)\s+to\s+hear\s+(?:what\s+you\s+think|from\s+you)
            |\d+\s+comments?|comments?\s*\(\d+\))\b.{0,120}$"""),
        "comment-section prompts and counters",
    ),
    Rule(
        "share-bar",
        "line",
        rx(r"""^(?:\W*(?:share(?:\s+(?:this|on|via|the)\b[\w\s]{0,30})?|tweet|e-?mail|print|pin|copy\s+(?:link|url)|whatsapp|facebook|twitter|linkedin|pinterest|reddit|telegram|messenger|flipboard|x|save|gift\s+(?:this\s+)?article)\W*){1,12}$"""),
        "share and tool bars (lists of social networks and page actions)",
    ),
    Rule(
        "cookie-notice",
        "line",
        rx(r"""(?:\b(?:we|this\s+(?:web)?site|our\s+(?:web)?site|our\s+partners)\s+uses?\s+cookies\b|\baccept\s+(?:all\s+)?cookies\b
            |\bcookie\s+(?:policy|settings|preferences|consent)\b|\bby\s+(?:continuing|using)\b.*\b(?:you\s+agree|consent)\b.*\bcookies?\b)"""),
        "cookie and consent notices",
        max_chars=SHORT_CHROME_CHARS,
        needles=("cookie",),
    ),
    *in_parts(
        "copyright",
        "line",
        "copyright and reproduction footers",
        # the opening part: anchored, so it joins the other anchored rules' one pattern
        (rx(r"^\W*(?:©|\(c\)|copyright\b)"), {}),
        # the other part, tried only on a line with one of its words ("may" alone was on most lines)
        (rx(r"""(?:\ball\s+rights\s+reserved\b|\bmay\s+not\s+be\s+(?:published|reproduced|redistributed)\b.{0,80}$
            |\bfor\s+(?:your\s+)?personal,?\s+non-?commercial\s+use\b)"""),
         {"needles": ("reserved", "published", "reproduced", "redistributed", "commercial")}),
        max_chars=SHORT_CHROME_CHARS,
        prose_guard=True,
    ),
    *in_parts(
        "editor-credit",
        "line",
        "editor and production credits",
        # a credit that opens the line: anchored, so it joins the other anchored rules' one pattern
        (rx(r"""^\W*(?:(?:edited|editing|reporting|compiled|translated|produced|additional\s+reporting|fact[\s-]checked)\s+by\b
            |editor\s*:|(?:writing|reporting)\s+by\b).{0,200}$"""), {}),
        # "... contributed reporting": tried only on a line that says "contributed" ("report" was on many)
        (rx(r"^(?=.{0,300}$).{0,200}\bcontributed\s+(?:reporting|additional\s+reporting|to\s+(?:this|the)\s+(?:report|story|article))\b.{0,120}$"),
         {"needles": ("contributed",)}),
        prose_guard=True,
    ),
    Rule(
        "contact-email",
        "line",
        rx(r"""^\W*(?:(?:e-?mail|contact|write\s+to|reach|tips?)\b[^@\n]{0,40})?[\w.+-]+@[\w-]+(?:\.[\w-]+)+\W*$"""),
        "a bare contact e-mail address",
    ),
    Rule(
        "relative-time",
        "line",
        rx(r"""^\W*(?:(?:updated|posted|published|last\s+updated|modified)\s*:?\s*)?
            (?:\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|months?|years?)\s+ago|just\s+now)\W*$
            |^\W*(?:updated|posted|published|last\s+updated|modified)\s*:?\s*(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?\W*$"""),
        "relative timestamps and update times ('34 minutes ago', 'Updated at 1:23 p.m.'); a bare time can be a live-blog entry",
    ),
    *in_parts(
        "navigation",
        "line",
        "navigation labels, breadcrumbs, tag and category lists",
        (rx(rf"""^\W*(?:skip\s+to\s+(?:main\s+)?content|back\s+to\s+top|main\s+menu|menu|search|home|sections?|next\s+(?:article|post|story)
            |previous\s+(?:article|post|story)|prev(?:ious)?|next|toggle\s+navigation|tags|more\s*:|also\s*:|open\s+menu|close|log\s*in|sign\s*in|register|subscribe
            |home\s*{ARROWS}.*|tags?\s*:.{{0,200}}|filed\s+under\s*:?.{{0,200}}
            |categor(?:y|ies)\s*:.{{0,200}}|topics?\s*:.{{0,200}})\W*$"""), {}),
        # its breadcrumb ("World › Europe › Politics"), tried only on a line with an arrow: joined with the
        # other anchored rules, its backtracking over the first words cost every short line a microsecond
        (rx(r"""^\W*(?:[\w'&-]+(?:\s+[\w'&-]+){0,3}\s*[>»›→]\s*){2,}[\w'&-]+(?:\s+[\w'&-]+){0,3}\W*$"""),
         {"needles": (">", "»", "›", "→")}),
        max_chars=250,
    ),
    *in_parts(
        "page-meta",
        "line",
        "reading-time labels and date-and-time stamps (a short line holding a year and a clock time)",
        (rx(r"""^\W*(?:(?:reading\s+time|read\s+time|tempo\s+de\s+leitura|tiempo\s+de\s+lectura|temps\s+de\s+lecture|lesezeit)\s*:?\s*\d{1,3}\s*\w{0,10}
            |\d{1,3}\s*(?:-\s*)?min(?:ute)?s?\s+read)\W*$"""), {}),
        # its date-and-time stamp, tried only on a line with a year's first digits: joined with the other
        # anchored rules, its look-aheads cost every short line a microsecond
        (rx(r"^(?=(?:\S+\s+){0,11}\S+\s*$)(?=.*\b(?:19|20)\d\d\b)(?=.*\b\d{1,2}[:h]\d{2}\b).*$"),
         {"needles": ("19", "20")}),
        max_chars=120,
    ),
    *in_parts(
        "cta-engagement",
        "line",
        "prompts to click through, share, send tips or letters, or pay after the story",
        (rx(r"\bclick\s+here\b"), {"needles": ("click",), "prose_guard": True}),
        (rx(r"""(?:\bshare\s+(?:it|this(?:\s+(?:story|article))?)\s+with\s+(?:a\s+friend|your\s+friends)\b
            |^\W*if\s+you\s+(?:enjoyed|liked|valued?|appreciate)\s+(?:this|our)\s+(?:article|story|piece|reporting|journalism)\b
            |^\W*(?:have|got)\s+a\s+(?:news\s+)?tip\b|\bletters?\s+to\s+the\s+editor\b.*\b(?:hear|send|submit|write)\b
            |^\W*(?:like|love|enjoy(?:ed)?)\s+this\s+(?:story|article|post)\?)"""),
         {"needles": ("share", "if you", "tip", "letter", "?"),
          "also_needles": ("friend", "enjoyed", "liked", "value", "appreciate", "have", "got", "editor", "this")}),
        suffix=True,
        max_chars=SHORT_CHROME_CHARS,
    ),
    Rule(
        "advertisement",
        "line",
        rx(r"""^\W*(?:advertisements?|advertising|sponsored(?:\s+content)?|promoted(?:\s+content)?|paid\s+(?:content|post)
            |(?:story|article)\s+continues\s+(?:below|after)(?:\s+(?:this\s+)?(?:advertisement|ad))?|scroll\s+(?:down\s+)?to\s+continue(?:\s+reading)?
            |ad\s+feedback|report\s+this\s+ad)\W*$"""),
        "advertising slots and their labels",
    ),
    Rule(
        "inline-related",
        "line",
        rx(r"""^\W*(?:read\s+more|also\s+read|read\s+also|see\s+(?:also|more)|related(?:\s+(?:post|article|story|stories|reading|content|video))?|more|watch|listen|recommended|don't\s+miss|must\s+read|trending|opinion)\s*[:|>»\-–—]\s*\S.{0,200}$"""),
        "a single 'Read more: <other story>' link line inside the text",
        prose_guard=True,
    ),
)

_EDITOR_CREDITS = [rule for rule in LINE_RULES if rule.name == "editor-credit"]

_BOUNDARY_RELATED = r"""(?:related(?:\s+(?:articles?|stories|posts?|news|content|coverage|reading|topics|links))?|check\s+also
    |more\s+(?:stories|news|articles|headlines|to\s+read|on\s+this(?:\s+story)?|from\s+[\w\s.'&-]{1,40})
    |you\s+(?:might|may)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)|recommended(?:\s+(?:for\s+you|stories|articles|reading))?
    |read\s+next|what\s+to\s+read\s+next|further\s+reading|other\s+stories|similar\s+(?:articles|stories)|keep\s+reading)"""
_BOX_HEADINGS = r"""(?:don't\s+miss|do\s+not\s+miss|trending(?:\s+(?:now|stories|news))?|most\s+(?:read|popular|viewed|shared|commented)
    |latest\s+(?:news|stories|articles|headlines)|top\s+stories|popular\s+(?:posts|stories|articles|now)|editor'?s?\s+picks?
    |read\s+more(?:\s+(?:stories|news|articles))?|see\s+also|read\s+also|also\s+read|in\s+other\s+news|must\s+read|watch\s+(?:now|more))"""

BOX_RULES: tuple[Rule, ...] = (
    Rule(
        "related-box",
        "box",
        rx(r"^\W*" + _BOX_HEADINGS + r"(?:\s+(?:in|on|from)\s+[\w'&-]+(?:\s+[\w'&-]+){0,3})?" + HEADING_END),
        "a 'Don't miss' / 'Trending' box: sites put these mid-article, so only the heading and the "
        "headlines listed under it go, and the story resumes after them",
    ),
)

BOUNDARY_RULES: tuple[Rule, ...] = (
    Rule(
        "related-block",
        "boundary",
        rx(r"^\W*" + _BOUNDARY_RELATED + HEADING_END),
        "a 'Related Articles' style heading: the other stories listed under it are not this story",
    ),
    Rule(
        "comments",
        "boundary",
        rx(r"""^\W*(?:comments?|leave\s+a\s+(?:reply|comment)|(?:\d+\s+)?(?:comments?|responses?|replies)|join\s+the\s+(?:conversation|discussion)|discussion
            |reader\s+comments|post\s+a\s+comment|what\s+do\s+you\s+think\??|have\s+your\s+say)""" + HEADING_END),
        "the comment section after the story",
    ),
    Rule(
        "author-bio",
        "boundary",
        rx(r"""^\W*(?:about\s+the\s+(?:author|writer|reporter|contributor)s?|author\s+(?:bio|profile|details)|more\s+(?:by|from)\s+(?:this|the)\s+author
            |about\s+(?!us\b|the\b|this\b|a\b)[^\s.,:;!?]+(?:\s+[^\s.,:;!?]+){0,3})""" + HEADING_END),
        "an author bio: 'About NAME' followed by a self-description",
        next_line=rx(r"""^\W*(?:(?:i\s+am|i'm|i\s+have|he\s+is|she\s+is|they\s+are|[\w.'-]+(?:\s+[\w.'-]+){0,3}\s+(?:is|has\s+been|was|writes|covers))\b
            |.{0,200}\b(?:journalist|writer|reporter|editor|correspondent|columnist|author|contributor|blogger)\b)"""),
    ),
    *(Rule(
        "editor-credit",
        "boundary",
        credit.pattern,
        "an editor or production credit closes the story; what follows is the site's signature",
        needles=credit.needles,
    ) for credit in _EDITOR_CREDITS),
)
