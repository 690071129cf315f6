"""Check the series in a real JupyterLab, as a student sees it: start JupyterLab
(no TensorFlow environment variables set), open the notebooks in headless
Chromium and save screenshots:

- first contact: JupyterLab's launcher (one kernel, no nbgrader menu) and the start page, run;
- notebook 01: run all cells, move the KL explorer's mean slider (before/after);
- notebook 03: the stored samples from the prior; then run all cells (full
  mode, a few minutes on the offline subset), move the latent explorer's z[0]
  slider (before/after).

It fails if a slider does not change its picture or a cell shows a stderr block.

Needs Chromium (Debian: apt-get install chromium) and Playwright's Python
package (.venv/bin/pip install playwright; its own browser download is not used):

    .venv/bin/python scripts/screenshot_lab.py docs/            # everything
    .venv/bin/python scripts/screenshot_lab.py docs/ start 01   # only those parts
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
NOTEBOOKS = ROOT / "notebooks"
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


def run_all(page):
    """Run every cell (retrying: a click before the kernel is ready can be ignored)."""
    page.wait_for_selector(".jp-StatusBar-Widget:has-text('Idle')", timeout=120_000)
    for attempt in range(3):
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        try:
            page.wait_for_selector(".jp-InputPrompt:has-text('[*]')", timeout=20_000)
            return
        except Exception:
            page.wait_for_timeout(5000)


def find_cell(page, text, ready, seconds, out_dir):
    """The cell whose source contains ``text``, once ``ready`` (a selector inside it)
    has appeared. JupyterLab renders off-screen cells lazily: scroll and poll."""
    cell = page.locator(f".jp-Cell:has-text('{text}')").first
    deadline = time.time() + seconds
    while cell.locator(ready).count() == 0:
        if time.time() > deadline:
            page.screenshot(path=str(out_dir / "jupyterlab_timeout.png"))
            raise TimeoutError(f"{ready!r} did not appear in the cell with {text!r} within "
                               f"{seconds} s; see jupyterlab_timeout.png.")
        cell.scroll_into_view_if_needed()
        page.wait_for_timeout(2000)
    return cell


def wait_idle(page, seconds=600):
    """Wait until no cell is queued or running (no "[*]" prompt): a slider moved while the
    kernel still runs later cells is answered only after them."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-InputArea-prompt')]"
        ".some(p => p.textContent.includes('*'))", timeout=seconds * 1000)


def move_slider(page, cell, out_dir, name, presses):
    """Screenshot the widget, move its first slider with the keyboard, screenshot again;
    return whether the picture changed."""
    wait_idle(page)
    widget = cell.locator(".widget-vbox").first
    widget.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    widget.screenshot(path=str(out_dir / f"jupyterlab_{name}_start.png"))
    before = widget.locator("img").get_attribute("src")
    cell.locator(".widget-slider .noUi-handle").first.click()
    for _ in range(abs(presses)):
        page.keyboard.press("ArrowRight" if presses > 0 else "ArrowLeft")
    page.wait_for_timeout(1500)
    widget.screenshot(path=str(out_dir / f"jupyterlab_{name}_moved.png"))
    return before != widget.locator("img").get_attribute("src")


def stderr_blocks(page):
    return page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count()


def dismiss_news(page):
    """Answer JupyterLab's one-time "notified about official Jupyter news?" toast."""
    page.wait_for_timeout(1500)
    button = page.locator(".jp-toast-button:has-text('No'), .jp-Notification-Toast button:has-text('No')")
    if button.count():
        button.first.click()


def first_contact(page, base, out_dir, checks):
    """The launcher a student meets, and the start page run top to bottom."""
    page.goto(f"{base}/lab?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Launcher", timeout=120_000)
    dismiss_news(page)
    page.screenshot(path=str(out_dir / "jupyterlab_launcher.png"))
    cards = page.locator(".jp-Launcher-section:has-text('Notebook') .jp-LauncherCard")
    checks["launcher: one notebook kernel"] = cards.count() == 1
    checks["launcher: no nbgrader menu"] = page.locator(
        "li.lm-MenuBar-item:has-text('Nbgrader')").count() == 0
    page.goto(f"{base}/lab/tree/00_start_here.ipynb?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook >> visible=true", timeout=120_000)
    run_all(page)
    find_cell(page, "device_report", ".jp-OutputArea-output", 120, out_dir)
    checks["start page: runs with no stderr block"] = stderr_blocks(page) == 0
    page.screenshot(path=str(out_dir / "jupyterlab_start_page.png"))


def main(out_dir, parts=("start", "01", "03")):
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "VAE_", "CI"))}
    # JupyterLab autosaves: work on copies so the committed notebooks keep their outputs.
    # (in the repository's layout: the start page reads ../benchmarks/class_budget.json)
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="vae-lab-check-")) / "notebooks"
    workdir.mkdir()
    for name in ("00_start_here.ipynb", "01_standard_normal_reference.ipynb", "03_dense_vae.ipynb"):
        shutil.copy(NOTEBOOKS / name, workdir / name)
    (workdir.parent / "benchmarks").mkdir()
    shutil.copy(ROOT / "benchmarks" / "class_budget.json", workdir.parent / "benchmarks")
    lab = subprocess.Popen(
        [str(ROOT / ".venv/bin/jupyter"), "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={workdir}", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checks = {}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(f"{base}/api/status?token={TOKEN}")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})

            if "start" in parts:
                first_contact(page, base, out_dir, checks)
            if "01" in parts:
                page.goto(f"{base}/lab/tree/01_standard_normal_reference.ipynb?token={TOKEN}")
                page.wait_for_selector(".jp-Notebook >> visible=true", timeout=120_000)
                run_all(page)
                cell = find_cell(page, "kl_explorer(mean", ".widget-slider", 120, out_dir)
                checks["01: the KL explorer's picture follows the mean slider"] = move_slider(
                    page, cell, out_dir, "kl_explorer", 30)
                checks["01: no stderr block after running every cell"] = stderr_blocks(page) == 0
                page.screenshot(path=str(out_dir / "jupyterlab_notebook01.png"))

            if "03" in parts:
                page.goto(f"{base}/lab/tree/03_dense_vae.ipynb?token={TOKEN}")
                page.wait_for_selector(".jp-Notebook >> visible=true", timeout=120_000)
                samples = find_cell(page, "z_prior = np.random", ".jp-OutputArea-output img", 60,
                                    out_dir)
                samples.screenshot(path=str(out_dir / "jupyterlab_prior_samples.png"))
                run_all(page)
                cell = find_cell(page, "latent_explorer(vae", ".widget-slider", 600, out_dir)
                checks["03: the decoded digit follows the z[0] slider"] = move_slider(
                    page, cell, out_dir, "latent_explorer", 40)
                checks["03: no stderr block after running every cell"] = stderr_blocks(page) == 0
            browser.close()
        for check, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {check}")
        print(f"screenshots written to {out_dir}/")
        return 0 if all(checks.values()) else 1
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        shutil.rmtree(workdir.parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "screenshots",
                  tuple(sys.argv[2:]) or ("start", "01", "03")))
