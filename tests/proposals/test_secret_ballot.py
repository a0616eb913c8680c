"""Secret ballot: every endpoint, socket frame, export and admin page involved is scanned for a
voter/choice pair, and none carries one. A voter still sees their own choice (and only they do)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from proposals.models import AmendmentVote, BallotKey, Proposal, SecretBallot, SecretVoter, Vote
from proposals.scheduler import proposals_advance
from proposals.services import amendment_propose, amendment_vote_cast
from realtime.models import WriteReceipt

pytestmark = pytest.mark.django_db(transaction=True)

CHOICES = ["Kréol rouge", "Zanbrokal vert", "Samoussa bleu"]  # keys c1, c2, c3


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {user.token}"} if user else {}


def leaks(text: str, username: str, choice_key: str) -> bool:
    """Whether `text` names both this voter and their choice (its key or its label)."""
    label = CHOICES[int(choice_key[1:]) - 1]
    names_voter = re.search(rf"\b{re.escape(username)}\b", text) is not None
    names_choice = re.search(rf"\b{choice_key}\b", text) is not None or label in text
    return names_voter and names_choice


def http_pages(proposal_id: int, viewer) -> dict[str, str]:
    client = Client()
    paths = [
        "/api/proposals",
        f"/api/proposals/{proposal_id}",
        f"/api/proposals/{proposal_id}/amendments",
        f"/api/proposals/{proposal_id}/votes",
        f"/api/proposals/{proposal_id}/export",
    ]
    return {path: client.get(path, **bearer(viewer)).content.decode() for path in paths}


def admin_pages(admin_user, proposal: Proposal) -> dict[str, str]:
    client = Client()
    client.force_login(admin_user)
    paths = [
        "/admin/proposals/proposal/",
        f"/admin/proposals/proposal/{proposal.id}/change/",
        "/admin/proposals/vote/",
        "/admin/proposals/vote/?q=voter",
        "/admin/proposals/amendment/",
        "/admin/proposals/amendmentvote/",
        "/admin/proposals/secretvoter/",
        "/admin/realtime/writereceipt/",
        "/admin/realtime/topicevent/",
    ]
    paths += [f"/admin/proposals/vote/{vote.id}/change/" for vote in Vote.objects.filter(proposal=proposal)]
    paths += [f"/admin/proposals/amendmentvote/{vote.id}/change/" for vote in AmendmentVote.objects.all()]
    paths += [f"/admin/proposals/secretvoter/{voter.id}/change/" for voter in SecretVoter.objects.all()]
    paths += [f"/admin/realtime/writereceipt/{receipt.id}/change/" for receipt in WriteReceipt.objects.all()]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        pages[path] = response.content.decode()
    return pages


def set_up(make_user, make_proposal):
    author = make_user("organisatrice")
    proposal = make_proposal(
        author=author,
        choices=CHOICES,
        anonymous=True,
        can_change=True,
        amendable_until=timezone.now() + timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=1),
    )
    voters = {make_user(f"votant{i}"): f"c{i % 3 + 1}" for i in range(1, 7)}
    # Amendment votes are secret too on a secret proposal.
    amendment = amendment_propose(author=author, proposal_id=proposal.id, body="Ajouter le jaune")["id"]
    for index, voter in enumerate(voters):
        amendment_vote_cast(
            user=voter,
            proposal_id=proposal.id,
            amendment_id=amendment,
            choice=["up", "down", "white"][index % 3],
            ref=f"am{index}",
        )
    Proposal.objects.filter(id=proposal.id).update(amendable_until=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    return author, proposal, voters


async def test_no_page_frame_export_or_admin_list_pairs_a_voter_with_a_choice(connect, make_user, make_proposal):
    author, proposal, voters = await database_sync_to_async(set_up)(make_user, make_proposal)
    admin_user = await database_sync_to_async(make_user)("admin", is_staff=True, is_superuser=True)

    watcher = await connect(author)
    await watcher.send({"type": "subscribe", "topic": proposal.topic, "ref": "s"})
    own_replies = await vote_then_change(connect, proposal, voters)
    await database_sync_to_async(each_voter_sees_their_own_choice_while_open)(proposal, voters)
    expected = {"c1": 2, "c2": 2, "c3": 2}
    watcher_frames: list[dict] = []
    final = await recorded(watcher, watcher_frames, lambda f: f["type"] == "state" and f["data"]["counts"] == expected)
    assert final["data"]["counts"] == expected

    await database_sync_to_async(Proposal.objects.filter(id=proposal.id).update)(
        closes_at=timezone.now() - timedelta(seconds=1)
    )
    await database_sync_to_async(proposals_advance)()
    closed = await recorded(watcher, watcher_frames, lambda f: f["type"] == "event" and f["kind"] == "proposal.closed")
    assert closed["data"]["result"] == "refused" and closed["data"]["reason"] == "tie"

    watcher_frames += await drain(watcher)
    assert len(watcher_frames) >= 3
    problems = await database_sync_to_async(leaks_everywhere)(
        proposal, author, voters, admin_user, watcher_frames, own_replies
    )
    assert problems == []
    await database_sync_to_async(no_link_survives_closing)(proposal, author, voters)


async def vote_then_change(connect, proposal, voters: dict) -> dict:
    """Each voter votes c1, then changes to their final choice (the old choice must move)."""
    own_replies: dict = {}
    for index, (voter, choice) in enumerate(voters.items()):
        socket = await connect(voter)
        await socket.send({"type": "subscribe", "topic": proposal.topic, "ref": "s"})
        first = {"type": "vote", "topic": proposal.topic, "choice": "c1", "ref": f"first{index}"}
        await socket.send(first)
        await socket.recv_until(lambda f, ref=f"first{index}": f.get("ref") == ref and f["type"] == "ok")
        await socket.send({**first, "choice": choice, "ref": f"final{index}"})
        own_replies[voter] = await socket.recv_until(
            lambda f, ref=f"final{index}": f.get("ref") == ref and f["type"] in ("ok", "error")
        )
        assert own_replies[voter]["type"] == "ok"
    return own_replies


def leaks_everywhere(proposal, author, voters: dict, admin_user, watcher_frames, own_replies) -> list[str]:
    """Every page, frame, reply and receipt that pairs a voter with a choice (or shows a ballot id)."""
    seen: dict[str, str] = {}
    seen.update({f"watcher frame {i}": json.dumps(f, ensure_ascii=False) for i, f in enumerate(watcher_frames)})
    for viewer in [None, author, *list(voters)[:1]]:
        seen.update({f"{path} as {viewer}": text for path, text in http_pages(proposal.id, viewer).items()})
    seen.update(admin_pages(admin_user, proposal))
    seen.update({f"reply to {v}": json.dumps(r, ensure_ascii=False) for v, r in own_replies.items()})
    seen["receipts"] = json.dumps(list(WriteReceipt.objects.values_list("result", flat=True)), ensure_ascii=False)
    problems = []
    for where, text in seen.items():
        for voter, choice in voters.items():
            own_page = where.endswith(f"as {voter.username}") and where.startswith(f"/api/proposals/{proposal.id}")
            if leaks(text, voter.username, choice) and not own_page:
                problems.append(f"{where} pairs {voter.username} with {choice}")
        for ballot in SecretBallot.objects.filter(proposal=proposal):
            if str(ballot.id) in text:
                problems.append(f"{where} shows a ballot id")
    return problems


def each_voter_sees_their_own_choice_while_open(proposal, voters: dict) -> None:
    for voter, choice in voters.items():
        detail = Client().get(f"/api/proposals/{proposal.id}", **bearer(voter)).json()
        assert detail["my_vote"] == choice


def no_link_survives_closing(proposal, author, voters: dict) -> None:
    # After closing nobody, the voter included, can pair a stored ballot with a voter.
    assert not Vote.objects.filter(proposal=proposal).exists() and not AmendmentVote.objects.exists()
    assert SecretVoter.objects.filter(proposal=proposal, amendment=None).count() == len(voters)
    assert set(SecretBallot.objects.filter(proposal=proposal).values_list("holder", flat=True)) == {""}
    assert not BallotKey.objects.filter(proposal=proposal).exists()
    for voter in voters:
        detail = Client().get(f"/api/proposals/{proposal.id}", **bearer(voter)).json()
        assert detail["my_vote"] is None
        assert detail["amendments"][0]["my_vote"] is None
    votes = Client().get(f"/api/proposals/{proposal.id}/votes", **bearer(author))
    assert votes.status_code == 403


async def recorded(socket, log: list, predicate) -> dict:
    """Like recv_until, but keeps every frame for the scan."""
    while True:
        frame = await socket.recv(5.0)
        log.append(frame)
        if predicate(frame):
            return frame


async def drain(socket):
    frames = []
    while not await socket.nothing(0.2):
        frames.append(await socket.recv())
    return frames


def test_hidden_results_stay_hidden_from_every_reader_until_close(make_user, make_proposal):
    from proposals.services import vote_cast

    proposal = make_proposal(hide_results=True, choices=CHOICES)
    for index in range(3):
        vote_cast(user=make_user(f"cache{index}"), proposal_id=proposal.id, choice="c2")
    admin_user = make_user("admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    admin_page = client.get(f"/admin/proposals/proposal/{proposal.id}/change/").content.decode()
    assert "hidden until the vote closes" in admin_page and "c2: 3" not in admin_page
    detail = Client().get(f"/api/proposals/{proposal.id}").json()
    assert detail["tally"]["counts"] is None and detail["tally"]["total"] == 3
    assert Client().get(f"/api/proposals/{proposal.id}/votes").status_code == 403
    export = Client().get(f"/api/proposals/{proposal.id}/export").content.decode()
    assert "cache0" not in export and "c2,Zanbrokal vert,\r\n" in export
    Proposal.objects.filter(id=proposal.id).update(closes_at=timezone.now() - timedelta(seconds=1))
    proposals_advance()
    assert Client().get(f"/api/proposals/{proposal.id}").json()["tally"]["counts"]["c2"] == 3
    assert "c2: 3" in client.get(f"/admin/proposals/proposal/{proposal.id}/change/").content.decode()
