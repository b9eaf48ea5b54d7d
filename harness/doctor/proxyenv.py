"""The proxy's environment as LiteLLM builds it: the `.env` files it loads on its own.

`import litellm` and the `litellm` CLI each call python-dotenv's `load_dotenv()` when `LITELLM_MODE`
is `DEV` (the default). With no path given, python-dotenv's `find_dotenv()` starts from the *calling
module's directory* (`site-packages/litellm`, `site-packages/litellm/proxy`) and walks up to `/`:
the working directory is searched only in a REPL, a debugger, or with `python -c`. So a `.env` in
any ancestor of the install (the project holding `.venv`, or `/` in a container) is loaded, and one
beside the config usually is not. Loading never overrides a variable that is already set. Observed
on 1.108.7: a script run from a directory holding a `.env` does not see it; `python -c` does.

Reported in LiteLLM's tracker: https://github.com/BerriAI/litellm/issues/4361
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.doctor.finding import Finding
from harness.doctor.report import DoctorInputs
from harness.live.settings import LiveSettingsError, read_env_file
from harness.paths.litellm_config import referenced_env_vars

SOURCE = "https://github.com/BerriAI/litellm/issues/4361"
_RELEVANT = ("AZURE_", "OPENAI_", "LITELLM_", "SSL_", "REQUESTS_CA_BUNDLE")


def litellm_package_dir() -> Path | None:
    """Where this environment's LiteLLM is installed, found without importing it (importing loads a `.env`)."""
    spec = importlib.util.find_spec("litellm")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def dotenv_files(litellm_dir: Path) -> list[Path]:
    """The `.env` files LiteLLM's two `load_dotenv()` calls find: for each, the first walking up."""
    found: list[Path] = []
    for start in (litellm_dir, litellm_dir / "proxy"):
        for directory in (start, *start.parents):
            if (directory / ".env").is_file():
                if directory / ".env" not in found:
                    found.append(directory / ".env")
                break
    return found


def loading_disabled(env: Mapping[str, str]) -> str | None:
    if env.get("LITELLM_MODE", "DEV") != "DEV":
        return f"LITELLM_MODE={env['LITELLM_MODE']}"
    if env.get("PYTHON_DOTENV_DISABLED", "").casefold() in {"1", "true", "t", "yes", "y"}:
        return "PYTHON_DOTENV_DISABLED"
    return None


def proxy_environment(
    inputs: DoctorInputs, config: Mapping[str, Any] | None
) -> tuple[list[Finding], dict[str, str], dict[str, Path]]:
    """The findings about `.env` files, the environment the proxy ends up with, and where each
    variable a `.env` supplied came from."""
    env = dict(inputs.env)
    workdir = inputs.proxy_workdir or (inputs.config_path.parent if inputs.config_path else None)
    litellm_dir = inputs.litellm_dir or litellm_package_dir()
    disabled = loading_disabled(env)
    loaded = [] if disabled or litellm_dir is None else dotenv_files(litellm_dir)
    out: list[Finding] = []
    origin: dict[str, Path] = {}
    for path in loaded:
        try:
            values = read_env_file(path)
        except LiveSettingsError as exc:
            out.append(Finding("warn", "proxy .env", str(path), str(exc), "fix or remove it", SOURCE))
            continue
        added = sorted(k for k in values if k not in env and k.startswith(_RELEVANT))
        for name in added:
            origin[name] = path
        env.update({k: v for k, v in values.items() if k not in env})
        out.append(
            Finding(
                "warn" if added else "ok",
                "proxy .env",
                str(path),
                "LiteLLM loads this file at start-up (python-dotenv looks upward from its install directory, not from "
                "the working directory)" + (f": it sets {', '.join(added)}" if added else ", and it sets nothing here"),
                "delete it, or start the proxy with LITELLM_MODE=PRODUCTION (or PYTHON_DOTENV_DISABLED=1)",
                SOURCE,
            )
        )
        referenced = referenced_env_vars(config or {}) | {"AZURE_OPENAI_API_KEY", "AZURE_API_KEY", "AZURE_API_BASE"}
        for name in sorted(referenced & values.keys()):
            if name in inputs.env and inputs.env[name] != values[name]:
                out.append(
                    Finding(
                        "warn",
                        "proxy .env",
                        f"{path.name}: {name}",
                        f"{path} sets {name} to another value than your environment: a proxy started without "
                        f"{name} exported gets the file's",
                        f"remove {name} from {path}, or make the values agree",
                        SOURCE,
                    )
                )
    beside = workdir / ".env" if workdir else None
    if beside is not None and beside.is_file() and beside not in loaded and not disabled:
        out.append(
            Finding(
                "warn",
                "proxy .env",
                str(beside),
                "a .env in the proxy's working directory: the litellm CLI does not load it (python-dotenv looks upward "
                f"from LiteLLM's install directory{f', {litellm_dir}' if litellm_dir else ''}); its settings reach the "
                "proxy only if something exports them (docker --env-file, compose env_file, `set -a; . .env`)",
                "export the settings the proxy needs explicitly, and check them with the environment checks",
                SOURCE,
            )
        )
    return out, env, origin
