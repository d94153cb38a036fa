"""consents: replaced_at and replaced_by_id, so that the latest recorded consent governs

A new consent replaces the case's earlier ones that are still in force (neither withdrawn nor
replaced): they share nothing from then on, like a withdrawal, and stay on record. Existing data
is brought in line: each such consent that has a later-recorded one in its case, in force when it was
recorded, is marked replaced by the next such one, at that one's recording time, as the service would have
done (a paper consent registered after it ran out replaces nothing).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 05:05:02.202237

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

#: The consents recorded after ``consents`` in its case and in force when recorded (correlated); {day} is the
#: dialect's date of ``later.recorded_at``.
_LATER = ("FROM consents AS later WHERE later.case_id = consents.case_id AND later.recorded_at > consents.recorded_at "
          "AND later.valid_until >= {day}")
_FK = 'fk_consents_replaced_by_id_consents'


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade():
    op.add_column('consents', sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))
    if _sqlite():
        # A plain ALTER TABLE, not batch mode's copy of the table: with foreign keys on (as sspf runs SQLite), the
        # copy's DROP TABLE of the old consents cascades to consent_scopes and would delete every consent's scope.
        uuid_type = sa.Uuid().compile(dialect=op.get_bind().dialect)
        op.execute(f'ALTER TABLE consents ADD COLUMN replaced_by_id {uuid_type} '
                   f'CONSTRAINT {_FK} REFERENCES consents (id)')
    else:
        op.add_column('consents', sa.Column('replaced_by_id', sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f(_FK), 'consents', 'consents', ['replaced_by_id'], ['id'])

    # Before this revision every consent in force shared at once (the union): end that for the earlier ones.
    later = _LATER.format(day="date(later.recorded_at)" if _sqlite() else "CAST(later.recorded_at AS date)")
    op.execute(
        f"UPDATE consents SET "
        f"replaced_by_id = (SELECT later.id {later} ORDER BY later.recorded_at, later.id LIMIT 1), "
        f"replaced_at = (SELECT min(later.recorded_at) {later}) "
        f"WHERE withdrawn_at IS NULL AND EXISTS (SELECT 1 {later})"
    )


def downgrade():
    sqlite = _sqlite()
    if sqlite:
        # SQLite cannot drop a column with a foreign key, so batch mode copies the table, and dropping the old one
        # cascades to consent_scopes (see upgrade): keep the scopes aside and put them back.
        op.execute('CREATE TEMPORARY TABLE consent_scopes_0010 AS SELECT * FROM consent_scopes')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        if not sqlite:  # SQLite's copy leaves out a constraint on a dropped column by itself
            batch_op.drop_constraint(batch_op.f(_FK), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('replaced_at')
    if sqlite:
        op.execute('INSERT OR IGNORE INTO consent_scopes SELECT * FROM consent_scopes_0010')
        op.execute('DROP TABLE consent_scopes_0010')
