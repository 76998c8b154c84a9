"""Domain signals (blinker), sent after the change has committed.

- ``release_public(sender, release_id, version_id)``: a release became visible to the public
  (published without embargo, or its embargo ended). Reader alerts hang on this.
- ``release_changed(sender, release_id, office_id)``: anything the public sees of a release
  changed (publish, embargo end, correction, withdrawal). Feed caches and WebSub pings hang on this.
- ``outlet_review(sender, outlet_id, reason, note)``: delivery learned that an outlet's address
  needs the office's look (a hard bounce, an automatic reply saying the person left). Sent at
  once, inside the caller's transaction; the media side puts the outlet on its review list.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace

from pressdesk.db import after_commit
from pressdesk.extensions import db

_signals = Namespace()
release_public = _signals.signal("release-public")
release_changed = _signals.signal("release-changed")
outlet_review = _signals.signal("outlet-review")


def send_after_commit(signal: NamedSignal, **kwargs: Any) -> None:
    def send() -> None:
        signal.send("pressdesk", **kwargs)

    after_commit(db.session(), send)
