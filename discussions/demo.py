"""Demo rooms with a few messages, written through the services like any real write."""

from django.contrib.auth import get_user_model

from discussions.models import Room
from discussions.services import message_post, room_create

DEMO_PASSWORD = "demo-password"
ROOMS = [
    (
        "97411",
        "Place de la Mairie — Saint-Denis",
        [
            ("marie", "Bonjour à tous ! Qui vient au conseil de quartier jeudi ?"),
            ("jean", "Moi, et je propose qu'on parle des pistes cyclables du Barachois."),
            ("marie", "Bonne idée, je prépare une proposition pour qu'on vote."),
        ],
    ),
    (
        "97416",
        "Front de mer — Saint-Pierre",
        [
            ("lucie", "Le marché forain de samedi est maintenu malgré la pluie annoncée."),
            ("jean", "Merci Lucie ! Il faudrait des bénévoles pour le stand de l'association."),
        ],
    ),
    (
        "97415",
        "Saint-Paul ensemble",
        [
            ("lucie", "Bienvenue dans le salon des habitants de Saint-Paul."),
        ],
    ),
]


def demo_user(username: str):
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def demo_load() -> str:
    if Room.objects.exists():
        return ""
    for insee, name, messages in ROOMS:
        room = room_create(creator=demo_user("marie"), name=name, commune=insee)
        for author, body in messages:
            message_post(author=demo_user(author), room_id=room["id"], body=body)
    return f"{len(ROOMS)} rooms; users marie, jean, lucie (password {DEMO_PASSWORD!r})"
