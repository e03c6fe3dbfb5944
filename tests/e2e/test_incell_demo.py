"""The demo stays the demo: no sign-in, the switcher's people with role labels in both page
languages, and "Add a person" only there."""

from __future__ import annotations

from tests.e2e.test_local_bot import SAM, Local, local  # noqa: F401 (the demo fixture)


async def test_the_demo_page_has_no_sign_in_and_welsh_role_labels(local: Local) -> None:  # noqa: F811
    session = (await local.page.get("/api/session")).json()
    assert session == {"mode": "demo"}
    people = {p["id"]: p for p in (await local.page.get("/api/state")).json()["personas"]}
    assert people[SAM]["roles"] == {"en": "Member, A wing", "cy": "Aelod, Adain A"}
    # Sign-in calls do not exist in the demo.
    for path in ("/api/signin/pin", "/api/signin/join", "/api/signout"):
        response = await local.page.post(path, json={})
        assert response.status_code == 404, path
    added = await local.page.post("/api/personas", json={"name": "Casey"})
    assert added.status_code == 200
