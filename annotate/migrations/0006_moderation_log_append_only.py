from django.db import migrations

# The moderation log is evidence: once written, an event is never changed or removed, not
# even by the application's own database user (a trigger fires for the table's owner too).
# TRUNCATE stays possible: it is how a test database is emptied, not something the app does.
APPEND_ONLY = """
CREATE FUNCTION annotate_moderation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the moderation log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER annotate_moderationevent_no_change
    BEFORE UPDATE OR DELETE ON annotate_moderationevent
    FOR EACH ROW EXECUTE FUNCTION annotate_moderation_log_append_only();
"""

REMOVE = """
DROP TRIGGER IF EXISTS annotate_moderationevent_no_change ON annotate_moderationevent;
DROP FUNCTION IF EXISTS annotate_moderation_log_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("annotate", "0005_claims_moderation")]

    operations = [migrations.RunSQL(APPEND_ONLY, REMOVE)]
