"""One reader per file format, as Haystack's components/converters/ has one converter each.

Each turns a file's bytes (or text) into (title, date, text) with the block structure the
chunker reads; index/ingest/documents.py picks the reader by suffix and makes the Document.
limits.py holds the size bounds every reader shares, tables.py the table writer the text,
Markdown and HTML readers share, web_page.py what a page read from the web adds (its
canonical address, author and charset).
"""
