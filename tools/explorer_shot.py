"""Open a page with explorers in headless Chromium: console errors, redraw times, a screenshot.

For working on an explorer's front-end module without building the book::

    python -c "from backprop.explorers import save_html; ..."   # write page.html
    python tools/explorer_shot.py page.html shot.png [--width 1280]

Prints every console message, how many explorers went live, and the redraw times
the modules recorded; moves every control once (``data-control``) and says whether
the drawing changed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

JS_CONTROLS = "() => [...document.querySelectorAll('[data-control]')].map(c => c.dataset.control)"
JS_PIXELS = "() => [...document.querySelectorAll('.bp-explorer canvas')].map(c => c.toDataURL())"
JS_MOVE = """(i) => {
  const c = document.querySelectorAll('[data-control]')[i];
  if (c.tagName === 'SELECT') { c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
                                c.dispatchEvent(new Event('change')); }
  else if (c.type === 'range') { c.value = Number(c.value) < Number(c.max) ? Number(c.value) + 1 : c.min;
                                 c.dispatchEvent(new Event('input')); }
  else if (c.type === 'checkbox') { c.click(); }
  else { c.click(); }
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("screenshot", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": 900})
        page.on("console", lambda m: print(f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: print(f"page error: {e}"))
        page.goto(args.page.resolve().as_uri())
        page.wait_for_timeout(500)
        print("explorers live:", page.evaluate("document.documentElement.dataset.explorers"))
        page.screenshot(path=str(args.screenshot), full_page=True)
        for i, name in enumerate(page.evaluate(JS_CONTROLS)):
            before = page.evaluate(JS_PIXELS)
            page.evaluate(JS_MOVE, i)
            page.wait_for_timeout(50)
            print(f"control {name}: drawing {'changed' if page.evaluate(JS_PIXELS) != before else 'SAME'}")
        times = sorted(page.evaluate("window.__explorerDrawMs || []"))
        if times:
            print(f"redraws: {len(times)}, median {times[len(times) // 2]:.2f} ms, max {times[-1]:.2f} ms")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
