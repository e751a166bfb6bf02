"""Runnable examples of plexy_async in web frameworks; each has a test under tests/."""
