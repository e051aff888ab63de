"""Tests of the engine (index/)."""
