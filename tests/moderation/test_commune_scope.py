"""A commune-wide proposal (no room, no event) is judged in the commune's scope: its referents
vote, the same machinery as a room's (threshold, secret vote, outcome, audit log); a commune
without referents records reports and hides nothing."""

from __future__ import annotations

import pytest

from communes.models import Referent
from communes.services import referent_grant
from moderation.models import AuditEntry, Case, Report
from moderation.scope import Scope
from moderation.selectors import commune_for_judges, commune_roles_of, scope_audit, scope_queue
from moderation.services import item_report
from notifications.models import DeliveryJob, Notification
from proposals.models import Proposal
from proposals.selectors import proposal_get_readable, proposal_list
from proposals.services import vote_cast
from realtime.errors import AppError
from realtime.models import TopicEvent
from tests.proposals.conftest import commune, proposal_make  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TITLE = "Fermer la piscine aux étrangers"
BODY = "Un texte discriminatoire pour toute la commune"


@pytest.fixture
def wide(make_user, commune):  # noqa: F811
    author = make_user("author")
    marie, paul = make_user("marie"), make_user("paul")
    referent_grant(insee=commune.insee, user=marie)
    referent_grant(insee=commune.insee, user=paul)
    created = proposal_make(author=author, commune=commune.insee, title=TITLE, body=BODY)
    proposal = Proposal.objects.get(id=created["id"])
    assert proposal.room_id is None and proposal.event_id is None
    return {
        "commune": commune,
        "author": author,
        "marie": marie,
        "paul": paul,
        "proposal": proposal,
        "reporters": [make_user(f"r{i}") for i in range(4)],
    }


def report_three(wide) -> list[dict]:
    return [
        item_report(user=reporter, kind="proposal", item_id=wide["proposal"].id, reason="discriminatoire")
        for reporter in wide["reporters"][:3]
    ]


def test_three_reports_hide_a_commune_wide_proposal_pending_the_referents_vote(wide):
    proposal = wide["proposal"]
    answers = report_three(wide)
    assert [a["hidden"] for a in answers] == [False, False, True]
    case = Case.objects.get(kind="proposal", item=proposal.id)
    assert (case.commune_id, case.room_id, case.status) == ("97411", None, Case.OPEN)
    assert set(Report.objects.values_list("commune_id", flat=True)) == {"97411"}
    # Hidden for everyone but staff (and its judges read it in the queue).
    for outsider in (wide["author"], wide["reporters"][3], wide["marie"]):
        with pytest.raises(AppError) as gone:
            proposal_get_readable(proposal_id=proposal.id, user=outsider)
        assert gone.value.code == "not_found"
    assert proposal.id not in [p.id for p in proposal_list(user=wide["reporters"][3], commune="97411")]
    # The vote: secret, among the referents, attached to the commune, listed nowhere.
    vote = Proposal.objects.get(id=case.proposal_id)
    assert vote.anonymous and vote.eligibility == Proposal.ELECTORS and vote.commune_id == "97411"
    assert vote.room_id is None and "de la commune" in vote.body
    assert set(vote.electors.values_list("user__username", flat=True)) == {"marie", "paul"}
    assert vote.id not in [p.id for p in proposal_list(user=wide["marie"], commune="97411")]
    [item] = scope_queue(Scope(commune_id="97411"))
    assert item["commune"] == "97411" and item["room"] is None and TITLE in item["text"]
    opened = TopicEvent.objects.get(topic="communemod:97411", kind="case.opened")
    assert opened.data["item"] == proposal.id and opened.data["reports"] == 3
    assert TopicEvent.objects.filter(topic="communemod:97411", kind="audit.added").count() == 1
    assert [e["action"] for e in scope_audit(Scope(commune_id="97411"))] == ["hidden"]
    assert TITLE not in str([e.data for e in TopicEvent.objects.all()])


