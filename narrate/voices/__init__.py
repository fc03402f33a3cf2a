"""Voices wing: casting (voice maps, automatic cast), TTS engines, and sentence clips through the cache."""
