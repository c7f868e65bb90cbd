"""Samples -> prompts -> engine -> parse -> judgments."""
