import json, pytest
from axe_playwright_python.sync_playwright import Axe
pytestmark = pytest.mark.e2e

def test_axe_catches(page, check_a11y):
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x.png><input type=text>')")
    check_a11y(page)

@pytest.mark.parametrize("path", ["/", "/register", "/login", "/reset", "/confirm", "/nope"])
def test_all_violations(new_page, path):
    for loc in ("fr-FR",):
        page = new_page(locale=loc)
        page.goto(path)
        r = Axe().run(page, options={"resultTypes": ["violations", "incomplete"]})
        for v in r.response["violations"]:
            print(path, "VIOL", v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in r.response["incomplete"]:
            print(path, "INCOMPLETE", v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
