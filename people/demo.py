"""Demo profiles for marie, jean and lucie: names, bios, interests, avatars drawn with Pillow,
shown to everyone and suggested to neighbours who share interests."""

import io

from PIL import Image, ImageDraw

from accounts.images import image_checked
from accounts.models import Profile
from accounts.profiles import avatar_set, profile_update
from accounts.services import user_home_commune_set
from discussions.demo import demo_user

PEOPLE = {
    "marie": (
        "Marie Payet",
        "Conseillère de quartier au Barachois.",
        ["démocratie-locale", "vélo", "jardin"],
        (31, 111, 74),
        "97411",
    ),
    "jean": (
        "Jean Hoarau",
        "Bénévole au surf club, marché forain le samedi.",
        ["océan", "sport", "écologie"],
        (28, 84, 150),
        "97416",
    ),
    "lucie": (
        "Lucie Grondin",
        "Jardins partagés du Chaudron : compost et semences.",
        ["jardin", "compost", "écologie"],
        (160, 72, 40),
        "97411",
    ),
}


def _picture(colour: tuple[int, int, int], letter: str) -> bytes:
    image = Image.new("RGB", (320, 320), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 60, 260, 260), fill=(255, 255, 255))
    draw.text((150, 140), letter, fill=colour, font_size=60)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def demo_load() -> str:
    if Profile.objects.filter(user__username="marie").exists():
        return ""
    for username, (name, bio, interests, colour, home) in PEOPLE.items():
        user = demo_user(username)
        if user.home_commune_id is None:
            user_home_commune_set(user=user, insee=home)
        profile_update(
            user=user,
            changes={
                "display_name": name,
                "bio": bio,
                "interests": interests,
                "visibility": Profile.PUBLIC,
                "discoverable": True,
                "show_commune": True,
            },
        )
        avatar_set(user=user, image=image_checked(_picture(colour, name[0]), max_side=256))
    return f"{len(PEOPLE)} profiles with avatars"
