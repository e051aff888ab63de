"""Following the news: fetching pages and feeds safely, parsing them, syncing them."""
