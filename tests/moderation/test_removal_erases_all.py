"""A proposal removed by its moderation vote takes every text about it along: its own, its
amendments', its outcome statement and its actions' titles — out of every table, stored event
(so replay with `since`), notification, delivery job, search index and HTTP answer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from communes.services import referent_grant
from moderation.models import Case
from moderation.services import item_report
from notifications.models import DeliveryJob, Notification
from notifications.services import deliveries_run
from outcomes.inputs import ActionIn
from outcomes.models import Action, Outcome
from outcomes.services import action_create, outcome_state
from proposals.models import Amendment, Proposal
from proposals.scheduler import proposals_advance
from proposals.services import amendment_propose, proposal_close_now, vote_cast
from realtime.models import TopicEvent
from search.selectors import search
from tests.proposals.conftest import commune, proposal_make  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TITLE = "Interdire la fête des voisins"
BODY = "Un texte méprisant pour les habitants"
AMENDMENT = "Et aussi chasser les jeunes du quartier"
STATEMENT = "Décidé : plus aucune fête, les jeunes dehors"
ACTION = "Afficher l'interdiction devant la mairie"
TEXTS = (TITLE, BODY, AMENDMENT, STATEMENT, ACTION)


def every_store() -> str:
    """Every place a text about the proposal could stay: rows, events, notices, the index."""
    rows = [str(e.data) for e in TopicEvent.objects.all()]
    rows += [str(n.data) for n in Notification.objects.all()] + [str(j.data) for j in DeliveryJob.objects.all()]
    rows += [f"{p.title} {p.body} {p.arguments_for} {p.arguments_against} {p.options}" for p in Proposal.objects.all()]
    rows += list(Amendment.objects.values_list("body", flat=True))
    rows += list(Outcome.objects.values_list("statement", flat=True))
    rows += list(Action.objects.values_list("title", flat=True))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT title, body FROM search_fts")
            rows += [f"{title} {body}" for title, body in cursor.fetchall()]
    return " ".join(rows)


def http_text(user, proposal_id: int) -> str:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}
    paths = [
        f"/api/proposals/{proposal_id}",
        f"/api/proposals/{proposal_id}/amendments",
        f"/api/outcomes/{proposal_id}",
        "/api/actions?commune=97411",
        "/api/proposals?commune=97411",
        "/api/communes/97411/news",
        "/api/notifications",
    ]
    return " ".join(Client().get(path, **headers).content.decode() for path in paths)


def test_removal_erases_amendments_outcome_and_actions_from_every_store(make_user, commune):  # noqa: F811
    author, amender, helper, marie = make_user("author"), make_user("amender"), make_user("helper"), make_user("marie")
    referent_grant(insee="97411", user=marie)
    created = proposal_make(
        author=author,
        commune="97411",
        title=TITLE,
        body=BODY,
        amendable_until=timezone.now() + timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=1),
    )
    proposal_id = created["id"]
    amendment_propose(author=amender, proposal_id=proposal_id, body=AMENDMENT)
    Proposal.objects.filter(id=proposal_id).update(amendable_until=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    vote_cast(user=helper, proposal_id=proposal_id, choice="up")
    proposal_close_now(user=author, proposal_id=proposal_id)
    outcome_state(user=author, proposal_id=proposal_id, statement=STATEMENT)
    action_create(user=author, proposal_id=proposal_id, action=ActionIn(title=ACTION, assignees=["helper"]))
    deliveries_run()
    before = every_store() + http_text(helper, proposal_id)
    assert all(text in before for text in TEXTS), [text for text in TEXTS if text not in before]

    reporters = [make_user(f"r{i}") for i in range(3)]
    for reporter in reporters:
        item_report(user=reporter, kind="proposal", item_id=proposal_id, reason="méprisant")
    case = Case.objects.get(kind="proposal", item=proposal_id)
    hidden = every_store()
    # Hidden: no stored event nor notice carries any of them; the rows keep them for the vote.
    events = " ".join(str(e.data) for e in TopicEvent.objects.all())
    assert not [text for text in TEXTS if text in events]
    assert AMENDMENT in hidden and STATEMENT in hidden  # the rows, until the vote decides

    vote_cast(user=marie, proposal_id=case.proposal_id, choice="up")  # the only elector: it closes
    case.refresh_from_db()
    assert case.status == Case.REMOVED
    deliveries_run()
    after = every_store()
    assert not [text for text in TEXTS if text in after]
    for reader in (helper, author, amender, marie, reporters[0]):
        answered = http_text(reader, proposal_id)
        assert not [text for text in TEXTS if text in answered], reader.username
    for word in ("voisins", "interdiction", "jeunes"):
        hits, _ = search(user=marie, q=word)
        assert [h for h in hits if h.kind == "proposals" and h.id == proposal_id] == []
