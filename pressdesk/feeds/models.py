"""Indexes the feed state query needs (feeds own no tables).

Declared here rather than in ``releases/models.py`` to keep the merge small: the newest visible
version is found by walking ``release_versions.created_at`` backwards, the newest withdrawal by
``releases.withdrawn_at`` (``embargo_until`` is indexed already).
"""

from sqlalchemy import Index

from pressdesk.releases.models import Release, ReleaseVersion

ix_release_versions_created_at = Index("ix_release_versions_created_at", ReleaseVersion.created_at)
ix_releases_withdrawn_at = Index("ix_releases_withdrawn_at", Release.withdrawn_at)
