"""Demo of trust: a referent in Saint-Denis, a resident she verified and one waiting at her desk."""

from accounts.services import user_home_commune_set
from communes.selectors import resident_is_verified
from communes.services import referent_grant, resident_verify
from discussions.demo import demo_user

COMMUNE = "97411"  # Saint-Denis, the demo's commune


def demo_load() -> str:
    marie = demo_user("marie")
    if not referent_grant(insee=COMMUNE, user=marie):
        return ""
    jean, paul, lucie = demo_user("jean"), demo_user("paul"), demo_user("lucie")
    for user, insee in ((marie, COMMUNE), (jean, COMMUNE), (paul, COMMUNE), (lucie, "97416")):
        if user.home_commune_id is None:
            user_home_commune_set(user=user, insee=insee)
    if not resident_is_verified(user=jean, insee=COMMUNE):
        resident_verify(referent=marie, insee=COMMUNE, username="jean")
    return "marie is a referent of Saint-Denis; jean verified there, paul waiting at her desk"
