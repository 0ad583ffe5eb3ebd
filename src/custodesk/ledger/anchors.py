"""The latest seal written outside the database (custodesk.core.anchors), and the seal
chain checked against those anchors.

The seals chain the transfers (``services.seal``), and ``ledger verify`` recomputes
them; an anchor adds what the database alone cannot give: someone able to rewrite
transfers *and* every seal after them consistently still contradicts the anchored
digest.  Kept apart from the ledger's engine and services on purpose: it only reads.
"""

from __future__ import annotations

import datetime as dt

from custodesk.core import anchors

from .models import TransferSeal
from .services import Violation, verify

ANCHOR_LOG = "ledger-seals"


def anchor_latest_seal(*, now: dt.datetime) -> anchors.Anchor | None:
    """Append the latest seal (id, last transfer, digest) to the anchor log, signed;
    None when there is no seal yet or it is already anchored."""
    seal = TransferSeal.objects.order_by("-id").first()
    if seal is None:
        return None
    return anchors.append(
        ANCHOR_LOG,
        fields={"seal": seal.pk, "to_transfer": seal.to_id, "digest": seal.digest},
        now=now,
    )


def verify_anchors() -> list[Violation]:
    """Problems of the anchor log, then every anchor the seals contradict: the anchored
    seal gone, or covering other transfers, or with another digest."""
    reading = anchors.read(ANCHOR_LOG)
    out = [Violation("anchor", str(p)) for p in reading.problems]
    ids = [a.fields["seal"] for a in reading.anchors]
    seals = {
        pk: (to_id, digest)
        for pk, to_id, digest in TransferSeal.objects.filter(pk__in=ids).values_list(
            "pk", "to_id", "digest"
        )
    }
    for a in reading.anchors:
        pk, to_id, digest = a.fields["seal"], a.fields["to_transfer"], a.fields["digest"]
        if pk not in seals:
            out.append(Violation("anchor", f"seal {pk} removed: {a} records it (digest {digest})"))
        elif seals[pk] != (to_id, digest):
            out.append(
                Violation(
                    "anchor",
                    f"seal {pk} rewritten (transfers up to {seals[pk][0]}, digest "
                    f"{seals[pk][1]}), but {a} recorded transfers up to {to_id}, digest {digest}",
                )
            )
    return out


def verify_with_anchors() -> list[Violation]:
    """Every ledger invariant (``services.verify``), then the seals against their anchors."""
    return [*verify(), *verify_anchors()]
