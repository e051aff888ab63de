"""What an operator sees: metrics, health and reports."""
