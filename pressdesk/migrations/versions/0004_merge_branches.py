"""merge the parallel 0003 revisions (delivery, desk, feeds, media, portal)

Revision ID: 0004_merge
Revises: 0003_delivery, 0003_desk, 0003_feeds, 0003_media, 0003_portal
"""

revision = "0004_merge"
down_revision = ("0003_delivery", "0003_desk", "0003_feeds", "0003_media", "0003_portal")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
