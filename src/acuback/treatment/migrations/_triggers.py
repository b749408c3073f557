"""The immutability triggers' SQL, shared by the migrations that must drop and
re-create them (SQLite rebuilds a table on most schema changes)."""

MESSAGE = "signed session records are immutable; add an addendum instead"
CHILDREN = ("treatment_insertion", "treatment_needleset")

SQLITE_FORWARD = [
    f"""CREATE TRIGGER treatment_session_signed_update BEFORE UPDATE ON treatment_session
        FOR EACH ROW WHEN OLD.status = 'signed'
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
for table in CHILDREN:
    for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD")):
        SQLITE_FORWARD.append(
            f"""CREATE TRIGGER {table}_signed_{op.lower()} BEFORE {op} ON {table}
                FOR EACH ROW WHEN (SELECT status FROM treatment_session
                                   WHERE id = {row}.session_id) = 'signed'
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""")
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS treatment_session_signed_update;",
] + [f"DROP TRIGGER IF EXISTS {t}_signed_{op};" for t in CHILDREN
     for op in ("insert", "update")]

POSTGRES_FORWARD = [
    f"""CREATE FUNCTION treatment_refuse_signed_session() RETURNS trigger AS $$
        BEGIN
            IF OLD.status = 'signed' THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;""",
    f"""CREATE FUNCTION treatment_refuse_signed_child() RETURNS trigger AS $$
        DECLARE parent_status text;
        BEGIN
            SELECT status INTO parent_status FROM treatment_session
             WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.session_id ELSE OLD.session_id END;
            IF parent_status = 'signed' THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER treatment_session_signed BEFORE UPDATE ON treatment_session
        FOR EACH ROW EXECUTE FUNCTION treatment_refuse_signed_session();""",
] + [
    f"""CREATE TRIGGER {t}_signed BEFORE INSERT OR UPDATE ON {t}
        FOR EACH ROW EXECUTE FUNCTION treatment_refuse_signed_child();""" for t in CHILDREN
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS treatment_session_signed ON treatment_session;",
] + [f"DROP TRIGGER IF EXISTS {t}_signed ON {t};" for t in CHILDREN] + [
    "DROP FUNCTION IF EXISTS treatment_refuse_signed_session();",
    "DROP FUNCTION IF EXISTS treatment_refuse_signed_child();",
]


def create(apps, schema_editor):
    _run(schema_editor, SQLITE_FORWARD, POSTGRES_FORWARD)


def drop(apps, schema_editor):
    _run(schema_editor, SQLITE_BACKWARD, POSTGRES_BACKWARD)


def _run(schema_editor, sqlite, postgres):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": sqlite, "postgresql": postgres}.get(vendor)
    if statements is None:
        raise RuntimeError(f"No immutability triggers written for the {vendor} database.")
    for statement in statements:
        schema_editor.execute(statement)


