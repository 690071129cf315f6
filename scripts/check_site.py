"""Check the built course website (bash scripts/site.sh) in headless Chromium.

    .venv-site/bin/python scripts/check_site.py                      # check build/site/
    .venv-site/bin/python scripts/check_site.py --screenshots docs/  # and save screenshots

Serves the build folder on localhost, opens every page and fails (exit 1, each problem
listed) on:

- a missing page: the home page, or a notebook without its page (one per notebooks/*.ipynb);
- a JavaScript error (an uncaught exception or a console error), or a request to the site
  itself that fails; requests to other hosts are blocked (this machine cannot reach them) and
  only counted;
- a code or output line cut off at the right edge (a `pre` that scrolls sideways), a page
  without the favicon, or a link to the site's own (modified) copy of a notebook instead of
  the repository's;
- a broken image on the site (naturalWidth 0), or a notebook page showing fewer figures than
  its notebook stores (image outputs, and the widgets' static figures);
- maths left unrendered: a `.math` element without MathJax output (`mjx-container`), a MathJax
  error, raw TeX (`$...$`, `\\(...\\)`, `\\[...\\]`, `$$`) in the page's text, or MathJax
  loaded from anywhere but the site;
- a dead internal link: an href or src on the site whose file does not exist (or whose
  #fragment is no id in it);
- a notebook page whose Binder and Colab launch buttons do not open that notebook in the
  repository named in pyproject.toml ([project.urls] Repository).

Needs Chromium (Debian: /usr/bin/chromium, or set CHROMIUM) and Playwright's Python package
(installed into .venv-site by scripts/site.sh; its own browser download is not used).
"""

import argparse
import functools
import os
import http.server
import json
import pathlib
import posixpath
import re
import sys
import tempfile
import threading
import time
import urllib.parse

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import set_repository  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
# page: (file name, the section to scroll to: None for the top)
SCREENSHOTS = {"index.html": ("site_home.png", None),
               "notebooks/05_kl_sweep.html": ("site_05_kl_sweep.png", "#browse-the-sweep")}
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\$[^$\s][^$\n]*\$")

