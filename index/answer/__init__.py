"""Answering: a batch of questions read, checked and composed into answers."""
