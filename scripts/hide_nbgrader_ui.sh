#!/usr/bin/env bash
# nbgrader is installed for instructors' command line and the tests: keep its menus and
# server extensions out of the JupyterLab students open. Usage: hide_nbgrader_ui.sh [BIN_DIR]
set -euo pipefail
bin=${1:-$(dirname "$(command -v jupyter)")}
"$bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader >/dev/null 2>&1
for extension in formgrader validate_assignment assignment_list course_list; do
  "$bin/jupyter" server extension disable --sys-prefix "nbgrader.server_extensions.$extension" >/dev/null 2>&1
done
