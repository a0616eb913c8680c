from tests.events.conftest import communes, make_event  # noqa: F401
from tests.organisations.conftest import make_organisation  # noqa: F401
