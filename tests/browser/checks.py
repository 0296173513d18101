"""What every browser test checks on a page it shows: dates shown, tap targets large enough on a
phone, no serious accessibility fault (axe-core), nothing fetched from outside the live server.

The API the browser tests use (keep it stable; other test modules rely on it):
- `check_page(page, *, phone=None, dates=(), axe=True)`: all checks below at once; `phone`
  defaults to whether the viewport is the phone's.
- `assert_dates_shown(page, required=())`, `assert_tap_targets(page, minimum=40)`,
  `assert_accessible(page)`: one check each.
- `save_screen(page, name)`: a small PNG of what the screen shows (docs/screens/NAME.png with
  UPDATE_SCREENS=1, else under artifacts/).
- The fixtures in conftest.py: `phone_page`, `desktop_page` (signed-out pages whose context fails
  the test on any request leaving the live server), `sign_in(page, live_server, user)`.
"""

import os
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
ARTIFACT_SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
TAP_MINIMUM = 40
AXE_FAILING_IMPACTS = ("serious", "critical")

# An <input type=date> keeps its value attribute but shows blank (value "") when the browser
# rejects the text, as it does with 2026/11/30: compare the attribute with what the field holds.
_DATES_JS = """() => Array.from(document.querySelectorAll('input[type=date]')).map(el => ({
    id: el.id || el.name, attribute: el.getAttribute('value'), value: el.value,
}))"""

# Tap targets: links, buttons, form fields, summaries; a radio or checkbox is tapped through its
# label, so the label is measured instead when it has one. Hidden elements are not targets.
_TAPS_JS = """(minimum) => {
    const shown = el => {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return style.visibility !== 'hidden' && style.display !== 'none'
            && box.width > 0 && box.height > 0;
    };
    const describe = el => {
        const text = (el.innerText || el.textContent || el.value
            || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ');
        return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
            + (el.name ? '[name=' + el.name + ']' : '') + ' "' + text.slice(0, 30) + '"';
    };
    const targets = new Set();
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
    for (const el of document.querySelectorAll(selector)) {
        if (el.matches('input[type=radio], input[type=checkbox]')) {
            const label = el.closest('label') || (el.id && document.querySelector(
                'label[for="' + CSS.escape(el.id) + '"]'));
            targets.add(label || el);
        } else {
            targets.add(el);
        }
    }
    const small = [];
    for (const el of targets) {
        if (!shown(el)) continue;
        const box = el.getBoundingClientRect();
        if (box.width < minimum || box.height < minimum) {
            small.push(describe(el) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
        }
    }
    return small;
}"""


def assert_dates_shown(page, required=()):
    """No date input the server filled shows blank; each selector in `required` holds a date."""
    blank = [
        f"{field['id']}: value attribute {field['attribute']!r} shown as {field['value']!r}"
        for field in page.evaluate(_DATES_JS)
        if field["attribute"] and field["value"] != field["attribute"]
    ]
    assert not blank, "date inputs shown blank: " + "; ".join(blank)
    for selector in required:
        assert page.input_value(selector), f"{selector} holds no date after the page loaded"


def assert_tap_targets(page, minimum=TAP_MINIMUM):
    small = page.evaluate(_TAPS_JS, minimum)
    assert not small, f"tap targets under {minimum}x{minimum} px: " + "; ".join(small)


def _axe_source():
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def assert_accessible(page):
    """axe-core's serious and critical violations fail; the script is evaluated through the
    debugging protocol, which the portal's CSP (no inline script) does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source() + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    failing = [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + ", ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in result["violations"]
        if rule["impact"] in AXE_FAILING_IMPACTS
    ]
    assert not failing, "axe-core violations:\n" + "\n".join(failing)


def is_phone(page):
    return (page.viewport_size or {}).get("width", 0) <= PHONE["width"]


def check_page(page, *, phone=None, dates=(), axe=True):
    """The checks every browser test runs on each page it shows."""
    page.wait_for_load_state("load")
    outside = getattr(page.context, "outside_requests", [])
    assert not outside, f"requests left the live server: {outside}"
    assert_dates_shown(page, required=dates)
    if is_phone(page) if phone is None else phone:
        assert_tap_targets(page)
    if axe:
        assert_accessible(page)


def save_screen(page, name):
    """A small PNG of the visible screen: artifacts/screens/NAME.png on every run, and
    docs/screens/NAME.png (the README's pictures) when UPDATE_SCREENS=1, so that a test run
    leaves the work tree as it found it."""
    folder = SCREENS if os.environ.get("UPDATE_SCREENS") == "1" else ARTIFACT_SCREENS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    return folder / f"{name}.png"
