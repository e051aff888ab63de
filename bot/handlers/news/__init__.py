"""The handlers of following the news: links read for a chat, feeds an admin follows,
topics a person follows and their alerts, daily digests, and channels a feed is posted to
(docs/news.md)."""
