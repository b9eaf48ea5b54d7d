"""A replay miss as the gate reads it: the typed record the replay made (`ReplayMiss.record`), never the
failure's text. A version that sends Azure another request than the recording holds (a field changed,
one request more) cannot be replayed: that is itself an upstream request change, and the case is run
live against the emulator instead (`harness.gate.run`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.contract.compare import plain


def replay_miss(outcome: Mapping[str, Any]) -> dict[str, Any] | None:
    """A failed item's replay-miss record (`harness.replay.cassettes.ReplayMiss`), or None."""
    record = outcome.get("replay_miss")
    return record if outcome.get("outcome") == "failed" and isinstance(record, dict) else None


def is_miss(outcome: Mapping[str, Any]) -> bool:
    """This version sent Azure a request the recording does not hold (another one, or once more)."""
    record = replay_miss(outcome)
    return record is not None and record.get("kind") in ("miss", "played-more")


def replay_missed_cases(run: Mapping[str, Any]) -> set[str]:
    """Cases whose replay could not serve this version: its requests differ from the recording (a miss,
    one more request, fewer requests than recorded, or a route with no cassette)."""
    return {o.get("case") or o["nodeid"] for o in run.get("outcomes", []) if replay_miss(o) is not None}


def miss_change(nodeid: str, side: str, record: Mapping[str, Any], other_replayed: bool) -> dict[str, Any]:
    """A replay miss is itself an upstream request change: the version sends what the recording
    does not hold. Its record holds the field changes against the closest recorded request."""
    changes = []
    for field_change in record.get("fields") or []:
        now, recorded = plain(field_change["now"]), plain(field_change["recorded"])
        if not other_replayed:
            recorded = f"recorded {recorded} (the other version did not replay it either)"
        pair = (now, recorded) if side == "baseline" else (recorded, now)
        changes.append({"path": field_change["path"], "kind": "value", "baseline": pair[0], "candidate": pair[1]})
    if record.get("kind") == "played-more":
        more = "sends it more often than recorded"
        changes.append(
            {
                "path": "upstream_requests (count)",
                "kind": "length",
                "baseline": more if side == "baseline" else "as recorded",
                "candidate": more if side == "candidate" else "as recorded",
            }
        )
    return {"case": nodeid, "source": f"replay miss under the {side}", "changes": changes}
