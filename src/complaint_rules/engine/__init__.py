"""The engine: a checked IR compiled to a program that decides records, and what it needs (records, calendars, decisions)."""
