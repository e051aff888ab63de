"""What following the news remembers, one file per backend: the feed registry (feeds,
their items, conditional-GET validators) and the keys of each site's lines that
index/news/cleaning.py learns templates from; in feeds.sqlite beside the index, or in the
PostgreSQL database every worker shares."""
