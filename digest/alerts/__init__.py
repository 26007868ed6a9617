"""Keyword alerts: the rule language, matching, firing."""
