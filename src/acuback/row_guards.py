"""Database triggers that refuse to delete signed clinical rows and audit events (issue
#25 §8), on SQLite and PostgreSQL, whatever the write path: the ORM, the admin, a shell,
raw SQL. The services and models refuse first, with a message; these make the rule hold
in the database too. There is no setting that turns them off: emptying a table takes
dropping its trigger, which is a schema change a database administrator makes on purpose
(and the test suite does around its flush, tests/conftest.py).

Each app's migration creates its own guards (`create("treatment")`). SQLite drops a
table's triggers when a migration rebuilds the table: such a migration drops the guards
first and creates them again after (as the session UPDATE triggers in
treatment/migrations/_triggers.py), and `tests/security/test_delete_guards.py` checks
that every guard is in place after all migrations.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Guard:
    table: str
    # When the row is protected, as an SQL condition on OLD that SQLite and PL/pgSQL both
    # read; None: always.
    when: str | None
    message: str
    # Also refuse every UPDATE (rows that are never edited, not even a status).
    no_update: bool = False


_SIGNED_SESSION = "signed session records are never deleted; add an addendum instead"
_PARENT_SIGNED = "(SELECT status FROM treatment_session WHERE id = OLD.session_id) = 'signed'"

GUARDS: dict[str, tuple[Guard, ...]] = {
    "treatment": (
        Guard("treatment_session", "OLD.status = 'signed'", _SIGNED_SESSION),
        Guard("treatment_needleset", _PARENT_SIGNED, _SIGNED_SESSION),
        Guard("treatment_insertion", _PARENT_SIGNED, _SIGNED_SESSION),
        Guard("treatment_addendum", None, "addenda are never changed or deleted",
              no_update=True),
    ),
    "screening": (
        Guard("screening_screening", "OLD.status = 'signed'",
              "signed screenings are never deleted"),
        Guard("screening_referralclearance", None, "referral clearances are never deleted"),
        Guard("screening_acknowledgement", None, "acknowledgements are never deleted"),
    ),
    # The medication, allergy and problem lists and results (issue #26 item 4): an entry
    # is stopped or marked entered in error, never deleted; a review is never changed.
    "screening_lists": (
        Guard("screening_medication", None, "list entries are never deleted; stop the "
              "entry or mark it entered in error"),
        Guard("screening_allergy", None, "list entries are never deleted; resolve the "
              "entry or mark it entered in error"),
        Guard("screening_problem", None, "list entries are never deleted; resolve the "
              "entry or mark it entered in error"),
        Guard("screening_labresult", None, "results are never deleted; mark the result "
              "entered in error"),
        Guard("screening_listreview", None, "list reviews are never changed or deleted",
              no_update=True),
    ),
    "patients": (
        Guard("patients_consent", None,
              "consent signatures are never deleted; record a withdrawal instead"),
    ),
    # Money written once (issue #29 §4): a mistake is voided and reissued, or refunded.
    "billing": (
        Guard("billing_invoice", None, "invoices are never changed or deleted; void and "
              "reissue", no_update=True),
        Guard("billing_invoiceline", None, "invoices are never changed or deleted; void and "
              "reissue", no_update=True),
        Guard("billing_invoicevoid", None, "voids are never changed or deleted",
              no_update=True),
        Guard("billing_payment", None, "payments are never changed or deleted; record a "
              "refund", no_update=True),
    ),
    # A signed ABN and its scan are the patient's signed notice: kept as signed.
    "billing.abn": (
        Guard("billing_abn", None, "signed ABNs are never changed or deleted",
              no_update=True),
        Guard("billing_abnscan", None, "ABN scans are never changed or deleted",
              no_update=True),
    ),
    # Claims as sent and remittances as received (issue #29 §2): a claim's lines, its
    # history, a batch's file and a posted 835 are written once; a claim is never deleted.
    "billing.claims": (
        Guard("billing_claim", None, "claims are never deleted; a correction replaces one"),
        # A draft's lines are rebuilt from the record; once sent, never.
        Guard("billing_claimline", "(SELECT status FROM billing_claim WHERE id = "
              "OLD.claim_id) NOT IN ('draft', 'ready')", "claim lines of a sent claim are "
              "never changed or deleted; a corrected claim replaces the claim",
              no_update=True),
        Guard("billing_claimevent", None, "claim history is never changed or deleted",
              no_update=True),
        Guard("billing_claimbatch", None, "the 837P of a batch is kept as sent", no_update=True),
        Guard("billing_remittance", None, "an imported 835 is kept as received",
              no_update=True),
        Guard("billing_claimpayment", None, "posted remittance is never changed or deleted",
              no_update=True),
        Guard("billing_claimadjustment", None, "posted remittance is never changed or "
              "deleted", no_update=True),
    ),
    "audit": (
        Guard("audit_auditevent", None, "audit events are never changed or deleted",
              no_update=True),
    ),
    # The rest of the clinical record (issue #25 re-test, point 3): nothing clinical is
    # hard-deleted. A patient is archived, an episode discharged, a plan replaced, a
    # response corrected by a new one that supersedes it; drafts stay the author's.
    "patients.records": (
        Guard("patients_patient", None,
              "patients are never deleted; archive the patient with a reason instead"),
        Guard("patients_episodeofcare", None,
              "episodes of care are never deleted; discharge the episode instead"),
        Guard("patients_correctionrequest", None,
              "correction requests are never deleted; decline the request with a reason"),
        # The text a patient signed: its hash is on the signature, so it stays.
        Guard("patients_consentform",
              "EXISTS (SELECT 1 FROM patients_consent WHERE form_id = OLD.id)",
              "a consent form text that has been signed is never deleted; "
              "make a new version current instead"),
    ),
    "treatment.records": (
        Guard("treatment_adverseevent", None,
              "adverse events are never deleted; record the outcome or a correction instead"),
        Guard("treatment_treatmentplan", None,
              "treatment plans are never deleted; a new plan replaces the current one"),
    ),
    "outcomes.records": (
        Guard("outcomes_questionnaireresponse", "OLD.status = 'submitted'",
              "submitted questionnaire responses are never deleted; "
              "correct them with a new response instead"),
        Guard("outcomes_outcomealert", None,
              "outcome alerts are never deleted; acknowledge the alert instead"),
    ),
}


def all_guards() -> list[Guard]:
    return [g for guards in GUARDS.values() for g in guards]


def trigger_names(guard: Guard, vendor: str) -> list[str]:
    names = [f"{guard.table}_refuse_delete"]
    if guard.no_update:
        names.append(f"{guard.table}_refuse_update")
    if vendor == "postgresql":
        names.append(f"{guard.table}_refuse_truncate")
    return names


def _sqlite_create(g: Guard) -> list[str]:
    when = f"WHEN {g.when}" if g.when else ""
    statements = [f"""CREATE TRIGGER {g.table}_refuse_delete BEFORE DELETE ON {g.table}
                      FOR EACH ROW {when} BEGIN SELECT RAISE(ABORT, '{g.message}'); END;"""]
    if g.no_update:
        statements.append(f"""CREATE TRIGGER {g.table}_refuse_update BEFORE UPDATE ON {g.table}
                      FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{g.message}'); END;""")
    return statements


