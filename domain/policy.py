"""Who may do what: every permission rule, written once, as pure functions that answer a refusal or None.

The routes (through the service layer in `api/service/`), the console (to show or hide a button: the same
function answers "may I show this?") and the workflows' Update validators (which raise the refusal before anything
reaches history) all ask these functions. Pure and deterministic: no I/O, no clock, importable inside workflows
(the worker passes `domain` through the sandbox).

A rule takes *who* acts (an API principal or a workflow command's actor: anything with `id`, `agency`, `roles`,
`eori`), and the resource as far as the rule needs it. The resource's `agency` is the agency that owns the
decision: a clearance's is its customs administration's; a task's is the agency whose role decides it (the
export-control verification of a joint inspection, a screening review and a post-release alert are the
export-control authority's, `domain/standing.py`). The checks compare agencies in one place (`_of_agency`); a rule
that allows a cross-agency read or decision says so in its own function (`_as_party`: an agency with a standing or
a task on the clearance reads it, and places and releases its own hold; every such read is audited).

Adding a role: put it in the groups below that it belongs to. Adding an action: one function here plus a row in
`tests/test_policy_matrix.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.clearance import Rejection
from domain.vocabulary import LANE_SCRUTINY, Lane

# --- role groups, named once -------------------------------------------------------------------------------

DECLARANTS = ("declarant",)
OFFICERS = ("customs_officer", "export_control_officer", "inspector", "supervisor")
TASK_ROLES = (*OFFICERS, "duty_chief")  # roles that hold human tasks (duty_chief: the escalation role)
READERS = (*OFFICERS, "duty_chief", "auditor", "admin")  # read every clearance of their agency
# may sign in to the console (a partner's officers: to the exchange pages only)
STAFF = tuple(dict.fromkeys((*TASK_ROLES, *READERS, "partner_customs_officer")))
TASK_READERS = (*TASK_ROLES, "auditor")
TASK_OVERSEERS = ("supervisor", "auditor")  # see every task of their agency
SUPERVISORS = ("supervisor",)  # reassign, release and comment on any task of the agency; lower a lane
REROUTERS = ("customs_officer", "supervisor")
HOLDERS = ("customs_officer", "export_control_officer", "supervisor")  # place and release holds
SCHEDULERS = ("customs_officer", "supervisor")  # plus the roles the SOP's inspection step names
LICENCE_ISSUERS = ("export_control_officer",)
LICENCE_READERS = ("customs_officer", "export_control_officer", "inspector", "supervisor", "auditor", "admin")
LICENCE_REGISTRY = ("export_control_officer", "admin")  # the depletion protocol the HTTP adapter speaks
REPRESENTATION_ADMINS = ("customs_officer", "admin")  # the representation register
LIST_IMPORTERS = ("export_control_officer", "admin")
LIST_READERS = (*OFFICERS, "auditor", "admin")
SCREENERS = (*OFFICERS, "admin")
FALSE_POSITIVE_RECORDERS = ("export_control_officer", "customs_officer", "supervisor")
FALSE_POSITIVE_READERS = READERS
SOP_AUTHORS = ("sop_author",)
REPORT_READERS = ("customs_officer", "export_control_officer", "supervisor", "auditor", "admin")
WEBHOOK_SUBSCRIBERS = ("declarant", *READERS)
TOKEN_ADMINS = ("admin",)  # issue, list and revoke the agency's API tokens
AUDIT_LOG_READERS = READERS  # checkpoints and proofs of the verifiable audit log
CODEC_USERS = (*OFFICERS, "duty_chief", "auditor")  # decrypt workflow payloads (the Temporal UI's codec server)


class Who(Protocol):
    """Who acts: `store.models.Principal` (the API) or `domain.clearance.Actor` (a workflow command)."""

    @property
    def id(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def roles(self) -> Sequence[str]: ...
    @property
    def eori(self) -> str | None: ...


class TaskLike(Protocol):
    """The parts of a task (`domain.clearance.Task`) the rules look at."""

    @property
    def id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def assignee(self) -> str | None: ...
    @property
    def escalated_from(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: `kind` is the HTTP-facing class (403, 404, 409, 422), `field` the request field it
    names (without the "body" prefix the API adds)."""

    kind: Rejection
    message: str
    field: tuple[str | int, ...] | None = None


