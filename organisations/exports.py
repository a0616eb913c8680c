"""Organisations for other programs: schema.org JSON-LD (https://schema.org/Organization)."""

from __future__ import annotations

from organisations.models import Organisation

# Communecter's kinds as schema.org types (all are subtypes of Organization).
SCHEMA_TYPES = {
    "association": "NGO",
    "ngo": "NGO",
    "business": "LocalBusiness",
    "group": "Organization",
    "public": "GovernmentOrganization",
}


def organisation_jsonld(organisation: Organisation, *, url: str, image_url: str | None) -> dict:
    commune = organisation.commune
    address: dict = {"@type": "PostalAddress", "addressCountry": "FR", "addressLocality": commune.name}
    if organisation.address:
        address["streetAddress"] = organisation.address
    if commune.postal_codes:
        address["postalCode"] = commune.postal_codes[0]
    if commune.department == "974":
        address["addressRegion"] = "La Réunion"
    data: dict = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES[organisation.kind],
        "@id": url,
        "url": url,
        "name": organisation.name,
        "description": organisation.description,
        "address": address,
        "keywords": ", ".join(organisation.tags),
        "foundingLocation": {"@type": "Place", "name": commune.name, "identifier": commune.insee},
    }
    if organisation.latitude is not None and organisation.longitude is not None:
        data["location"] = {
            "@type": "Place",
            "geo": {"@type": "GeoCoordinates", "latitude": organisation.latitude, "longitude": organisation.longitude},
        }
    if organisation.links:
        data["sameAs"] = list(organisation.links)
    if image_url:
        data["logo"] = image_url
    return data
