"""The verifiable audit log: the latest signed checkpoint (with partners' cosignatures), inclusion proofs for audit
events and consistency proofs between tree sizes (RFC 6962 / RFC 9162; hashes and keys in standard base64), and this
engine as a witness of partners' logs (c2sp.org/tlog-witness `add-checkpoint`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from api.clearance_access import find_clearance
from api.deps import CurrentPrincipal, ServicesDep
from api.errors import ApiError, check, invalid, not_found
from domain import policy
from domain.mrn import is_valid_mrn
from store import audit_cosign, audit_log
from store import witness as witness_store
from store.audit_note import Cosigner, b64, load_or_create_key

router = APIRouter(prefix="/v1/audit", tags=["audit log"])

NO_CHECKPOINT = "no checkpoint has been published yet; pass an explicit tree size"


async def _latest_size(services: ServicesDep) -> int | None:
    async with services.db.session() as session:
        latest = await audit_log.latest_checkpoint(session)
    return latest.tree_size if latest else None


@router.get(
    "/checkpoint",
    summary="The latest signed checkpoint of the audit log (C2SP signed note)",
    description="`note` is `origin\\ntree_size\\nroot_hash\\n`, a blank line and `— <name> base64(key id ‖ Ed25519 "
    "signature)`, then one `cosignature/v1` line per partner witness that cosigned it (`cosignatures`); "
    "`public_key` is the raw 32-byte Ed25519 key. Published at a fixed interval while the log grows and at each "
    "clearance outcome.",
)
async def checkpoint(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    async with services.db.session() as session:
        latest = await audit_log.latest_checkpoint(session)
        cosigned = await audit_cosign.cosignatures(session, latest.tree_size) if latest is not None else []
    if latest is None:
        raise ApiError(404, "no checkpoint has been published yet")
    return {
        "origin": latest.origin,
        "tree_size": latest.tree_size,
        "root_hash": b64(latest.root_hash),
        "note": audit_cosign.cosigned_note(latest, cosigned),
        "public_key": b64(latest.public_key),
        "published_at": latest.published_at,
        "cosignatures": [{"agency": c.agency, "name": c.witness_name, "time": c.signed_at} for c in cosigned],
    }


@router.get(
    "/proof",
    summary="Inclusion proof of one audit event (RFC 9162 §2.1.3)",
    description="`leaf` is the event's exact leaf bytes (base64), `proof` the inclusion path from the leaf's "
    "sibling up, against the tree of `tree_size` (default: the latest checkpoint's).",
)
async def proof(
    principal: CurrentPrincipal,
    services: ServicesDep,
    mrn: Annotated[str, Query(description="the clearance's MRN")],
    seq: Annotated[int, Query(ge=0, description="the event's sequence number in the clearance's trail")],
    tree_size: Annotated[int | None, Query(ge=1, description="default: the latest checkpoint's")] = None,
) -> dict[str, Any]:
    check(policy.may_read_audit_log(principal))
    if not is_valid_mrn(mrn):
        raise invalid(["query", "mrn"], "not a valid MRN (18 characters with an ISO 6346 check character)")
    ref = await find_clearance(services, principal, mrn)
    size = tree_size if tree_size is not None else await _latest_size(services)
    async with services.db.session() as session:
        event = await audit_log.event(session, ref.mrn, seq)
        if event is None:
            raise not_found(f"audit event {seq} of clearance {mrn}")
        if size is None:
            raise invalid(["query", "tree_size"], NO_CHECKPOINT)
        if event.leaf_index >= size:
            raise invalid(
                ["query", "tree_size"],
                f"the event is leaf {event.leaf_index}, not in the tree of size {size}; "
                "ask for a larger tree or wait for the next checkpoint",
            )
        try:
            path = await audit_log.inclusion_proof(session, event.leaf_index, size)
        except audit_log.TreeSizeError as exc:
            raise invalid(["query", "tree_size"], str(exc)) from exc
    return {
        "mrn": event.mrn,
        "seq": event.seq,
        "leaf_index": event.leaf_index,
        "tree_size": size,
        "leaf": b64(event.leaf.encode()),
        "leaf_hash": b64(event.leaf_hash),
        "proof": [b64(h) for h in path],
    }


@router.get(
    "/consistency",
    summary="Consistency proof between two tree sizes (RFC 9162 §2.1.4)",
    description="Proves the tree of `to` (default: the latest checkpoint's) extends the tree of `from`.",
)
async def consistency(
    principal: CurrentPrincipal,
    services: ServicesDep,
    from_: Annotated[int, Query(alias="from", ge=1, description="the older tree size")],
    to: Annotated[int | None, Query(ge=1, description="the newer tree size; default: the latest checkpoint's")] = None,
) -> dict[str, Any]:
    size = to if to is not None else await _latest_size(services)
    if size is None:
        raise invalid(["query", "to"], NO_CHECKPOINT)
    if from_ > size:
        raise invalid(["query", "from"], f"from ({from_}) is larger than to ({size})")
    async with services.db.session() as session:
        try:
            path = await audit_log.consistency_proof(session, from_, size)
        except audit_log.TreeSizeError as exc:
            raise invalid(["query", "to"], str(exc)) from exc
    return {"from": from_, "to": size, "proof": [b64(h) for h in path]}


# --- this engine as a witness of partners' logs --------------------------------------------------------------

SUBMISSION_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "old 0\n\nclearance.demo-partner-customs.example/log\n3\n<base64 root>\n\n— ...\n",
            }
        },
    }
}


@lru_cache(maxsize=4)
def _cosigner(name: str, key_file: Path) -> Cosigner:
    return Cosigner(name=name, private_key=load_or_create_key(key_file))


@router.post(
    "/witness/add-checkpoint",
    openapi_extra=SUBMISSION_BODY,
    response_class=PlainTextResponse,
    summary="Witness a partner's log checkpoint (c2sp.org/tlog-witness add-checkpoint)",
    description="Body as tlog-witness: `old <size>`, consistency proof lines (base64), a blank line, the checkpoint "
    "note. The checkpoint must be signed (key name = origin) with a key the agency registry holds for the caller's "
    "agency. Answers the `cosignature/v1` line of this administration's log key (text). 404 unknown origin, 403 no "
    "valid signature or another agency's log, 400 old size above the checkpoint's, 409 `text/x.tlog.size` with the "
    "size last cosigned when `old` differs from it, 409 the same size with another root, 422 a proof that does not "
    "verify; the last two keep the checkpoint as evidence of a fork and log an alert.",
)
async def add_checkpoint(request: Request, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    settings = services.settings
    try:
        submission = witness_store.parse_submission(await request.body())
        async with services.db.session() as session:
            trusted = await witness_store.trusted_keys(session, excluding=settings.administration)

        def may_submit(agency: str) -> str | None:
            refusal = policy.may_submit_checkpoint(principal, agency, settings.administration)
            return refusal.message if refusal else None

        line = await witness_store.add_checkpoint(
            services.db,
            submission,
            cosigner=_cosigner(settings.audit_witness_name, settings.audit_log_key_path),
            trusted=trusted,
            may_submit=may_submit,
            actor=principal.id,
        )
    except witness_store.WitnessRefusal as exc:
        if exc.status == 409 and exc.tree_size is not None:
            return PlainTextResponse(f"{exc.tree_size}\n", status_code=409, media_type=witness_store.SIZE_CONTENT_TYPE)
        raise ApiError(exc.status, exc.message, loc=exc.loc) from exc
    return PlainTextResponse(line)


@router.get(
    "/witness/logs",
    summary="The partner logs this engine witnesses: the checkpoint last cosigned and every refused one (alerts)",
    description="Per origin: the agency whose registry key signs it, the checkpoint last cosigned (`tree_size`, "
    "`root_hash`, `received_at`), how many checkpoints were received, and `conflicts`: each checkpoint refused as "
    "inconsistent with the cosigned one (evidence of a forked log), with why.",
)
async def witnessed_logs(principal: CurrentPrincipal, services: ServicesDep) -> list[dict[str, Any]]:
    check(policy.may_read_audit_log(principal))
    return await witness_store.partner_logs(services.db, witness=services.settings.audit_witness_name)