@dataclass(frozen=True)
class ClearanceScope:
    """What the rules need of a clearance: its MRN, who lodged it, the agency that owns it, and the other agencies
    taking part (`parties`: those with a standing or a task on it)."""

    mrn: str
    declarant_eori: str
    agency: str
    parties: tuple[str, ...] = ()


@dataclass(frozen=True)
class FourEyes:
    """The SOP's four-eyes rule for one clearance: task kinds whose completer must not have completed another of its
    tasks, and who completed which task so far (across the clearance and its joint inspection)."""

    kinds: Collection[str]
    completers: Mapping[str, str]


def forbidden(message: str) -> Refusal:
    return Refusal(Rejection.forbidden, message)


def conflict(message: str) -> Refusal:
    return Refusal(Rejection.conflict, message)


def _holds(who: Who, roles: Collection[str]) -> bool:
    return bool(set(who.roles) & set(roles))


def _of_agency(who: Who, agency: str) -> bool:
    return who.agency == agency


def _as_party(who: Who, clearance: ClearanceScope) -> bool:
    """`who` belongs to another agency that takes part in the clearance (a cross-agency rule)."""
    return not _of_agency(who, clearance.agency) and who.agency in clearance.parties


def needs_role(who: Who, roles: Sequence[str]) -> Refusal | None:
    """The plain role rule of an endpoint: one of `roles`."""
    if _holds(who, roles):
        return None
    return forbidden(f"this needs one of the roles {', '.join(roles)}; {who.id} holds {', '.join(who.roles)}")


def is_staff(who: Who) -> bool:
    return _holds(who, STAFF)


def holds_tasks(who: Who) -> bool:
    return _holds(who, TASK_ROLES)


def is_reader(who: Who) -> bool:
    return _holds(who, READERS)


def owns(who: Who, declarant_eori: str) -> bool:
    """A declarant's own declaration."""
    return "declarant" in who.roles and who.eori is not None and who.eori == declarant_eori


# --- declarations and clearances ---------------------------------------------------------------------------


def may_lodge(who: Who, declarant_eori: str) -> Refusal | None:
    if refused := needs_role(who, DECLARANTS):
        return refused
    if who.eori != declarant_eori:
        return forbidden(f"you may lodge declarations only as declarant {who.eori}")
    return None


def may_read_clearance(who: Who, clearance: ClearanceScope) -> Refusal | None:
    """The declarant who lodged it, the readers of its agency (documents too), and the readers of an agency that
    has a standing or a task on it (a cross-agency read: `is_cross_agency_read`, audited)."""
    if owns(who, clearance.declarant_eori) or (is_reader(who) and _of_agency(who, clearance.agency)):
        return None
    if is_cross_agency_read(who, clearance):
        return None
    return forbidden(f"clearance {clearance.mrn} belongs to another declarant or agency")


def is_cross_agency_read(who: Who, clearance: ClearanceScope) -> bool:
    """A reader of another agency taking part in the clearance (the export-control authority on a clearance where it
    decides something): allowed, and recorded as a `cross_agency_read` audit event."""
    return is_reader(who) and _as_party(who, clearance) and not owns(who, clearance.declarant_eori)


def clearance_listing(who: Who) -> tuple[str | None, str | None] | Refusal:
    """Which clearances a listing shows: (agency, None) for a reader, (None, eori) for a declarant."""
    if is_reader(who):
        return who.agency, None
    if "declarant" in who.roles and who.eori:
        return None, who.eori
    return needs_role(who, (*DECLARANTS, *READERS)) or forbidden(f"{who.id} is a declarant without an EORI")


def may_invalidate(who: Who, clearance: ClearanceScope) -> Refusal | None:
    if owns(who, clearance.declarant_eori):
        return None
    return forbidden("only the declarant who lodged the declaration may invalidate it")


