"""Everything the bot says in its own words, in one place.

Constants are plain text without markup characters, so they are valid Telegram HTML as they
are and can also be wrapped in bot.view.html.Span. Functions escape whatever they interpolate.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

TITLES_IN_PROMPT = 3
EMPTY_TEXT = "(no text)"
NOT_FOUND = "I couldn't find that in the articles I have."
CLOSEST = "The closest I found (it does not answer your question):"
TOPICS_INTRO = "They cover:"
NO_SOURCES = "I don't have any articles yet."
NOTHING_MORE = "That's everything I found on this."
ADDED_INTRO = "Added to what I know:"
REFUSAL = "Sorry, this bot is private."
ONLY_ADMINS = "Sorry, only the bot's admins can do that."
UNANSWERED_INTRO = "Refused or voted down lately, most asked first:"
NOTHING_UNANSWERED = "Every question of the last days was answered, and none was voted down."
ONLY_ADMINS_UPLOAD = (
    "Only the bot's admins can add articles. Send me a question about the articles instead!"
)
ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
BUTTON_EXPIRED = "This button no longer works; please ask again."
THANKS_UP = "Thanks! Glad it helped 👍"
THANKS_DOWN = "Thanks for telling me 👎 I'll use it to get better."
EXAMPLE_GONE = "That example is no longer available; see /start for fresh ones."
ASK_USAGE = "Put your question after the command, e.g. /ask who is facing charges?"
REMOVE_USAGE = "Usage: /remove ID (the ids are listed by /sources)."
UNKNOWN_COMMAND = "I don't know that command; /help lists what I can do."
UNSUPPORTED = "I can only read text. Please type your question about the articles; /help shows how."
INLINE_PROMPT = "Type a question about the articles"
INLINE_SLOW_DOWN = "Too many questions, try again in a minute"
START_EXAMPLES = "Try one of these, or ask in your own words:"
MORE_BUTTON = "More ➕"
UP_BUTTON = "👍"
DOWN_BUTTON = "👎"


def slow_down(seconds: float) -> str:
    return (
        "You're asking faster than I can keep up 🙂 "
        f"Please wait {max(1, round(seconds))} s and ask again."
    )


def ask_me(titles: Sequence[str]) -> str:
    """What an empty question gets, in the bot and the CLI: what the articles are about.
    Plain text (titles are not escaped): send it through bot.view.html.plain_messages."""
    if not titles:
        return "Ask me a question about the articles, once I have some."
    shown = ", ".join(f"“{title}”" for title in titles[:TITLES_IN_PROMPT])
    hidden = len(titles) - TITLES_IN_PROMPT
    more = f" and {hidden} more" if hidden > 0 else ""
    return f"Ask me a question about {shown}{more}, in your own words."


def too_long(limit: int) -> str:
    return f"That's a lot of text! Please ask a shorter question (up to {limit} characters)."


def too_big(limit_bytes: int) -> str:
    return f"That file is too big; the limit is {limit_bytes / 1e6:.1f} MB."


def unsupported_file(suffixes: tuple[str, ...]) -> str:
    return f"I can add articles from {', '.join(suffixes)} files."


def adding(filename: str) -> str:
    return f"Reading <i>{escape(filename)}</i>… I'll tell you when it's added."


def unknown_document(doc_id: str) -> str:
    return f"No article has the id <code>{escape(doc_id)}</code>; /sources lists them."


def sources_intro(count: int) -> str:
    return f"I know {count} article{'s' if count != 1 else ''}:"


def start(documents: int) -> str:
    plural = "s" if documents != 1 else ""
    return (
        f"👋 Hi! I answer questions about the {documents} news article{plural} "
        "I have read, and show you the passage each answer comes from."
    )


ADD_USAGE = "Usage: /add URL — reads the page into the articles every chat shares."
FOLLOW_USAGE = "Usage: /follow TOPIC, e.g. /follow the Rust shooting trial"
UNFOLLOW_USAGE = (
    "Usage: /unfollow NUMBER (as /following lists them), /unfollow TOPIC or /unfollow all"
)
NOT_FOLLOWING = "You don't follow anything yet; /follow TOPIC to get alerts about new articles."
NO_LATEST = "I have no dated articles yet."
FOLLOW_FEED_USAGE = "Usage: /follow_feed URL (an RSS or Atom feed)"
UNFOLLOW_FEED_USAGE = "Usage: /unfollow_feed URL_OR_ID (/feeds lists them)"
NO_FEEDS = "I don't follow any feeds yet; /follow_feed URL adds one."
NEWS_OFF = "Reading links and feeds is not switched on for this bot."
LATEST_INTRO = "The newest articles:"
FEEDS_INTRO = "Feeds I follow:"
FOLLOWING_INTRO = "You follow these; I'll tell you when a new article matches:"
ALERT_INTRO = "🔔 New on what you follow"


def read_link(title: str, date: str | None) -> str:
    dated = f" ({escape(date)})" if date else ""
    return f"Read: <b>{escape(title)}</b>{dated}. Ask me about it!"


def link_failed(reason: str) -> str:
    """Plain text (the reason is not escaped): send it through bot.view.html.plain_messages."""
    return f"I couldn't read that link: {reason}"


def dropped_links(titles: Sequence[str]) -> str:
    shown = "; ".join(f"<i>{escape(title)}</i>" for title in titles)
    plural = "s" if len(titles) != 1 else ""
    return f"This chat keeps a limited number of links, so I forgot the oldest{plural}: {shown}"


def too_many_links(per_day: int) -> str:
    return f"That's {per_day} links today, the most I read for one chat a day. Try again tomorrow!"


def followed(topic: str, count: int, limit: int) -> str:
    return (
        f"Following <b>{escape(topic)}</b> ({count} of {limit}). I'll send you new articles "
        "about it; /following lists what you follow."
    )


def too_many_topics(limit: int) -> str:
    return f"This chat follows {limit} topics already, the most I keep; /unfollow one first."


def unfollowed(topics: Sequence[str]) -> str:
    if not topics:
        return "You don't follow that; /following lists what you do."
    return "Stopped following: " + "; ".join(f"<b>{escape(t)}</b>" for t in topics)


def feed_followed(title: str, url: str) -> str:
    return f"Following the feed <b>{escape(title)}</b> ({escape(url)}). I'll read it regularly."


def feed_unfollowed(title: str) -> str:
    return f"Stopped following <b>{escape(title)}</b>; its articles stay."


def help_text(bot_username: str) -> str:
    name = escape(bot_username)
    return (
        "<b>How to use me</b>\n"
        "Send a question in your own words; I answer with the passage it comes from.\n"
        "• Follow-ups work: I remember the last few questions in this chat.\n"
        "• Tap <b>More</b> under an answer for further passages, 👍 or 👎 to rate it.\n"
        f"• In groups, mention me (@{name}), reply to me, or use /ask.\n"
        f"• In any chat, type @{name} and a question to share an answer.\n\n"
        "• Send a link on its own and I'll read the article for this chat.\n"
        "• Time words work: “what's the latest on …”, “… yesterday”, “… in January 2023”.\n"
        "• “What happened yesterday?” lists yesterday's stories.\n\n"
        "/sources — the articles I know\n"
        "/latest — the newest articles\n"
        "/today — today's stories; /digest HOUR [ZONE] — the day's stories daily at that "
        "hour, e.g. /digest 8 Europe/Berlin (UTC if no zone is given)\n"
        "/subscribe URL [KEYWORDS] — post a feed's new articles here (chat admins)\n"
        "/follow TOPIC — alerts about new articles on it (/following, /unfollow)\n"
        "/ask QUESTION — ask a question (handy in groups)\n\n"
        "Admins: send a .txt, .md, .html or .pdf file to add an article; /add URL; "
        "/feeds, /follow_feed URL, /unfollow_feed; /remove ID; /stats; /unanswered."
    )


# --- digests and channels (issue 25) ---------------------------------------------------

NEWEST_BEFORE = "The newest I have:"
DIGEST_USAGE = (
    "Usage: /digest HOUR [ZONE] (HOUR 0-23, ZONE a time zone such as Europe/Berlin; "
    "UTC if none is set) for the day's stories every day at that hour, /digest off to stop"
)
DIGEST_CANCELLED = "No more daily digests here."
NO_DIGEST = (
    "This chat gets no daily digest; /digest HOUR [ZONE] (e.g. /digest 8 Europe/Berlin) "
    "asks for one."
)
SUBSCRIBE_USAGE = (
    "Usage: /subscribe URL [KEYWORDS], e.g. /subscribe https://example.com/rss.xml volcano "
    "— new articles of that feed are posted here (only those naming a keyword, if given)"
)
UNSUBSCRIBE_USAGE = "Usage: /unsubscribe NUMBER (as /subscriptions lists them), URL or all"
NO_SUBSCRIPTIONS = "This chat is subscribed to no feed; /subscribe URL adds one."
SUBSCRIPTIONS_INTRO = "New articles of these feeds are posted here:"
ONLY_CHAT_ADMINS = "Sorry, only this chat's admins can change what is posted here."


def nothing_new(period: str) -> str:
    """Plain text: send it as a render.Span."""
    return f"Nothing new {period}: no article I have was published then."


def digest_intro(period: str, count: int) -> str:
    return f"📰 {count} stor{'ies' if count != 1 else 'y'} {period}:"


def digest_more(count: int) -> str:
    return f"… and {count} more."


def digest_scheduled(hour: int, zone: str) -> str:
    return (
        f"Every day at {hour:02d}:00 ({escape(zone)}) I'll send this chat the stories of "
        "the last day. /digest off stops it."
    )


def unknown_zone(name: str) -> str:
    return (
        f"Sorry, I don't know the time zone “{escape(name)}”. Name it as the tz database "
        "does, e.g. /digest 8 Europe/Berlin, /digest 7 America/New_York or /digest 9 UTC. "
        "Nothing was changed."
    )


def already_read(title: str, date: str | None) -> str:
    dated = f" ({escape(date)})" if date else ""
    return f"I have read <b>{escape(title)}</b>{dated} already, as it is now. Ask me about it!"


def subscribed(title: str, url: str, keywords: Sequence[str], per_hour: int) -> str:
    only = f" naming {', '.join(f'<b>{escape(k)}</b>' for k in keywords)}" if keywords else ""
    return (
        f"Subscribed to <b>{escape(title)}</b> ({escape(url)}): its new articles{only} will "
        f"be posted here as they arrive, at most {per_hour} an hour (the rest in one message)."
    )


def unsubscribed(urls: Sequence[str]) -> str:
    if not urls:
        return "This chat is not subscribed to that; /subscriptions lists what it is."
    return "Unsubscribed: " + "; ".join(escape(url) for url in urls)


def too_many_subscriptions(limit: int) -> str:
    return f"This chat is subscribed to {limit} feeds already, the most I keep; /unsubscribe one."


def folded_intro(count: int) -> str:
    return f"➕ {count} more new article{'s' if count != 1 else ''} this hour:"
