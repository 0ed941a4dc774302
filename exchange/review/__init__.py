"""The review queue: held documents grouped by cause, remembered decisions, and releasing what they fix."""
