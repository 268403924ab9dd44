"""feeds: turn a folder of news seed documents into per-topic Atom and RSS feeds."""

__version__ = "0.1.0"
