"""Business logic: plain keyword-only functions taking an explicit session and actor; they flush, never commit."""