def test_the_referents_vote_removes_it_and_tells_the_author_in_the_communes_words(wide):
    proposal = wide["proposal"]
    report_three(wide)
    case = Case.objects.get(kind="proposal", item=proposal.id)
    vote_cast(user=wide["marie"], proposal_id=case.proposal_id, choice="up")
    vote_cast(user=wide["paul"], proposal_id=case.proposal_id, choice="up")  # all voted: it closes
    case.refresh_from_db()
    assert case.status == Case.REMOVED and "commune's moderation vote" in case.decision
    row = Proposal.objects.get(id=proposal.id)
    assert (row.title, row.body, row.phase) == ("", "", Proposal.ARCHIVED)
    job = DeliveryJob.objects.get(kind="moderation")
    assert job.recipients == [wide["author"].id]
    assert job.data["action"] == "proposal_removed_by_commune_vote" and job.data["title"] == "Saint-Denis"
    assert job.data["url"] == "/#/commune/97411" and TITLE not in str(job.data)
    from notifications.mail import notification_text

    note = Notification(kind="moderation", data=job.data)
    assert "vote de modération de la commune « Saint-Denis » a retiré votre proposition" in notification_text(
        note, "fr"
    )
    assert "moderation vote of the commune “Saint-Denis” removed your proposal" in notification_text(note, "en")
    assert [e["action"] for e in scope_audit(Scope(commune_id="97411"))] == ["removed", "hidden"]
    assert AuditEntry.objects.filter(room__isnull=False).count() == 0
    decided = TopicEvent.objects.get(topic="communemod:97411", kind="case.decided")
    assert decided.data["decision"] == "removed"


def test_only_referents_judge_and_losing_the_role_loses_the_queue_at_once(wide, make_user):
    report_three(wide)
    assert commune_for_judges(insee="97411", user=wide["marie"]).insee == "97411"
    assert commune_roles_of(insee="97411", user=wide["marie"])["judge"] is True
    for outsider in (wide["author"], wide["reporters"][0]):
        with pytest.raises(AppError) as refused:
            commune_for_judges(insee="97411", user=outsider)
        assert refused.value.code == "forbidden"
        assert commune_roles_of(insee="97411", user=outsider)["judge"] is False
    Referent.objects.filter(user=wide["marie"]).delete()
    with pytest.raises(AppError) as refused:
        commune_for_judges(insee="97411", user=wide["marie"])
    assert refused.value.code == "forbidden"
    with pytest.raises(AppError) as missing:
        commune_for_judges(insee="00000", user=wide["paul"])
    assert missing.value.code == "not_found"


def test_a_commune_without_referents_records_reports_and_hides_nothing(wide):
    proposal = wide["proposal"]
    Referent.objects.all().delete()
    answers = report_three(wide)
    assert [a["hidden"] for a in answers] == [False, False, False]
    assert answers[-1]["judges"] == 0 and "judges" not in answers[0]
    assert Report.objects.filter(item=proposal.id).count() == 3 and not Case.objects.exists()
    assert proposal_get_readable(proposal_id=proposal.id, user=wide["reporters"][3]).title == TITLE
    assert commune_roles_of(insee="97411", user=wide["reporters"][3])["judges"] == 0
    # Once a referent is named, the next report opens the vote (the three earlier ones count).
    referent_grant(insee="97411", user=wide["marie"])
    fourth = item_report(user=wide["reporters"][3], kind="proposal", item_id=proposal.id, reason="idem")
    assert fourth["hidden"] is True
    vote = Proposal.objects.get(id=Case.objects.get(item=proposal.id).proposal_id)
    assert list(vote.electors.values_list("user__username", flat=True)) == ["marie"]


def test_a_referent_who_wrote_the_proposal_does_not_judge_it(wide):
    proposal = proposal_make(author=wide["marie"], commune="97411", title="Autre", body="Texte")
    for reporter in wide["reporters"][:3]:
        item_report(user=reporter, kind="proposal", item_id=proposal["id"], reason="x")
    vote = Proposal.objects.get(id=Case.objects.get(item=proposal["id"]).proposal_id)
    assert list(vote.electors.values_list("user__username", flat=True)) == ["paul"]


