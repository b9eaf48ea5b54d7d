"""`python -m harness doctor --fix`: apply the findings whose fix is mechanical to the config file.

It runs the static checks (no network), takes the edits their findings carry (`${VAR}` ->
`os.environ/VAR`, a stray `deployment_id`, an unquoted or mis-typed api_version, a path inside
`api_base`, a secret written into the config), and applies them to the file with ruamel.yaml's
round-trip mode, so comments, order and quoting elsewhere stay as they were. The result goes next to
the original (`litellm.config.fixed.yaml`), or over it with `--in-place`; either way through a
temporary file and a rename, so an interrupted run leaves the old file or the new one.

A secret moved out of the config becomes `os.environ/NAME`, and `.env.example` beside the config
gets a `NAME=` line: the value itself is never written anywhere, and the diff printed shows it as
`<redacted>` (as does every key and token in the environment; hosts as `<resource host>`).
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from harness.doctor.finding import Edit, Finding
from harness.doctor.report import DoctorInputs, scrub_finding, scrubber_for
from harness.doctor.run import static_checks
from harness.replay.atomic import write_text_atomic


class FixError(ValueError):
    """The config cannot be read, parsed or written; the message names the file."""


@dataclass
class FixResult:
    config: Path
    target: Path | None  # None: nothing had a mechanical fix, nothing was written
    diff: str = ""
    fixed: list[Finding] = field(default_factory=list)
    remaining: list[Finding] = field(default_factory=list)  # warn/fail findings a person must fix
    env_example: Path | None = None
    env_names: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [self.diff.rstrip("\n")] if self.diff else []
        if self.target is None:
            lines.append(f"harness doctor --fix: nothing in {self.config} has a mechanical fix")
        else:
            lines.append(f"harness doctor --fix: wrote {self.target} ({len(self.fixed)} finding(s) fixed)")
            lines += [f"  fixed  {f.check:<19} {f.where}" for f in self.fixed]
        if self.env_names:
            names = ", ".join(self.env_names)
            lines.append(
                f"  {self.env_example}: added {names}= . Put each value in the proxy's environment (not in any "
                "file you commit), and rotate it: it was written in the config"
            )
        for f in self.remaining:
            lines.append(f"  left   {f.check:<19} {f.where}: {f.fix}")
        if self.target is not None:
            lines.append(f"Check the result: python -m harness doctor --config {self.target}")
        return "\n".join(lines)


def fixed_path(config: Path) -> Path:
    """litellm.config.yaml -> litellm.config.fixed.yaml, beside it."""
    return config.with_name(f"{config.stem}.fixed{config.suffix or '.yaml'}")


def _yaml(text: str) -> YAML:
    _, sequence, offset = load_yaml_guess_indent(text)
    yaml = YAML()  # round-trip: keeps comments, order and quoting
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long URL or comment
    yaml.indent(mapping=2, sequence=sequence or 4, offset=offset or 2)
    return yaml


def _node(data: Any, edit: Edit) -> Any:
    if edit.index is None:
        return data.get(edit.section)
    return data["model_list"][edit.index][edit.section]


def _delete(node: Any, key: str) -> None:
    """Remove a key. The lines ruamel keeps after its value (blank lines, comments about what follows)
    move to the key before it; the key's own end-of-line comment goes with it."""
    keys = list(node)
    if key not in keys:
        return
    comment = node.ca.items.pop(key, None)
    position = keys.index(key)
    node.pop(key)
    token = comment[2] if comment is not None and len(comment) > 2 else None
    if token is None or position == 0 or "\n" not in token.value:
        return
    rest = token.value.split("\n", 1)[1]  # what follows the deleted key's line
    if not rest:
        return
    previous = node.ca.items.get(keys[position - 1])
    if previous is not None and len(previous) > 2 and previous[2] is not None:
        previous[2].value += rest
    else:
        token.value = "\n" + rest
        node.ca.items[keys[position - 1]] = comment


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[str]]:
    """The config text with the edits applied, and the secret values they moved out (to redact)."""
    yaml = _yaml(text)
    data = yaml.load(text)
    secrets: list[str] = []
    for edit in edits:
        node = _node(data, edit)
        if edit.value is None:
            _delete(node, edit.key)
            continue
        if edit.env_name and isinstance(node.get(edit.key), str):
            secrets.append(str(node[edit.key]))
        node[edit.key] = DoubleQuotedScalarString(edit.value) if edit.quote else edit.value
    out = io.StringIO()
    yaml.dump(data, out)
    blank = text[: len(text) - len(text.lstrip("\n"))]  # ruamel drops the blank lines before the document
    return blank + out.getvalue().lstrip("\n"), secrets


def _example_lines(path: Path, names: list[str], config: Path) -> tuple[str, list[str]]:
    """`.env.example` with a `NAME=` line for each name it lacks (never a value)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.split("=", 1)[0].strip().removeprefix("export ") for line in text.splitlines() if "=" in line}
    added = [n for n in names if n not in present]
    if not added:
        return text, []
    if text and not text.endswith("\n"):
        text += "\n"
    text += f"# moved out of {config.name} by `python -m harness doctor --fix`: set in the proxy's environment\n"
    return text + "".join(f"{n}=\n" for n in added), added


def run_fix(inputs: DoctorInputs, in_place: bool = False) -> FixResult:
    config = inputs.config_path
    if config is None:
        raise FixError("harness doctor --fix: no config given (pass --config FILE)")
    try:
        text = config.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixError(f"{config}: cannot read the LiteLLM config ({exc.strerror})") from None
    findings, loaded = static_checks(inputs)
    if loaded is None:
        why = next((f.cause for f in findings if f.check == "config" and f.status == "fail"), "")
        raise FixError(why or f"{config}: not a LiteLLM config")
    fixed = [f for f in findings if f.edits and f.status != "ok"]
    try:
        new_text, secrets = apply_edits(text, [e for f in fixed for e in f.edits])
    except YAMLError as exc:
        raise FixError(f"{config}: not valid YAML: {str(exc).splitlines()[0]}") from None
    scrubber = scrubber_for(inputs)
    scrubber.add_secrets(secrets)
    remaining = [scrub_finding(scrubber, f) for f in findings if not f.edits and f.status != "ok" and f.check != "env"]
    result = FixResult(config, None, fixed=[scrub_finding(scrubber, f) for f in fixed], remaining=remaining)
    if not fixed:
        return result
    target = config if in_place else fixed_path(config)
    names = list(dict.fromkeys(e.env_name for f in fixed for e in f.edits if e.env_name))
    diff = "".join(
        difflib.unified_diff(
            text.splitlines(keepends=True),
            new_text.splitlines(keepends=True),
            fromfile=str(config),
            tofile=str(target),
        )
    )
    result.diff = scrubber.text(diff)
    write_text_atomic(target, new_text)
    result.target = target
    if names:
        example = config.parent / ".env.example"
        example_text, added = _example_lines(example, names, config)
        if added:
            write_text_atomic(example, example_text)
        result.env_example, result.env_names = example, added or names
    return result
