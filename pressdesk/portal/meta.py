"""What a release page tells machines about itself: the meta description, Open Graph and
Twitter card tags, and schema.org ``NewsArticle`` JSON-LD. Pure functions of the presentation."""

from __future__ import annotations

from typing import Any

from pressdesk.releases.presenter import PublicImage, PublicRelease
from pressdesk.text import iso_utc, one_line
from pressdesk.urls import external_url

DESCRIPTION_CHARS = 160


def description(p: PublicRelease) -> str:
    """One line of about 160 characters: the lead, else the subline, cut at a word."""
    text = one_line(p.lead or p.subline or p.headline)
    if len(text) <= DESCRIPTION_CHARS:
        return text
    cut = text[:DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:.–-")
    return f"{cut}…"


def lead_image(p: PublicRelease) -> PublicImage | None:
    return p.images[0] if p.images else None


def publisher(p: PublicRelease, logo_url: str = "") -> dict[str, Any]:
    """The office as schema.org organisation, with its logo (the presenter's, unless given)."""
    org: dict[str, Any] = {"@type": "GovernmentOrganization", "name": p.office.name,
                           "url": external_url("portal.office", office_slug=p.office.slug)}
    if logo_url:
        org["logo"] = {"@type": "ImageObject", "url": logo_url}
    elif p.office.logo_url:
        org["logo"] = {"@type": "ImageObject", "url": p.office.logo_url,
                       "width": p.office.logo_width, "height": p.office.logo_height}
    return org


def news_article(p: PublicRelease, logo_url: str = "") -> dict[str, Any]:
    """schema.org ``NewsArticle`` for the page's JSON-LD (Google's required and recommended
    properties: headline, image, datePublished, dateModified, author, publisher)."""
    org = publisher(p, logo_url)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": p.headline[:110],
        "description": description(p),
        "url": p.permalink,
        "mainEntityOfPage": {"@type": "WebPage", "@id": p.permalink},
        "datePublished": iso_utc(p.published),
        "dateModified": iso_utc(p.updated),
        "inLanguage": "de",
        "author": org,
        "publisher": org,
        "isAccessibleForFree": True,
    }
    if p.dateline:
        data["dateline"] = p.dateline
    if p.topics or p.regions:
        data["keywords"] = [t.name for t in p.topics] + [g.name for g in p.regions]
    if p.images:
        data["image"] = [{"@type": "ImageObject", "url": i.url, "width": min(i.width, 1200),
                          "height": round(min(i.width, 1200) * i.height / (i.width or 1)),
                          "caption": i.caption, "creditText": i.credit}
                         for i in p.images]
    return data


def social_tags(p: PublicRelease) -> list[tuple[str, str, str]]:
    """(attribute, name, content) for each ``<meta>``: Open Graph uses ``property``, the
    Twitter card ``name``."""
    img = lead_image(p)
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", "pressdesk"),
        ("property", "og:locale", "de_DE"),
        ("property", "og:title", p.headline),
        ("property", "og:description", description(p)),
        ("property", "og:url", p.permalink),
        ("property", "article:published_time", iso_utc(p.published)),
        ("property", "article:modified_time", iso_utc(p.updated)),
        ("property", "article:publisher", external_url("portal.office",
                                                       office_slug=p.office.slug)),
        ("name", "twitter:card", "summary_large_image" if img else "summary"),
        ("name", "twitter:title", p.headline),
        ("name", "twitter:description", description(p)),
    ]
    if img is not None:
        width = min(img.width, 1200)
        tags += [
            ("property", "og:image", img.url),
            ("property", "og:image:type", "image/jpeg"),
            ("property", "og:image:width", str(width)),
            ("property", "og:image:height", str(round(width * img.height / (img.width or 1)))),
            ("property", "og:image:alt", img.alt or img.caption),
            ("name", "twitter:image", img.url),
            ("name", "twitter:image:alt", img.alt or img.caption),
        ]
    return tags
