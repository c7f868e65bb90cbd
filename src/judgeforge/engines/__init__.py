"""Inference engines behind one small protocol. Engines know nothing about judges."""

from judgeforge.engines.base import Engine, GenerationParams
from judgeforge.engines.registry import create_engine, list_engines

__all__ = ["Engine", "GenerationParams", "create_engine", "list_engines"]
