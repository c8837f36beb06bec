from tests.conftest import AGENT, CUSTOMER


def test_smoke(api):
    r = api("POST", "/tickets", who=CUSTOMER, body={"subject": "hi", "description": "there"})
    print(r)
    assert r.status == 201
    t = r.json
    r2 = api("GET", f"/tickets/{t['id']}", who=CUSTOMER)
    print(r2)
    assert r2.status == 200
    r3 = api("GET", f"/tickets/{t['id']}/timeline", who=AGENT)
    print(r3)
    r4 = api("GET", "/tickets", who=CUSTOMER)
    print(r4)
    r5 = api("GET", "/openapi.json", who=None)
    print(r5.status, r5.text[:300])
