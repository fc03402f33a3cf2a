"""Text wing: sources (a .txt chapter, a folder of them with book.toml) -> Book, and narration/dialogue segments."""
