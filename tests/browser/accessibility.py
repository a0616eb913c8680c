"""axe-core (vendored, static/vendor/) run in the page: what it finds serious or critical."""

from __future__ import annotations

AXE_URL = "/static/vendor/axe-core-4.14.1/axe.min.js"

RUN = """async () => {
  const result = await window.axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}"""


def axe_violations(page) -> list[dict]:
    # Loaded by URL from our own origin: the CSP refuses inline scripts, tests included.
    if not page.evaluate("Boolean(window.axe)"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(RUN)
