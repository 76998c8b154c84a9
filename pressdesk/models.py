"""Imports every domain's models, so the metadata (and Alembic) sees all tables."""

from pressdesk.accounts.models import Membership, User, UserSession
from pressdesk.audit.models import AuditEntry
from pressdesk.delivery.models import Delivery
from pressdesk.feeds import models as _feed_indexes  # noqa: F401  (indexes on release tables)
from pressdesk.heartbeat import WorkerHeartbeat
from pressdesk.invitations.models import Invitation, InvitationReply, InvitationVersion
from pressdesk.media.models import DistributionList, Outlet
from pressdesk.offices.models import Office
from pressdesk.releases.models import Region, Release, ReleaseImage, ReleaseVersion, Topic
from pressdesk.search import index as _search_index  # noqa: F401  (keeps the search index in step)
from pressdesk.search.models import SearchDocument
from pressdesk.subscriptions.models import AlertRun, ConsentRecord, Subscriber
from pressdesk.throttle import ThrottleHit

__all__ = ["AuditEntry", "Delivery", "DistributionList", "Membership", "Office", "UserSession", "Outlet",
           "Region", "Release", "ReleaseImage", "ReleaseVersion", "Topic", "User"]
__all__ += ["SearchDocument", "WorkerHeartbeat"]
__all__ += ["AlertRun", "ConsentRecord", "Subscriber", "ThrottleHit"]
__all__ += ["Invitation", "InvitationReply", "InvitationVersion"]
