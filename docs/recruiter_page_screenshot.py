"""Take docs/recruiter-page.png from the model and pool `make demo` left behind.

    make demo && .venv/bin/python docs/recruiter_page_screenshot.py [--home var]

Starts the service on that home's champion (or MATCHING_MODEL_URI), signs in to /ui/ in
Debian's headless Chromium with a temporary key, shows the shortlist of the demo's sample
requisition, and saves a full-page screenshot. Stops the service and revokes the key.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from matching.serving import add_key, revoke_key
from matching.serving._process import running_service
from matching.settings import OFFLINE_ENVIRONMENT, Settings
from matching.store import Store

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=ROOT / "var")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "recruiter-page.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium")
    if browser_path is None:
        raise SystemExit("no `chromium` on PATH (Debian: apt-get install -y chromium)")
    home = args.home.resolve()
    settings = Settings(home=home)
    with Store.open(settings=settings) as store:
        requisition = store.find_requisition("demo-data-engineer")
    if requisition is None:
        raise SystemExit(f"no demo requisition in {home}: run `make demo` first")
    key, _ = add_key("screenshot", settings=settings)
    env = {**OFFLINE_ENVIRONMENT, "MATCHING_HOME": str(home), "MATCHING_WORKERS": "1"}
    if os.environ.get("MATCHING_MODEL_URI"):
        env["MATCHING_MODEL_URI"] = os.environ["MATCHING_MODEL_URI"]
    try:
        with running_service(env, key=key) as service, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{service.url}/ui/")
            page.wait_for_url("**/ui/login.html")
            page.get_by_label("API key").fill(key)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_label("Stored requisition", exact=True).select_option(requisition.id)
            page.get_by_label("Per page").select_option("10")
            page.get_by_role("button", name="Show the shortlist").click()
            page.locator("#shortlist-body tr").first.wait_for()
            # The "shortlist ready" notice clears itself after 6 s; the picture is of the page.
            page.locator("#status").filter(has_text="Shortlist ready").wait_for(state="detached")
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    finally:
        revoke_key("screenshot", settings=settings)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
