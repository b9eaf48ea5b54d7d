"""What stands where Azure sits, as both paths see it: endpoints and the credentials it accepts.

With the emulator upstream there are two emulated resources sharing one key and signing secret:
the main one, and one with public network access disabled (reached through its private listener,
or refused on its public one). Both paths get the same endpoint map, so a setup means the same
thing on each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from harness.emulator import EmulatorConfig, RunningEmulator, mint_token, run_emulator
from harness.replay.cassettes import PLACEHOLDERS


@dataclass(frozen=True)
class Credentials:
    """What the upstream accepts: a key and a token minter (`kind` -> JWT)."""

    api_key: str = field(repr=False)
    mint_token: Callable[[str], str]


@dataclass(frozen=True)
class UpstreamTarget:
    kind: str
    endpoints: Mapping[str, str]
    credentials: Credentials
    emulators: tuple[RunningEmulator, ...] = ()
    #: what an emulator must be configured with to accept these credentials (replay's throwaways)
    emulator_config: EmulatorConfig | None = None
    #: endpoints for the proxy alone, where they differ: the emulator's listener whose retry hints say
    #: "now" (`harness.replay.waits`)
    proxy_endpoints: Mapping[str, str] = field(default_factory=dict)

    def reset(self) -> None:
        for running in self.emulators:
            running.emulator.reset()

    def received(self, count: int, deadline_s: float) -> None:
        """Return once the emulators have received `count` requests since their last reset (or at the
        deadline): a proxy whose client gave up may still be forwarding its request."""
        end = time.monotonic() + deadline_s
        while sum(len(running.emulator.journal) for running in self.emulators) < count and time.monotonic() < end:
            time.sleep(0.01)

    def settle(self, quiet_s: float, deadline_s: float = 60.0) -> None:
        """Return once the emulators have received no request for `quiet_s` (or at the deadline): what a
        proxy still sends Azure after its client gave up arrives meanwhile."""
        end = time.monotonic() + deadline_s
        seen, since = -1, time.monotonic()
        while time.monotonic() < end:
            count = sum(len(running.emulator.journal) for running in self.emulators)
            if count != seen:
                seen, since = count, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.05)


@contextmanager
def emulator_upstream(config: EmulatorConfig | None = None) -> Iterator[UpstreamTarget]:
    """Start the main and the private-only emulated resources for the session."""
    main_config = config or EmulatorConfig()
    private_config = EmulatorConfig(
        deployments=main_config.deployments,
        api_keys=main_config.api_keys,
        signing_secret=main_config.signing_secret,
        tenant_id=main_config.tenant_id,
        public_network_access=False,
    )
    with ExitStack() as stack:
        main = stack.enter_context(run_emulator(main_config, proxy_listener=True))
        private = stack.enter_context(run_emulator(private_config))
        yield UpstreamTarget(
            kind="emulator",
            endpoints={
                "public": main.url,
                "private-endpoint": private.private_url,
                "private-resource-public": private.url,
            },
            credentials=Credentials(api_key=main.api_key, mint_token=main.mint_token),
            emulators=(main, private),
            emulator_config=main_config,
            proxy_endpoints={"public": main.proxy_url},
        )


def replay_upstream() -> UpstreamTarget:
    """Nothing real behind: the endpoints are the cassettes' placeholders and the credentials are
    throwaway values of the right shape (a key, Entra-style JWTs), since replay never checks them
    but the auth *scheme* each setup uses is matched."""
    config = EmulatorConfig()  # fresh random key and signing secret
    signing = config.signing_secret
    return UpstreamTarget(
        kind="replay",
        endpoints=dict(PLACEHOLDERS),
        credentials=Credentials(api_key=config.api_key, mint_token=lambda kind: mint_token(signing, kind)),
        emulator_config=config,
    )
