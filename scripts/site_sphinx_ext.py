"""Sphinx extension for the course website (loaded by the _config.yml that
scripts/site_source.py writes): each page lists each script once.

With Sphinx 7.4, scripts that extensions add while the sources are read (sphinx-thebe's
``const THEBE_JS_URL = ...``, sphinx-togglebutton's settings) appear twice on every page, and
the second ``const`` is a JavaScript error ("Identifier 'THEBE_JS_URL' has already been
declared").
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


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
