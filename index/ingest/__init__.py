"""From files and text to documents, chunks, terms, dates and vectors."""
