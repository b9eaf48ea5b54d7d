"""Contract suite harness: LiteLLM proxy versus direct Azure OpenAI."""

from __future__ import annotations
