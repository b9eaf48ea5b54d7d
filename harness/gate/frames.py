"""Stack frames in what the application sees, left out when two releases are compared with each other.

Older LiteLLM releases put a Python traceback into some error messages (`api_version: v1` before
1.6x: `AzureException APIConnectionError - list index out of range\\nTraceback (most recent call
last):\\n  File "/.../litellm-1.63.11-py311/.../main.py", line 1082, ...`). Its frames name the venv
and the line numbers of that release, so every release differs from every other there, and the
bisect would place a "change" in the first release after its good end. The exception and the
message around it stay; only the frames (the indented lines after `Traceback ...:`) go.
"""

from __future__ import annotations

import re
from typing import Any

_FRAMES = re.compile(r"(Traceback \(most recent call last\):)\n(?:[ \t][^\n]*\n)+")


def without_frames(value: Any) -> Any:
    """`value` (an observation's plain data) with every traceback's frames replaced by `<frames>`."""
    if isinstance(value, str):
        return _FRAMES.sub(r"\1 <frames>\n", value) if "Traceback" in value else value
    if isinstance(value, dict):
        return {k: without_frames(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_frames(v) for v in value]
    return value
