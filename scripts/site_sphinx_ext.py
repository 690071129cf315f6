"""Sphinx extension for the course website (loaded by the _config.yml that
scripts/site_source.py writes).

- Each page lists each script once. With Sphinx 7.4, scripts that extensions add while the
  sources are read (sphinx-thebe's ``const THEBE_JS_URL = ...``, sphinx-togglebutton's
  settings) appear twice on every page, and the second ``const`` is a JavaScript error
  ("Identifier 'THEBE_JS_URL' has already been declared").
- The theme's download menu would offer the site's own copy of a notebook (its widgets made
  static, its launch line removed): on a notebook page it becomes one link to the notebook in
  the repository; elsewhere it is removed.
"""


def unique_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        # the same script is added once with filename None and once with "" (Sphinx 7.4)
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def repository_download(app, pagename, templatename, context, doctree):
    buttons = context.get("header_buttons", [])
    menus = [b for b in buttons if "fa-download" in str(b.get("icon", "")).split()]
    repository = app.config.html_theme_options.get("repository_url", "").rstrip("/")
    for menu in menus:
        buttons.remove(menu)
    if menus and repository and pagename.startswith("notebooks/"):
        buttons.append({
            "type": "link", "icon": "fas fa-download", "label": "download-notebook-button",
            "url": f"{repository}/blob/main/{pagename}.ipynb",
            "tooltip": "The notebook in the repository (its download button saves it)",
            "text": ".ipynb"})


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    app.connect("html-page-context", repository_download, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