def may_read_audit(who: Who, clearance: ClearanceScope) -> Refusal | None:
    if is_reader(who) and _of_agency(who, clearance.agency):
        return None
    return forbidden("the audit trail is for officers, supervisors and auditors")


def _officer(who: Who, clearance: ClearanceScope, roles: Sequence[str], what: str) -> Refusal | None:
    if _of_agency(who, clearance.agency) and _holds(who, roles):
        return None
    return forbidden(f"only {', '.join(dict.fromkeys(roles))} of {clearance.agency} may {what} a clearance")


def may_reroute(who: Who, clearance: ClearanceScope) -> Refusal | None:
    return _officer(who, clearance, REROUTERS, "re-route")


def may_move_lane(who: Who, current: str, lane: str) -> Refusal | None:
    """A stricter lane for any re-router; a less strict one for a supervisor only."""
    if LANE_SCRUTINY[Lane(lane)] < LANE_SCRUTINY[Lane(current)] and not _holds(who, SUPERVISORS):
        return forbidden(f"only a supervisor may move a clearance from {current} to {lane}")
    return None


def may_place_hold(who: Who, clearance: ClearanceScope) -> Refusal | None:
    """Holders of the clearance's agency; an agency taking part places its own hold (its standing becomes hold)."""
    if _as_party(who, clearance) and _holds(who, HOLDERS):
        return None
    return _officer(who, clearance, HOLDERS, "put on hold")


def may_release_hold(
    who: Who, clearance: ClearanceScope, placed_by: str | None = None, hold_agency: str | None = None
) -> Refusal | None:
    """The officer who placed the hold, or a supervisor of the agency whose hold it is (`hold_agency`, default the
    clearance's; `placed_by` None: the role rule alone). Another agency's hold is not customs' to lift."""
    agency = hold_agency or clearance.agency
    role_rule_alone = placed_by is None and hold_agency is None  # may it release any hold here (its own)?
    ours = _of_agency(who, agency) or (role_rule_alone and _as_party(who, clearance))
    if not (_holds(who, HOLDERS) and ours):
        return forbidden(f"only {', '.join(HOLDERS)} of {agency} may release a hold on a clearance")
    if placed_by is not None and who.id != placed_by and not _holds(who, SUPERVISORS):
        return forbidden(f"only {placed_by}, who placed the hold, or a supervisor may release it")
    return None


def may_schedule_inspection(
    who: Who, clearance: ClearanceScope, inspection_roles: Sequence[str] | None
) -> Refusal | None:
    """Customs officers, supervisors and the roles of the SOP's inspection (`None`: no inspection step known)."""
    roles = (*SCHEDULERS, *inspection_roles) if inspection_roles is not None else ("customs_officer",)
    if inspection_roles is not None and _as_party(who, clearance) and _holds(who, inspection_roles):
        return None  # an agency taking part in the inspection agrees the appointment too
    return _officer(who, clearance, roles, "schedule the inspection of")


# --- human tasks ---------------------------------------------------------------------------------------------


def task_roles_of(who: Who) -> list[str]:
    """The roles whose tasks `who` may act on at its agency: its own; a supervisor every task role (it may reassign,
    release and comment on any task of its agency)."""
    if _holds(who, SUPERVISORS):
        return list(TASK_ROLES)
    return [r for r in who.roles if r in TASK_ROLES]


def may_list_tasks(who: Who, role: str | None = None) -> Refusal | None:
    if refused := needs_role(who, TASK_ROLES):
        return refused
    if role is not None and role not in task_roles_of(who):
        return forbidden(f"you do not hold role {role}")
    return None


def may_see_task(who: Who, task: TaskLike) -> Refusal | None:
    """Holders of its role at its agency; supervisors and auditors of the agency oversee all of its tasks. A customs
    inspector never sees an export-control task (404: it does not learn the task exists)."""
    if _of_agency(who, task.agency) and _holds(who, {task.role, *TASK_OVERSEERS}):
        return None
    return Refusal(Rejection.not_found, f"task {task.id} not found")


def task_in_agency(who: Who, task: TaskLike) -> Refusal | None:
    """Acting on a task of another agency: it does not exist for the caller."""
    return None if _of_agency(who, task.agency) else Refusal(Rejection.not_found, f"task {task.id} not found")


