"""Imports every domain's models, so the metadata (and Alembic) sees all tables."""

from pressdesk.accounts.models import LoginFailure, Membership, User
from pressdesk.delivery.models import Delivery
from pressdesk.media.models import DistributionList, Outlet
from pressdesk.offices.models import Office
from pressdesk.releases.models import Release, ReleaseImage, ReleaseVersion

__all__ = ["Delivery", "DistributionList", "LoginFailure", "Membership", "Office", "Outlet",
           "Release", "ReleaseImage", "ReleaseVersion", "User"]
