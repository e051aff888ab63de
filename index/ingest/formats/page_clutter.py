"""The parts of a web page that are not its story, as the page's own markup names them,
pruned before trafilatura reads the page (its documented `prune_xpath` option).

News CMSs name their widgets for what they are, in any language the page is written in:
a newsletter box is `class="newsletter-promo"`, a paywall `content-form-account-paywall`,
a share bar `sharedaddy`, an author's box `author-bio`. trafilatura knows most of these
words, but it prunes them all or nothing: one wrapper that matches (an article body
called `article-content sticky-sidebar-relative`) and none is pruned, and such lines
come back inside the article. Here an element is pruned only when it is short (a widget,
not a wrapper holding the story: 1,000 characters; 500 or 2,000 measure the same) and
holds no headline. So guarded, the words cost no article snippet on
benchmarks/clean_pages.py; without the length guard they cost 3 of 586, with no guard 11.

- `WIDGET_WORDS`: in an element's class or id, the widgets a news page carries beside
  its story: newsletter and subscription boxes, paywalls, promotions, share and rating
  bars, advertiser disclosures, the author's box, copyright lines (25 -> 19 of 600
  clutter snippets, no article snippet lost).
- `SIGNUP_LINK_WORDS`: a short paragraph linking to the site's newsletter, subscription
  or donation page is a promotion for it, whatever words it says it in ("Sign up here",
  "suscribirse aquí a nuestra newsletter"): 19 -> 17, none lost (25 -> 23 alone). A
  longer paragraph with such a link is news citing it (no such paragraph in the set).

Measured in docs/news.md ("Clean pages").
"""

from __future__ import annotations

WIDGET_WORDS = (
    *("newsletter", "subscribe", "paywall", "promo", "share", "disclosure"),
    *("author-bio", "copyright"),
)
SIGNUP_LINK_WORDS = ("newsletter", "subscribe", "donate")
WIDGET_MAX_CHARS = 1000  # a widget's text at most; what is longer holds the story
PROMO_MAX_CHARS = 300  # a promotion's paragraph at most; a longer one is news quoting a link


def clutter_xpaths() -> list[str]:
    """The XPath expressions trafilatura's `prune_xpath` takes (XPath 1.0, no regex)."""
    named = " or ".join(
        _has(attribute, word) for word in WIDGET_WORDS for attribute in ("class", "id")
    )
    links = " or ".join(_has("href", word) for word in SIGNUP_LINK_WORDS)
    return [  # the names first: the length of every element's text is slow to take
        f"//*[{named}][not(self::html or self::body or self::article or self::main)]"
        f"[not(.//h1)][string-length(normalize-space(.)) < {WIDGET_MAX_CHARS}]",
        f"//p[.//a[{links}]][string-length(normalize-space(.)) < {PROMO_MAX_CHARS}]",
    ]


def _has(attribute: str, word: str) -> str:
    """`attribute` holds `word`, in lower case or capitalised ("Newsletter"), as names are
    written (folding every element's case with translate() took 10 ms a page, this 6)."""
    return f"contains(@{attribute}, '{word}') or contains(@{attribute}, '{word.capitalize()}')"
