"""[local] sign-in settings: the demo by default; a deployment names what is missing."""

from __future__ import annotations

from bot.config import parse_settings
from tests.project.test_config import example, problems_for


def test_the_example_is_the_demo() -> None:
    incell = parse_settings(example()).incell
    assert incell.signin == "none" and not incell.kiosk and not incell.secure_cookies


def test_sign_in_needs_its_address_and_the_provider() -> None:
    data = example()
    data["local"].update(signin="oidc", kiosk="yes")
    found = problems_for(data)
    assert set(found) >= {
        "local.public_url",
        "local.kiosk",
        "local.oidc.issuer",
        "local.oidc.client_id",
        "local.oidc.establishment",
    }
    data["local"]["signin"] = "password"
    assert "local.signin" in problems_for(data)


def test_a_pin_deployment_behind_https() -> None:
    data = example()
    data["local"].update(
        signin="pin", public_url="https://council.example/", kiosk=True, idle_minutes=10
    )
    incell = parse_settings(data).incell
    assert incell.secure_cookies and incell.kiosk
    assert incell.public_url == "https://council.example"
    assert incell.idle.total_seconds() == 600
