"""The built-in OAuth provider: PKCE sign-in, tokens, refresh rotation, JWKS, attacks."""

from server.auth.access import Role


def test_a_resident_signs_in_with_pkce_and_calls_the_api(client, session, h):
    alice = h.add_account(session, Role.RESIDENT, "alice")

    tokens = h.sign_in(client, "alice")
    me = client.get("/api/v1/me", headers=h.bearer(tokens["access_token"]))

    assert me.status_code == 200, me.text
    assert me.json()["patient_id"] == alice.user.patient_id
    assert tokens["patient"] == alice.user.patient_id
    assert {"access_token", "refresh_token", "id_token"} <= tokens.keys()
