"""Reading sources: HTTP fetching, feed parsing, item normalisation, OPML."""
