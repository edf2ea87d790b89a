"""What members write is rendered as sanitised Markdown: none of these payloads
survives on the project page, the revision page or the gallery."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

PAYLOADS = [
    "<script>alert('xss')</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<div onmouseover=\"alert(1)\">survole</div>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](&#106;avascript:alert(1))",
    "<a href=\"javascript:alert(1)\">lien</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "![x](javascript:alert(1))",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">CLICK</math>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"evil.swf\"></object>",
    "<embed src=\"evil.swf\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<form action=\"https://evil.example\"><input name=a></form>",
    "<img src=\"x\" style=\"x:expression(alert(1))\">",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    "<img \"\"\"><script>alert(1)</script>\">",
    "<a href=\"jav&#x09;ascript:alert(1)\">tab</a>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
]

DANGEROUS_TAGS = {"script", "svg", "math", "iframe", "object", "embed", "style", "form",
                  "meta", "base", "details", "input", "animate", "mglyph", "body", "link"}


class LiveHTML(HTMLParser):
    """What a browser would act on: tags, event-handler attributes, URLs' schemes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name == "style":
                self.problems.append(f"{tag} style=")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                scheme = "".join(value.split()).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"{tag} {name}={value}")


def live_problems(html: str) -> list[str]:
    parser = LiveHTML()
    parser.feed(html)
    parser.close()
    return parser.problems


def main_of(html: str) -> str:
    """The page's <main>: the layout's own script tags are not the members' text."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_not_alive_on_the_pages(app, author, make_project, payload):
    project_id = make_project(author, title="Projet XSS", summary=payload[:300],
                              intro=payload, steps=((payload[:120], payload),),
                              tags="securite")
    client = app.test_client()
    for url in (f"/projects/{project_id}", f"/projects/{project_id}/revisions/2", "/projects",
                f"/projects/{project_id}/history"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = main_of(response.get_data(as_text=True))
        if url == "/projects":  # after the search form: the results
            body = body.split('id="results"', 1)[1]
        assert live_problems(body) == [], (url, payload)


def test_feed_escapes_what_members_write(app, author, make_project):
    make_project(author, title="<script>alert(1)</script>", summary="<b onclick=x>")
    body = app.test_client().get("/projects/feed.atom").get_data(as_text=True)
    assert "<script>" not in body and "<b onclick" not in body
    assert "&lt;script&gt;" in body


def test_markdown_still_renders(app, author, make_project):
    project_id = make_project(author, intro="**gras** et [lien](https://example.org)")
    html = app.test_client().get(f"/projects/{project_id}").get_data(as_text=True)
    assert "<strong>gras</strong>" in html
    assert 'href="https://example.org"' in html and "nofollow" in html
