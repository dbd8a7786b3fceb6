#!/usr/bin/env bash
# Make git commit notebooks without outputs, however they were saved (JupyterLab, VS Code...).
#
#   bash tools/strip_outputs_in_git.sh      (once per clone, in the environment of
#                                            requirements.txt, which has nbstripout)
#
# Sets up nbstripout as a git filter in this clone's .git/config; .gitattributes, which
# is committed, applies it to every *.ipynb. git then stores each notebook without
# outputs, execution counts or the kernel's version details, while the copy on disk keeps
# them; `git status` and `git diff` compare the stripped versions, so running a chapter
# changes nothing there. Cell ids are kept: chapters/reference_outputs.json is keyed by
# them. Undo with `git config --remove-section filter.nbstripout`.
set -euo pipefail
python=$(command -v python || command -v python3)
if ! "$python" -m nbstripout --version >/dev/null 2>&1; then
    echo "nbstripout is not installed for $python: pip install -r requirements.txt" >&2
    exit 1
fi
# What Jupyter adds to a notebook's metadata when it runs (the committed chapters say
# only {"name": "python"}); nbstripout already drops outputs, counts, widget state and
# cell timings.
kernel_details="metadata.language_info.codemirror_mode metadata.language_info.file_extension
 metadata.language_info.mimetype metadata.language_info.nbconvert_exporter
 metadata.language_info.pygments_lexer metadata.language_info.version"
git config filter.nbstripout.clean "\"$python\" -m nbstripout --keep-id"
git config filter.nbstripout.smudge cat
# A filter that cannot run stops `git add` instead of committing outputs.
git config filter.nbstripout.required true
git config filter.nbstripout.extrakeys "$(echo $kernel_details)"
git config diff.ipynb.textconv "\"$python\" -m nbstripout --keep-id -t"
echo "git strips notebook outputs on commit in $(git rev-parse --show-toplevel) (with $python)"