def test_a_referent_may_close_the_communes_vote_early_and_nobody_else(wide):
    from proposals.services import proposal_close_now

    report_three(wide)
    case = Case.objects.get(kind="proposal", item=wide["proposal"].id)
    vote_cast(user=wide["marie"], proposal_id=case.proposal_id, choice="up")  # paul has not voted
    with pytest.raises(AppError) as refused:
        proposal_close_now(user=wide["reporters"][0], proposal_id=case.proposal_id)
    assert refused.value.code == "not_found"  # not an elector: the vote does not exist for them
    proposal_close_now(user=wide["paul"], proposal_id=case.proposal_id)
    case.refresh_from_db()
    assert case.status == Case.REMOVED  # 1 of 1 ballot for removal: 100 % >= 75 %


def test_the_referents_set_the_communes_rule_and_the_next_report_follows_it(wide, client):
    from moderation.inputs import PolicyIn
    from moderation.selectors import commune_settings
    from moderation.services import commune_policy_set

    defaults = commune_settings(insee="97411", user=wide["marie"])
    assert defaults == {"commune": "97411", "report_threshold": 3, "vote_threshold": 75, "vote_hours": 48}
    for outsider in (wide["author"], wide["reporters"][0]):
        with pytest.raises(AppError) as refused:
            commune_policy_set(user=outsider, insee="97411", policy=PolicyIn(report_threshold=1))
        assert refused.value.code == "forbidden"
    assert commune_settings(insee="97411", user=wide["paul"])["report_threshold"] == 3  # nothing changed

    answer = commune_policy_set(user=wide["marie"], insee="97411", policy=PolicyIn(report_threshold=2, vote_hours=24))
    assert answer == {"commune": "97411", "report_threshold": 2, "vote_threshold": 75, "vote_hours": 24}
    assert commune_settings(insee="97411", user=wide["paul"]) == answer
    configured = scope_audit(Scope(commune_id="97411"))[0]
    assert configured["action"] == "configured" and "report_threshold=2" in configured["reason"]

    hidden = [
        item_report(user=reporter, kind="proposal", item_id=wide["proposal"].id, reason="x")["hidden"]
        for reporter in wide["reporters"][:2]
    ]
    assert hidden == [False, True]  # the second report hides it now, not the third
    vote = Proposal.objects.get(id=Case.objects.get(item=wide["proposal"].id).proposal_id)
    assert 23.9 * 3600 < (vote.closes_at - vote.created_at).total_seconds() <= 24 * 3600  # not the default 48 h


def test_the_communes_rule_over_http_refuses_outsiders_and_bad_numbers(wide, client):
    marie, outsider = wide["marie"], wide["reporters"][0]
    url = "/api/moderation/communes/97411/settings"

    def call(user, method, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {user.token}"}
        if method == "get":
            return client.get(url, **headers)
        return client.patch(url, data=body, content_type="application/json", **headers)

    assert call(marie, "get").json()["vote_threshold"] == 75
    assert call(outsider, "get").status_code == 403
    refused = call(outsider, "patch", {"vote_threshold": 60})
    assert refused.status_code == 403 and "referents" in refused.json()["message"]
    for bad in ({"vote_threshold": 40}, {"report_threshold": 0}, {"vote_hours": 721}, {"report_threshold": "3"}):
        answer = call(marie, "patch", bad)
        assert answer.status_code == 400, (bad, answer.status_code)
    assert call(marie, "get").json() == {
        "commune": "97411",
        "report_threshold": 3,
        "vote_threshold": 75,
        "vote_hours": 48,
    }
    changed = call(marie, "patch", {"vote_threshold": 60})
    assert changed.status_code == 200 and changed.json()["vote_threshold"] == 60
    assert (
        client.get("/api/moderation/communes/99999/settings", HTTP_AUTHORIZATION=f"Bearer {marie.token}").status_code
        == 404
    )
