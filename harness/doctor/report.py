"""What the doctor is given and what it found: the inputs (settings, config path, auth), the
findings with their rendering, and the scrubber every printed text passes through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.doctor.configlint import Finding
from harness.replay.scrub import Scrubber

HOST_PLACEHOLDER = "<resource host>"


@dataclass
class DoctorInputs:
    env: Mapping[str, str] = field(repr=False)  # keys and tokens: never printed
    config_path: Path | None = None
    proxy_workdir: Path | None = None  # where the proxy runs; default: the config's directory
    auth: str = "key"
    token: str | None = field(default=None, repr=False)  # --auth entra: the token the direct path uses
    timeout_s: float = 15.0
    litellm_dir: Path | None = None  # the proxy's LiteLLM package, for the .env it loads; default: this one


@dataclass
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {s: sum(f.status == s for f in self.findings) for s in ("ok", "warn", "fail")}

    def as_json(self) -> dict[str, Any]:
        checks = [{k: v for k, v in asdict(f).items() if k != "edits"} for f in self.findings]
        return {"ok": not self.failed, "counts": self.counts(), "checks": checks}

    def render(self) -> str:
        c = self.counts()
        lines = [f"harness doctor: {c['ok']} ok, {c['warn']} warn, {c['fail']} fail"]
        for f in self.findings:
            lines.append(f"{f.status:<5} {f.check:<17} {f.where:<32} {f.cause}")
            if f.fix and f.status != "ok":
                lines.append(f"{'':<5} {'':<17} {'':<32} fix: {f.fix}")
            if f.source and f.status != "ok":
                lines.append(f"{'':<5} {'':<17} {'':<32} see: {f.source}")
        return "\n".join(lines)


def scrubber_for(inputs: DoctorInputs) -> Scrubber:
    """Every secret and the resource host in the settings, so nothing printed carries them."""
    env = inputs.env
    scrubber = Scrubber.for_secrets(
        [v for k, v in env.items() if any(w in k.upper() for w in ("KEY", "TOKEN", "SECRET", "PASSWORD"))]
        + [inputs.token or ""]
    )
    base = env.get("AZURE_OPENAI_API_BASE", "")
    host = urlsplit(base).hostname if base else None
    if host:
        scrubber.hosts[host] = HOST_PLACEHOLDER
    return scrubber


def scrub_finding(scrubber: Scrubber, finding: Finding) -> Finding:
    return replace(
        finding,
        where=scrubber.text(finding.where),
        cause=scrubber.text(finding.cause),
        fix=scrubber.text(finding.fix),
    )