def _sqlite_drop(g: Guard) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name};" for name in trigger_names(g, "sqlite")]


def _postgres_create(g: Guard) -> list[str]:
    refuse = (f"RAISE EXCEPTION '{g.message}' "
              "USING ERRCODE = 'integrity_constraint_violation';")
    body = f"IF {g.when} THEN {refuse} END IF;" if g.when else refuse
    statements = [
        f"""CREATE OR REPLACE FUNCTION {g.table}_refuse_delete() RETURNS trigger AS $$
            BEGIN {body} RETURN OLD; END $$ LANGUAGE plpgsql;""",
        f"""CREATE TRIGGER {g.table}_refuse_delete BEFORE DELETE ON {g.table}
            FOR EACH ROW EXECUTE FUNCTION {g.table}_refuse_delete();""",
        f"""CREATE OR REPLACE FUNCTION {g.table}_refuse_always() RETURNS trigger AS $$
            BEGIN {refuse} END $$ LANGUAGE plpgsql;""",
        # TRUNCATE fires no DELETE trigger: refused outright on these tables.
        f"""CREATE TRIGGER {g.table}_refuse_truncate BEFORE TRUNCATE ON {g.table}
            FOR EACH STATEMENT EXECUTE FUNCTION {g.table}_refuse_always();""",
    ]
    if g.no_update:
        statements.append(
            f"""CREATE TRIGGER {g.table}_refuse_update BEFORE UPDATE ON {g.table}
                FOR EACH ROW EXECUTE FUNCTION {g.table}_refuse_always();""")
    return statements


def _postgres_drop(g: Guard) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name} ON {g.table};"
            for name in trigger_names(g, "postgresql")] + [
        f"DROP FUNCTION IF EXISTS {g.table}_refuse_delete();",
        f"DROP FUNCTION IF EXISTS {g.table}_refuse_always();"]


_BUILDERS = {"sqlite": (_sqlite_create, _sqlite_drop),
             "postgresql": (_postgres_create, _postgres_drop)}


def _run(connection, guards, create: bool) -> None:
    builders = _BUILDERS.get(connection.vendor)
    if builders is None:
        raise RuntimeError(f"No delete guards written for the {connection.vendor} database.")
    build = builders[0 if create else 1]
    with connection.cursor() as cursor:
        for guard in guards:
            for statement in build(guard):
                cursor.execute(statement)


def create(app_label: str):
    """A migration's forward step: the app's guards."""
    def forward(apps, schema_editor):
        _run(schema_editor.connection, GUARDS[app_label], create=True)
    return forward


def drop(app_label: str):
    """A migration's backward step (or the first step of one that rebuilds a table)."""
    def backward(apps, schema_editor):
        _run(schema_editor.connection, GUARDS[app_label], create=False)
    return backward


@contextmanager
def lifted(connection, tables: tuple[str, ...] | None = None) -> Iterator[None]:
    """The guards dropped for the duration, then created again: what a database
    administrator does to erase lawfully, and the test suite to empty its tables. Inside
    a transaction, both steps roll back with it."""
    guards = [g for g in all_guards() if tables is None or g.table in tables]
    _run(connection, guards, create=False)
    try:
        yield
    finally:
        _run(connection, guards, create=True)
