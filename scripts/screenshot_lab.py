"""Check the widgets in a real JupyterLab: start JupyterLab, open notebook 03 in
headless Chromium, run all cells (full mode, about a minute on the offline subset), move the latent explorer's
slider and save screenshots before and after.

Needs Chromium (Debian: apt-get install chromium) and Playwright's Python
package (.venv/bin/pip install playwright; its own browser download is not used):

    .venv/bin/python scripts/screenshot_lab.py docs/
"""

import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_dense_vae.ipynb"
TOKEN = "screenshot-check"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer at {url} within {seconds} s.")


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "VAE_QUICK": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    # JupyterLab autosaves: work on a copy so the committed notebook keeps its outputs.
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="vae-lab-check-"))
    shutil.copy(NOTEBOOK, workdir / NOTEBOOK.name)
    lab = subprocess.Popen(
        [str(ROOT / ".venv/bin/jupyter"), "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={workdir}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status?token={TOKEN}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={TOKEN}")
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.wait_for_selector(".jp-StatusBar-Widget:has-text('Idle')", timeout=120_000)
            for attempt in range(3):  # a click before the kernel is ready can be ignored: retry
                page.click("li.lm-MenuBar-item:has-text('Run')")
                page.click("li.lm-Menu-item:has-text('Run All Cells')")
                try:
                    page.wait_for_selector(".jp-InputPrompt:has-text('[*]')", timeout=20_000)
                    break
                except Exception:
                    page.wait_for_timeout(5000)
            # JupyterLab renders off-screen cells lazily: scroll to the explorer cell and poll.
            cell = page.locator(".jp-Cell:has-text('latent_explorer(vae')")
            deadline = time.time() + 300
            while cell.locator(".widget-slider").count() < 2:
                if time.time() > deadline:
                    page.screenshot(path=str(out_dir / "jupyterlab_timeout.png"))
                    raise TimeoutError("the latent explorer's sliders did not appear in 300 s; "
                                       "see jupyterlab_timeout.png.")
                cell.scroll_into_view_if_needed()
                page.wait_for_timeout(2000)
            explorer = cell.locator(".widget-vbox").first
            explorer.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            explorer.screenshot(path=str(out_dir / "jupyterlab_latent_explorer_start.png"))
            before = explorer.locator("img").get_attribute("src")
            handle = page.locator(".widget-slider .noUi-handle").first
            handle.click()
            for _ in range(40):                    # move z[0] from 0 to +2 with the keyboard
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(1500)
            after = explorer.locator("img").get_attribute("src")
            explorer.screenshot(path=str(out_dir / "jupyterlab_latent_explorer_moved.png"))
            page.screenshot(path=str(out_dir / "jupyterlab_notebook03.png"))
            browser.close()
        changed = before != after
        print(f"sliders rendered; decoded image changed after moving z[0]: {changed}")
        print(f"screenshots written to {out_dir}/")
        return 0 if changed else 1
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