# Runs in the page once it has loaded and MathJax (if any) has typeset.
PAGE_FACTS = """async () => {
  for (const img of document.images) img.loading = 'eager';
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; setTimeout(done, 10000); })));
  const skip = 'pre, code, script, style, textarea, mjx-container, .MathJax';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode())
    if (!node.parentElement.closest(skip)) texts.push(node.textContent);
  const maths = [...document.querySelectorAll('.math')];
  return {
    images: [...document.images].map(img => ({src: img.currentSrc || img.src,
                                              width: img.naturalWidth})),
    outputImages: document.querySelectorAll('.cell_output img').length,
    maths: maths.length,
    unrendered: maths.filter(m => !m.querySelector('mjx-container'))
                     .map(m => m.textContent.trim().slice(0, 60)),
    mathErrors: document.querySelectorAll('mjx-merror').length,
    text: texts.join(''),
    links: [...document.querySelectorAll('[href], [src]')]
      .map(e => e.getAttribute('href') ?? e.getAttribute('src')),
    scripts: [...document.scripts].map(s => s.src).filter(Boolean),
    cutOff: [...document.querySelectorAll('pre')]
      .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
      .map(p => p.textContent.trim().slice(0, 60)),
    icon: document.querySelector('link[rel~="icon"]')?.getAttribute('href') ?? null,
    notebookLinks: [...document.querySelectorAll('a[href*=".ipynb"]')].map(a => a.getAttribute('href')),
  };
}"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def stored_figures(notebook):
    """How many figures a notebook's page should show: its image outputs plus its widgets
    (scripts/site_source.py turns each widget with a saved image into that image)."""
    nb = json.loads(notebook.read_text())
    state = nb["metadata"].get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    has_image = {key for key, model in state.items() if model.get("model_name") == "ImageModel"}
    count = 0
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if any(key.startswith("image/") for key in data):
                count += 1
            elif "application/vnd.jupyter.widget-view+json" in data:
                # a widget whose tree holds an image (a progress bar holds none)
                todo, seen = [data["application/vnd.jupyter.widget-view+json"]["model_id"]], set()
                while todo:
                    key = todo.pop()
                    if key in seen:
                        continue
                    seen.add(key)
                    if key in has_image:
                        count += 1
                        break
                    todo += re.findall(r"IPY_MODEL_(\w+)", json.dumps(state.get(key, {})))
    return count


def internal_target(site, page, link):
    """(file, fragment) that ``link`` on ``page`` (a path relative to the site) points to,
    or None for an external, mailto/javascript/data link."""
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
        return None
    path = urllib.parse.unquote(parts.path)
    if path:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if path.endswith("/"):
            target += "/index.html"
    else:
        target = page
    return site / target, parts.fragment


def check(site, screenshots):
    repository = set_repository.repository()
    problems = []
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                   if not p.relative_to(site).parts[0].startswith("_"))
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for required in ["index.html", *(f"notebooks/{nb.stem}.html" for nb in notebooks)]:
        if required not in pages:
            problems.append(f"{required}: missing (no page for it was built)")
    server, base = serve(site)
    external, started = set(), time.time()
    ids = {}

    def ids_of(file):
        if file not in ids:
            ids[file] = set(re.findall(r'\b(?:id|name)="([^"]+)"', file.read_text(errors="replace")))
        return ids[file]

    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
            browser = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900})
            for name in pages:
                page = browser.new_page()
                errors = []

                def route(request_route, errors=errors):
                    url = request_route.request.url
                    if url.startswith(base) or url.startswith(("data:", "blob:", "about:")):
                        request_route.continue_()
                    else:
                        external.add(urllib.parse.urlsplit(url).netloc)
                        request_route.abort("blockedbyclient")

                def console(message, errors=errors):
                    url = (message.location or {}).get("url", "")
                    blocked = ("ERR_BLOCKED_BY_CLIENT" in message.text
                               or (url and not url.startswith(base)))
                    if message.type == "error" and not blocked:
                        errors.append(f"console error: {message.text} ({url})")

                def failed(request, errors=errors):
                    if request.url.startswith(base):
                        errors.append(f"request failed: {request.url} ({request.failure})")

                def response(resp, errors=errors):
                    if resp.url.startswith(base) and resp.status >= 400:
                        errors.append(f"HTTP {resp.status}: {resp.url}")

                page.route("**/*", route)
                page.on("console", console)
                page.on("pageerror", lambda exc, errors=errors: errors.append(f"JavaScript error: {exc}"))
                page.on("requestfailed", failed)
                page.on("response", response)
                page.goto(base + name, wait_until="load")
                page.wait_for_function(
                    "!window.MathJax || !window.MathJax.startup || !!window.MathJax.startup.promise",
                    timeout=20_000)
                page.evaluate("async () => { if (window.MathJax && MathJax.startup && "
                              "MathJax.startup.promise) await MathJax.startup.promise; }")
                facts = page.evaluate(PAGE_FACTS)
                page.wait_for_timeout(200)  # late console messages
                final = page.url
                here = urllib.parse.urlsplit(final).path.lstrip("/") or "index.html"
                problems += [f"{name}: {e}" for e in errors]
                for line in facts["cutOff"]:
                    problems.append(f"{name}: a code or output line runs past the edge: {line!r}")
                if not facts["icon"]:
                    problems.append(f"{name}: no favicon")
                for link in facts["notebookLinks"]:  # a download must be the repository's notebook
                    if not link.startswith("https://"):
                        problems.append(f"{name}: offers the site's copy of a notebook: {link!r}")
                for image in facts["images"]:
                    if image["src"].startswith(base) and image["width"] == 0:
                        problems.append(f"{name}: broken image {image['src']}")
                if facts["maths"]:
                    mathjax = [s for s in facts["scripts"] if "mathjax" in s.lower()]
                    if not mathjax or not all(s.startswith(base) for s in mathjax):
                        problems.append(f"{name}: MathJax not served by the site: {mathjax}")
                for math in facts["unrendered"]:
                    problems.append(f"{name}: equation not rendered by MathJax: {math!r}")
                if facts["mathErrors"]:
                    problems.append(f"{name}: {facts['mathErrors']} MathJax error(s) (mjx-merror)")
                raw = RAW_TEX.search(facts["text"])
                if raw:
                    start = max(raw.start() - 40, 0)
                    problems.append(f"{name}: raw TeX left in the text: "
                                    f"{facts['text'][start:raw.end() + 40]!r}")
                for link in facts["links"]:
                    target = internal_target(site, here, link)
                    if target is None:
                        continue
                    file, fragment = target
                    if not file.is_file():
                        problems.append(f"{name}: dead link {link!r} (no {file.relative_to(site)})")
                    elif (fragment and file.suffix == ".html"
                          and urllib.parse.unquote(fragment) not in ids_of(file)):
                        problems.append(f"{name}: dead link {link!r} (no id {fragment!r})")
                if name.startswith("notebooks/"):
                    notebook = ROOT / "notebooks" / (pathlib.Path(name).stem + ".ipynb")
                    if notebook.is_file():
                        want = stored_figures(notebook)
                        if facts["outputImages"] < want:
                            problems.append(f"{name}: shows {facts['outputImages']} figures, "
                                            f"the notebook stores {want}")
                        hrefs = set(facts["links"])
                        rel = f"notebooks/{notebook.name}"
                        binder = f"https://mybinder.org/v2/gh/{repository}/main?urlpath=lab/tree/{rel}"
                        colab = f"https://colab.research.google.com/github/{repository}/blob/main/{rel}"
                        for button, url in (("Binder", binder), ("Colab", colab)):
                            if url not in hrefs:
                                problems.append(f"{name}: no {button} launch button to {url}")
                if screenshots and name in SCREENSHOTS:
                    file, section = SCREENSHOTS[name]
                    page.set_viewport_size({"width": 1280, "height": 1200})
                    if section:
                        page.locator(section).scroll_into_view_if_needed()
                        page.evaluate(f"document.querySelector({section!r}).scrollIntoView()")
                    page.wait_for_timeout(300)
                    page.screenshot(path=str(screenshots / file))
                print(f"  {name}: {len(facts['images'])} images, {facts['maths']} equations, "
                      f"{len(facts['links'])} links{'' if not errors else ', ERRORS'}")
                page.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"{len(pages)} pages checked in {time.time() - started:.0f} s; "
          f"blocked requests to external hosts: {', '.join(sorted(external)) or 'none'}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "build" / "site"),
                        help="the built site (default: build/site)")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="save " + " and ".join(f for f, _ in SCREENSHOTS.values()) + " there")
    args = parser.parse_args()
    site = pathlib.Path(args.site).resolve()
    if not (site / "index.html").is_file():
        raise SystemExit(f"{site} holds no built site: run bash scripts/site.sh first")
    screenshots = pathlib.Path(args.screenshots).resolve() if args.screenshots else None
    if screenshots:
        screenshots.mkdir(parents=True, exist_ok=True)
    problems = list(dict.fromkeys(check(site, screenshots)))  # each problem once
    for problem in problems:
        print("FAIL", problem)
    print(f"site check: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'passed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
