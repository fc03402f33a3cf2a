"""Render wing: render_book() plans each chapter and runs the work on a process pool (or any executor)."""
