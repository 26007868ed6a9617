"""The signal engine: language, risk categories, severity and place of each item, with evidence."""
