"""Turning samples into prompts: one renderer for training, judging and serving."""

from judgeforge.prompts.render import PromptTemplate, get_template, list_templates, prompt_text, render_prompt

__all__ = ["PromptTemplate", "get_template", "list_templates", "prompt_text", "render_prompt"]
