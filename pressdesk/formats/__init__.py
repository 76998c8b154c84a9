"""Newsroom formats (ninjs, NewsML-G2, NITF) and the authenticity of published versions.

Everything here is built from the release presenter (:mod:`pressdesk.releases.presenter`):
the formats read a :class:`~pressdesk.releases.presenter.PublicRelease` and nothing else.
"""
