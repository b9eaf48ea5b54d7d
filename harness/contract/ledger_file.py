"""Reading the divergence ledger file: every entry validated, every problem one line naming the file,
the entry and the fix; `extends` and `disable` for a team's ledger built on the shipped one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from packaging.specifiers import InvalidSpecifier

from harness.contract.ledger import (
    _KINDS,
    _OBSERVATIONS,
    DEFAULT_OBSERVATIONS,
    OPTIONAL,
    REQUIRED,
    Entry,
    Ledger,
    LedgerError,
    _glob,
)
from harness.contract.pins import parse_pins
from harness.contract.releases import Releases


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) and v for v in items):
        raise LedgerError(f"{where}: '{key}' must be a non-empty string or list of strings")
    return tuple(items)


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise LedgerError(f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise LedgerError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(REQUIRED + OPTIONAL)}")
    for key in REQUIRED:
        if key == "paths":
            continue
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LedgerError(
                f"{where}: '{key}' is required (a non-empty string); every divergence needs "
                "what, why, for which LiteLLM versions, the user impact and a link"
            )
    paths = _strings(raw.get("paths"), where, "paths")
    try:
        spec = Releases(raw["litellm"])
    except InvalidSpecifier:
        raise LedgerError(
            f"{where}: 'litellm' {raw['litellm']!r} is not a version range like '>=1.60,<2' (or several joined "
            "by '||', '<1.81.6 || >=1.94.0')"
        ) from None
    kinds = frozenset(_strings(raw["kinds"], where, "kinds")) if "kinds" in raw else frozenset(_KINDS)
    if kinds - _KINDS:
        raise LedgerError(f"{where}: 'kinds' must be among {sorted(_KINDS)}, got {sorted(kinds - _KINDS)}")
    observations = (
        frozenset(_strings(raw["observations"], where, "observations"))
        if "observations" in raw
        else DEFAULT_OBSERVATIONS
    )
    if observations - _OBSERVATIONS:
        raise LedgerError(f"{where}: 'observations' must be among {sorted(_OBSERVATIONS)}")
    cases = _strings(raw.get("cases", "*"), where, "cases")
    except_cases = _strings(raw["except_cases"], where, "except_cases") if "except_cases" in raw else ()
    return Entry(
        id=raw["id"],
        what=raw["what"],
        paths=paths,
        litellm=spec,
        reason=raw["reason"],
        impact=raw["impact"],
        link=raw["link"],
        kinds=kinds,
        cases=cases,
        observations=observations,
        workaround=str(raw.get("workaround", "")),
        settings=_strings(raw["settings"], where, "settings") if "settings" in raw else (),
        caused_by=_strings(raw["caused_by"], where, "caused_by") if "caused_by" in raw else (),
        pins=parse_pins(raw.get("pin"), where, LedgerError),
        _path_res=tuple(_glob(p) for p in paths),
        _case_res=tuple(_glob(c) for c in cases),
        except_cases=except_cases,
        _except_res=tuple(_glob(c) for c in except_cases),
    )


def _disabled(raw: Any, path: Path) -> dict[str, tuple[str, ...]]:
    """`disable:` as {entry id: case globs}: a list switches entries off everywhere, a mapping for the
    cases it names (where the team's settings make the inherited divergence not occur)."""
    if raw is None:
        return {}
    if isinstance(raw, list) and all(isinstance(i, str) for i in raw):
        return {i: ("*",) for i in raw}
    if isinstance(raw, dict) and all(isinstance(v, list) for v in raw.values()):
        return {str(k): tuple(str(c) for c in v) for k, v in raw.items()}
    raise LedgerError(f"{path}: 'disable' must be a list of entry ids, or map entry ids to lists of cases")


#: libyaml's safe loader where PyYAML has it: the shipped ledger took 0.4-0.8 s to parse in Python, in
#: every pytest process (each xdist worker, each background suite); the same documents, the same errors
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_ledger(path: Path, _seen: tuple[Path, ...] = ()) -> Ledger:
    """Parse and validate the ledger; every problem is one `LedgerError` line naming the file.

    A team's ledger may build on another (`extends: <path>`, relative to the file: the shipped ledger of
    LiteLLM's own divergences) and switch off the inherited entries that do not hold for its config
    (`disable: [id, ...]`), then add its own."""
    if path.resolve() in _seen:
        raise LedgerError(f"{path}: 'extends' goes round in a circle through {', '.join(map(str, _seen))}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(f"{path}: cannot read the divergence ledger ({exc.strerror})") from None
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise LedgerError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {"divergences": []}
    if not isinstance(data, dict) or set(data) - {"divergences", "extends", "disable"}:
        raise LedgerError(
            f"{path}: expected a mapping with 'divergences' (a list), and optionally 'extends', 'disable'"
        )
    raw_entries = data.get("divergences") or []
    if not isinstance(raw_entries, list):
        raise LedgerError(f"{path}: 'divergences' must be a list")
    inherited: list[Entry] = []
    if data.get("extends"):
        base = load_ledger((path.parent / str(data["extends"])).resolve(), (*_seen, path.resolve()))
        disabled = _disabled(data.get("disable"), path)
        unknown = sorted(set(disabled) - {e.id for e in base.entries})
        if unknown:
            raise LedgerError(f"{path}: 'disable' names {unknown[0]!r}, which {data['extends']} does not have")
        for entry in base.entries:
            cases = disabled.get(entry.id, ())
            if "*" in cases:
                continue
            if cases:  # switched off for these cases only
                extra = entry.except_cases + cases
                entry = replace(entry, except_cases=extra, _except_res=tuple(_glob(c) for c in extra))
            inherited.append(entry)
    entries: list[Entry] = []
    for index, raw in enumerate(raw_entries):
        entry = _entry(raw, f"{path}: divergences[{index}]")
        if any(e.id == entry.id for e in entries + inherited):
            raise LedgerError(f"{path}: divergences[{index}]: duplicate id {entry.id!r}")
        entries.append(entry)
    return Ledger(path=path, entries=tuple(inherited + entries))


def is_new_ledger(path: Path) -> bool:
    """No ledger yet: the file is missing, empty, or holds only comments. Such a ledger extends the
    shipped one, so a team's bootstrap writes only what its config changes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return True
    except OSError:
        return False  # unreadable: `load_ledger` says why
    try:
        return yaml.load(text, Loader=_LOADER) is None
    except yaml.YAMLError:
        return False


def load_own_ledger(path: Path, shipped: Path) -> Ledger:
    """A `--ledger` of the team's: as written, or, while it is new, the shipped ledger under its name
    (what `--ledger-update` will write it to extend)."""
    if path.resolve() != shipped.resolve() and is_new_ledger(path):
        return replace(load_ledger(shipped), path=path)
    return load_ledger(path)
