"""Demo of trust: a referent in Saint-Denis, a resident she verified and one waiting at her desk
(the people demo gave marie and lucie Saint-Denis as their home)."""

from accounts.services import user_home_commune_set
from communes.selectors import resident_is_verified
from communes.services import referent_grant, resident_verify
from discussions.demo import demo_user

COMMUNE = "97411"  # Saint-Denis, the demo's commune


def demo_load() -> str:
    marie = demo_user("marie")
    if not referent_grant(insee=COMMUNE, user=marie):
        return ""
    for username in ("marie", "lucie", "paul"):
        user = demo_user(username)
        if user.home_commune_id is None:
            user_home_commune_set(user=user, insee=COMMUNE)
    lucie = demo_user("lucie")
    if lucie.home_commune_id == COMMUNE and not resident_is_verified(user=lucie, insee=COMMUNE):
        resident_verify(referent=marie, insee=COMMUNE, username="lucie")
    return "marie is a referent of Saint-Denis; lucie verified there, paul waiting at her desk"
