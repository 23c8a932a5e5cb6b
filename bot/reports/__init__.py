"""Evaluation and reports: figures per period, as Markdown, CSV or a weekly chart."""
