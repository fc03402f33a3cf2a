"""Publish wing: what a listener subscribes to or downloads: podcast feed, local server, whole-book MP3 and M4B."""