def holds_task_role(who: Who, task: TaskLike) -> Refusal | None:
    if task.role in who.roles and _of_agency(who, task.agency):
        return None
    return forbidden(f"task {task.id} is for role {task.role} at {task.agency}; {who.id} does not hold it")


def _open(task: TaskLike) -> Refusal | None:
    return None if task.state == "open" else conflict(f"task {task.id} is already {task.state}")


def four_eyes(who: Who, task: TaskLike, rule: FourEyes | None) -> Refusal | None:
    """`who` may not complete (or take) a four-eyes task after completing another task of the same clearance."""
    if rule is None or str(task.kind) not in rule.kinds:
        return None
    other = sorted(t for t, by in rule.completers.items() if by == who.id and t != task.id)
    if not other:
        return None
    return forbidden(
        f"four-eyes: {who.id} completed {', '.join(other)} of this clearance and may not complete this {task.kind} task"
    )


def may_claim(who: Who, task: TaskLike, rule: FourEyes | None = None) -> Refusal | None:
    refused = holds_task_role(who, task) or _open(task)
    if refused:
        return refused
    if task.assignee not in (None, who.id):
        return conflict(f"task {task.id} is claimed by {task.assignee}")
    return four_eyes(who, task, rule)


def may_complete(who: Who, task: TaskLike) -> Refusal | None:
    """The assignee, or a holder of its role when unclaimed (claimed in the same step). Four-eyes is checked after
    the outcome and findings (`four_eyes`)."""
    refused = holds_task_role(who, task) or _open(task)
    if refused:
        return refused
    if task.assignee not in (None, who.id):
        return forbidden(f"task {task.id} is assigned to {task.assignee}, not {who.id}")
    return None


def may_unclaim(who: Who, task: TaskLike) -> Refusal | None:
    if refused := _open(task):
        return refused
    if task.assignee is None:
        return conflict(f"task {task.id} is not claimed")
    supervisor = _holds(who, SUPERVISORS) and _of_agency(who, task.agency)
    if task.assignee != who.id and not supervisor:
        return forbidden(f"task {task.id} is held by {task.assignee}; only they or a supervisor may release it")
    return None


def may_reassign(who: Who, task: TaskLike) -> Refusal | None:
    """A supervisor of the task's agency; once escalated, also a holder of the role it was escalated to."""
    if refused := _open(task):
        return refused
    escalated_to = task.escalated_from is not None and task.role in who.roles
    if not _of_agency(who, task.agency) or not (_holds(who, SUPERVISORS) or escalated_to):
        return forbidden("only a supervisor of the task's agency (or, once escalated, its new role) may reassign it")
    return None


def may_delegate(who: Who, task: TaskLike) -> Refusal | None:
    if refused := _open(task):
        return refused
    if task.assignee != who.id:
        return forbidden(f"only the assignee of task {task.id} may delegate it")
    return None


def may_take_over(to: Who, task: TaskLike, *, delegation: bool, rule: FourEyes | None = None) -> Refusal | None:
    """Who a task may be handed to: a holder of its role at its agency (an escalated task also back to a holder of
    the role it came from, on reassignment); not its assignee already; not against four-eyes."""
    roles = {task.role, *([task.escalated_from] if task.escalated_from and not delegation else [])}
    if not roles & set(to.roles) or not _of_agency(to, task.agency):
        return Refusal(
            Rejection.invalid, f"{to.id} does not hold role {' or '.join(sorted(roles))} at {task.agency}", ("to",)
        )
    if to.id == task.assignee:
        return conflict(f"task {task.id} is already assigned to {to.id}")
    return four_eyes(to, task, rule)


def may_comment(who: Who, task: TaskLike) -> Refusal | None:
    if (task.role in who.roles or _holds(who, SUPERVISORS)) and _of_agency(who, task.agency):
        return None
    return forbidden(f"only holders of role {task.role} and supervisors may comment")


# --- reference data, reports, subscriptions -------------------------------------------------------------------


