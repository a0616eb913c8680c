"""The one search: accent-insensitive on both databases, only what the reader may read, paged."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from discussions.models import Membership
from discussions.services import message_edit, message_post, room_member_add
from events.services import event_invite
from realtime.errors import AppError
from search.selectors import search

pytestmark = pytest.mark.django_db


def found(user, q, **kwargs) -> set[tuple[str, str]]:
    hits, _ = search(user=user, q=q, limit=50, **kwargs)
    return {(h.kind, h.title) for h in hits}


def test_words_typed_without_accents_find_accented_text(make_user, make_room, make_event, make_proposal):
    alice = make_user()
    room = make_room(alice, name="Réunion publique du quartier")
    make_event(alice, title="Fête de l'été au Barachois")
    make_proposal(alice, room=room, title="Créer un marché bio", body="Le samedi matin, place de l'Église.")
    message_post(author=alice, room_id=room.id, body="Rendez-vous à l'école élémentaire")
    reader = make_user()
    assert ("rooms", "Réunion publique du quartier") in found(reader, "reunion")
    assert ("events", "Fête de l'été au Barachois") in found(reader, "fete ete")
    assert ("proposals", "Créer un marché bio") in found(reader, "MARCHE eglise")
    assert ("messages", "Réunion publique du quartier") in found(reader, "ecole elementaire")
    assert found(reader, "reunion cyclable") == set()  # every word must match


def test_private_content_is_never_returned_to_outsiders(make_user, make_room, make_event, make_proposal):
    owner, member, invited, outsider = make_user(), make_user(), make_user(), make_user()
    secret_room = make_room(owner, name="Réunion secrète", visibility="private")
    room_member_add(by=owner, room_id=secret_room.id, user=member)
    message_post(author=owner, room_id=secret_room.id, body="Réunion confidentielle demain")
    make_proposal(owner, room=secret_room, title="Réunion budget privé", anonymous=True)
    party = make_event(owner, title="Réunion sur invitation", invite_only=True)
    event_invite(by=owner, event_id=party.id, usernames=[invited.username])
    make_room(owner, name="Réunion ouverte")

    assert found(outsider, "reunion") == {("rooms", "Réunion ouverte")}
    assert found(AnonymousUser(), "reunion") == {("rooms", "Réunion ouverte")}
    assert found(member, "reunion") == {
        ("rooms", "Réunion ouverte"),
        ("rooms", "Réunion secrète"),
        ("messages", "Réunion secrète"),
        ("proposals", "Réunion budget privé"),
    }
    assert ("events", "Réunion sur invitation") in found(invited, "reunion")
    assert ("events", "Réunion sur invitation") not in found(member, "reunion")
    _, total = search(user=outsider, q="reunion")
    assert total == 1  # the count leaks nothing either

    # Access removed: the former member no longer finds the room or what is in it.
    Membership.objects.filter(room=secret_room, user=member).delete()
    assert found(member, "reunion") == {("rooms", "Réunion ouverte")}


def test_edited_and_deleted_messages_are_searched_as_they_are_now(make_user, make_room):
    alice = make_user()
    room = make_room(alice, name="Salon")
    posted = message_post(author=alice, room_id=room.id, body="Vide-grenier dimanche")
    message_edit(user=alice, room_id=room.id, message_id=posted["id"], body="Brocante samedi")
    assert found(alice, "grenier") == set()
    assert found(alice, "brocante") == {("messages", "Salon")}
    room.messages.filter(id=posted["id"]).update(deleted_at=timezone.now())
    assert found(alice, "brocante") == set()


def test_pages_do_not_overlap_and_count_everything(make_user, make_room):
    alice = make_user()
    for i in range(25):
        make_room(alice, name=f"Atelier vélo {i:02d}")
    make_room(alice, name="Jardin partagé")
    seen = []
    for offset in (0, 10, 20):
        hits, total = search(user=alice, q="velo", limit=10, offset=offset)
        assert total == 25
        seen += [h.id for h in hits]
    assert len(seen) == 25 and len(set(seen)) == 25


def test_kinds_and_commune_narrow_the_search(make_user, make_room, make_event, commune):
    alice = make_user()
    make_room(alice, name="Marché de Noël", commune=commune.insee)
    make_room(alice, name="Marché forain")
    make_event(alice, title="Marché nocturne")
    assert {k for k, _ in found(alice, "marche", kinds=["events"])} == {"events"}
    assert found(alice, "marche", commune=commune.insee) == {("rooms", "Marché de Noël")}


@pytest.mark.parametrize("q", ['"', "*", "marché OR (", "NEAR(a b)", "a:* & !b", "' OR 1=1 --", "^^^"])
def test_query_syntax_in_the_text_is_plain_text(make_user, make_room, q):
    alice = make_user()
    make_room(alice, name="Marché")
    search(user=alice, q=q)  # never a database error


@pytest.mark.parametrize(
    "kwargs",
    [{"kinds": ["secrets"]}, {"limit": 0}, {"limit": 51}, {"offset": -1}, {"q": "x" * 201}],
)
def test_bad_parameters_are_bad_request(make_user, kwargs):
    with pytest.raises(AppError) as error:
        search(user=make_user(), **{"q": "marche", **kwargs})
    assert error.value.code == "bad_request"


def test_http_search(client, make_user, make_room):
    alice = make_user()
    secret = make_room(alice, name="Réunion des voisins", visibility="private")
    make_room(alice, name="Réunion du comité")
    response = client.get("/api/search", {"q": "reunion", "kinds": "rooms,events", "limit": 5})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["title"] for i in body["items"]] == ["Réunion du comité"] and body["total"] == 1
    mine = client.get("/api/search", {"q": "reunion"}, HTTP_AUTHORIZATION=f"Bearer {alice.token}").json()
    assert {i["id"] for i in mine["items"] if i["kind"] == "rooms"} >= {secret.id}
    bad = client.get("/api/search", {"q": "reunion", "kinds": "users"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"


def test_search_works_while_queries_are_logged(make_user, make_room, django_assert_max_num_queries):
    """DJANGO_DEBUG=1 (and query-capturing tests) format each query with its parameters: a raw
    `%` in the SQL made that formatting fail and the search answer 500."""
    alice = make_user()
    make_room(alice, name="Jardins partagés du Chaudron")
    with django_assert_max_num_queries(50) as captured:
        assert ("rooms", "Jardins partagés du Chaudron") in found(make_user(), "jardin")
    assert any("search_fts" in q["sql"] or "to_tsquery" in q["sql"] for q in captured.captured_queries)
