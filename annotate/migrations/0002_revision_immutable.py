from django.db import migrations

# Revisions are citable states of a text: once written, never changed. Deleting a whole
# document (and its revisions with it) stays possible.
FORBID_UPDATE = """
CREATE FUNCTION annotate_revision_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'revisions are immutable: make a new revision instead'
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER annotate_revision_no_update BEFORE UPDATE ON annotate_revision
    FOR EACH ROW EXECUTE FUNCTION annotate_revision_immutable();
"""

ALLOW_UPDATE = """
DROP TRIGGER IF EXISTS annotate_revision_no_update ON annotate_revision;
DROP FUNCTION IF EXISTS annotate_revision_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("annotate", "0001_documents")]

    operations = [migrations.RunSQL(FORBID_UPDATE, ALLOW_UPDATE)]