def may_register_licence(who: Who, agency_kind: str | None) -> Refusal | None:
    """An export-control officer of an export-control authority (`agency_kind`: the kind of the caller's agency);
    the licence then belongs to that authority."""
    if refused := needs_role(who, LICENCE_ISSUERS):
        return refused
    if agency_kind != "export_control":
        return forbidden(f"licences are issued by an export-control authority; {who.agency} is not one")
    return None


def may_manage_licence(who: Who, issuer_agency: str) -> Refusal | None:
    """Amend, suspend, reinstate, revoke: only the export-control officers of the authority that issued it."""
    if _holds(who, LICENCE_ISSUERS) and _of_agency(who, issuer_agency):
        return None
    return forbidden(f"only export-control officers of {issuer_agency}, which issued this licence, may change it")


def may_read_licence(who: Who, holder_eori: str, issuer_agency: str, used_by: Collection[str]) -> Refusal | None:
    """The issuing authority's officers; the holder (a declarant with its EORI); officers of an agency one of whose
    clearances used it (`used_by`: the agencies of the clearances that depleted it): a cross-agency read, which
    the caller audits (`is_cross_agency_licence_read`)."""
    if _holds(who, LICENCE_READERS) and (_of_agency(who, issuer_agency) or who.agency in used_by):
        return None
    if "declarant" in who.roles and who.eori is not None and who.eori == holder_eori:
        return None
    return forbidden("a licence is read by its issuing authority, its holder, and the agencies whose clearances use it")


def is_cross_agency_licence_read(who: Who, issuer_agency: str) -> bool:
    return not _of_agency(who, issuer_agency) and "declarant" not in who.roles


def may_read_licence_ledger(who: Who, issuer_agency: str) -> Refusal | None:
    """The consumption ledger: the issuing authority's officers and auditors."""
    if _holds(who, LICENCE_READERS) and _of_agency(who, issuer_agency):
        return None
    return forbidden(f"the consumption ledger is for {issuer_agency}, which issued this licence")


def may_use_licence_registry(who: Who, mrn: str, clearance_agency: str | None) -> Refusal | None:
    """The depletion protocol: a caller of the agency whose clearance `mrn` is (`clearance_agency` None: no
    such clearance, 404; nothing is depleted or restored for an MRN the caller does not own)."""
    if refused := needs_role(who, LICENCE_REGISTRY):
        return refused
    if clearance_agency is None:
        return Refusal(Rejection.not_found, f"clearance {mrn} not found")
    if not _of_agency(who, clearance_agency):
        return forbidden(f"clearance {mrn} is not a clearance of {who.agency}")
    return None


def may_manage_representations(who: Who) -> Refusal | None:
    return needs_role(who, REPRESENTATION_ADMINS)


def may_read_representations(who: Who) -> Refusal | None:
    return needs_role(who, (*REPRESENTATION_ADMINS, *READERS, *DECLARANTS))


def may_lodge_for(who: Who, exporter_eori: str, represents: bool) -> Refusal | None:
    """A declarant lodges for itself, or for an exporter the representation register says it represents
    (`represents`); the refusal names only the declarant's own standing."""
    if who.eori == exporter_eori or represents:
        return None
    return Refusal(
        Rejection.forbidden,
        f"declarant {who.eori} is not registered to represent the exporter named in this declaration",
        ("exporter", "eori"),
    )


def may_import_list(who: Who) -> Refusal | None:
    return needs_role(who, LIST_IMPORTERS)


def may_read_lists(who: Who) -> Refusal | None:
    return needs_role(who, LIST_READERS)


def may_screen(who: Who) -> Refusal | None:
    return needs_role(who, SCREENERS)


def may_record_false_positive(who: Who) -> Refusal | None:
    return needs_role(who, FALSE_POSITIVE_RECORDERS)


def may_read_false_positives(who: Who) -> Refusal | None:
    return needs_role(who, FALSE_POSITIVE_READERS)


def may_publish_sop(who: Who) -> Refusal | None:
    return needs_role(who, SOP_AUTHORS)


def may_read_reports(who: Who) -> Refusal | None:
    return needs_role(who, REPORT_READERS)


