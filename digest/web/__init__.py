"""The web archive: every digest and story, searchable, served or exported as static files."""
