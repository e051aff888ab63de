"""Tests of the command line, configuration and composition (qabot/)."""