def may_subscribe(who: Who) -> Refusal | None:
    return needs_role(who, WEBHOOK_SUBSCRIBERS)


def may_manage_tokens(who: Who, holder_id: str | None = None, holder_agency: str | None = None) -> Refusal | None:
    """An administrator, for principals of its own agency (`holder_agency` None: the role rule alone)."""
    if refused := needs_role(who, TOKEN_ADMINS):
        return refused
    if holder_agency is not None and not _of_agency(who, holder_agency):
        return forbidden(f"{holder_id} belongs to another agency")
    return None


def may_read_audit_log(who: Who) -> Refusal | None:
    return needs_role(who, AUDIT_LOG_READERS)


def may_submit_checkpoint(who: Who, log_agency: str, administration: str) -> Refusal | None:
    """A partner's log checkpoint goes to this engine's witness from a principal of the agency whose registry key
    signed it (any role: the engine of that agency); a witness does not cosign its own administration's log."""
    if log_agency == administration:
        return forbidden(f"this engine is {administration}'s own log: it does not witness itself")
    if not _of_agency(who, log_agency):
        return forbidden(f"only a principal of {log_agency} may submit the checkpoints of its log")
    return None


def may_use_codec(who: Who, agency: str) -> Refusal | None:
    """Officers, duty chiefs and auditors of the administration whose workflows the payloads belong to."""
    if refused := needs_role(who, CODEC_USERS):
        return refused
    if not _of_agency(who, agency):
        return forbidden(f"only officers of {agency} may decrypt this administration's workflow payloads")
    return None


def webhook_scope(who: Who) -> str | None:
    """Declarants subscribe to their own declarations (their EORI); officers to their agency's clearances (None)."""
    return None if is_reader(who) else who.eori


# --- cross-border exchange between administrations -------------------------------------------------------------

EXCHANGE_READERS = ("customs_officer", "supervisor", "auditor", "partner_customs_officer")
PARTNER_OFFICERS = ("partner_customs_officer", "customs_officer")  # answer what their administration received
ASSISTANCE_REQUESTERS = ("customs_officer", "supervisor")
EXIT_CONFIRMERS = ("customs_officer", "supervisor")


class MessageLike(Protocol):
    """The parts of an exchange message (`store.models.ExchangeMessage`) the rules look at."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def direction(self) -> str: ...
    @property
    def to_agency(self) -> str: ...
    @property
    def status(self) -> str: ...


def partner_only(who: Who) -> bool:
    """An officer of a partner administration: the console shows it the exchange pages, nothing of clearances."""
    return "partner_customs_officer" in who.roles and not _holds(who, READERS)


def may_read_exchange(who: Who) -> Refusal | None:
    """Officers of the sending or the receiving agency (the listing shows only their agency's messages)."""
    return needs_role(who, EXCHANGE_READERS)


def _received_by(who: Who, message: MessageLike, kind: str, what: str) -> Refusal | None:
    """Acting on a message received by the caller's agency: any other message does not exist for it."""
    if message.direction != "in" or not _of_agency(who, message.to_agency) or message.status == "rejected":
        return Refusal(Rejection.not_found, f"message {message.id} not found")
    if refused := needs_role(who, PARTNER_OFFICERS):
        return refused
    if message.kind != kind:
        return conflict(f"message {message.id} is a {message.kind}; only a {kind} can be given {what}")
    return None


def may_return_control_result(who: Who, message: MessageLike) -> Refusal | None:
    return _received_by(who, message, "export_notification", "a control result")


def may_answer_assistance(who: Who, message: MessageLike) -> Refusal | None:
    return _received_by(who, message, "mutual_assistance_request", "an answer")


def may_request_assistance(who: Who, clearance: ClearanceScope) -> Refusal | None:
    return _officer(who, clearance, ASSISTANCE_REQUESTERS, "ask a partner administration for assistance about")


def may_confirm_exit(who: Who, clearance: ClearanceScope) -> Refusal | None:
    return _officer(who, clearance, EXIT_CONFIRMERS, "confirm the exit of")
