"""Model groups of their own for each test item, so that no case inherits router state another left.

LiteLLM's router keeps state per deployment between requests. On 1.108.7 a 401 or a 404 from Azure
puts a single-deployment model group into cooldown for `DEFAULT_COOLDOWN_TIME_SECONDS` (5 s), and
the next requests to that group get the router's own 429 "No deployments available for selected
model" without Azure being asked (`litellm/router_utils/cooldown_handlers.py`:
`_is_cooldown_required`, `_should_cooldown_deployment`). A proxy shared by many cases then makes a
case's answer depend on which case ran before it and how long ago: that was the flake in
`test_auth[wrong-audience-token-litellm]`.

So the harness plans, from the collected items, one *lane* per (owner, setup): a copy of the
setup's `model_list` entry under an alias of its own. The owner is a contract case on the litellm
path (`auth/wrong-audience-token`), or a test that declares `@pytest.mark.proxy_lane(owner,
*setups)`. Each lane is its own model group and its own deployment (LiteLLM hashes the group name
into the deployment id, `Router.generate_model_id`), so a cooldown, a failure count or a retry
budget stays with the item that caused it. The behaviour itself is not hidden: the cooldown cases
(`tests/contract/test_cooldown.py`) make their calls in a row, inside one lane.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from harness.contract.observe import LANE_MARK

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


class LaneError(LookupError):
    """A call for a model group nobody planned: the message names the owner and the fix."""


def lane_alias(owner: str, setup: str) -> str:
    """The alias an item asks the proxy for: `<setup>@lane-<owner>`, free of `/` (LiteLLM reads it as
    a provider prefix) and of `.` (so the suffix ends where a sentence's full stop begins)."""
    return f"{setup}{LANE_MARK}{_UNSAFE.sub('-', owner)}"


@dataclass(frozen=True)
class LanePlan:
    """Which owner uses which setups; rendered into the proxy config before the proxy starts."""

    lanes: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @classmethod
    def from_claims(cls, claims: Iterable[tuple[str, Iterable[str]]]) -> LanePlan:
        return cls(frozenset((owner, setup) for owner, setups in claims for setup in setups))

    def alias(self, owner: str, setup: str) -> str:
        if (owner, setup) not in self.lanes:
            raise LaneError(
                f"harness: no model group was planned for {owner or '(no owner)'!r} with setup {setup!r}; the "
                "proxy config is made from the collected items. A test that calls the proxy outside a contract "
                f"case declares what it uses: @pytest.mark.proxy_lane({owner or 'owner'!r}, {setup!r})"
            )
        return lane_alias(owner, setup)

    def entries(self, by_setup: Mapping[str, Mapping[str, object]]) -> list[dict[str, object]]:
        """One `model_list` entry per lane: the setup's own entry, renamed. Sorted, so the same plan
        renders the same config."""
        missing = sorted({setup for _, setup in self.lanes} - set(by_setup))
        if missing:
            raise LaneError(f"harness: lanes name unknown setups {', '.join(missing)}; known: {', '.join(by_setup)}")
        return [{**by_setup[setup], "model_name": lane_alias(owner, setup)} for owner, setup in sorted(self.lanes)]
