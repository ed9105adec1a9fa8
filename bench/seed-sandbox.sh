#!/usr/bin/env bash
# The seed's wrapper (stage 3, "Sandboxing Claude Code with bubblewrap"), with the agent
# replaced by "$@" and missing paths tolerated, as a launch-time baseline.
set -euo pipefail
PROJECT_DIR="$(pwd -P)"
case "$PROJECT_DIR" in
"$HOME"|/) echo "refuse: pwd=$PROJECT_DIR" >&2; exit 1 ;;
esac
bwrap \
  --ro-bind /usr /usr --ro-bind /etc /etc \
  --ro-bind /bin /bin --ro-bind /sbin /sbin \
  --ro-bind /lib /lib --ro-bind /lib64 /lib64 \
  --ro-bind-try "$HOME/.local" "$HOME/.local" \
  --bind "$PROJECT_DIR" "$PROJECT_DIR" \
  --bind-try "$HOME/.claude" "$HOME/.claude" \
  --ro-bind-try "$HOME/.claude/settings.json" "$HOME/.claude/settings.json" \
  --ro-bind-try "$HOME/.claude/CLAUDE.md" "$HOME/.claude/CLAUDE.md" \
  --bind-try "$HOME/.claude.json" "$HOME/.claude.json" \
  --proc /proc --dev /dev --tmpfs /tmp \
  --setenv HOME "$HOME" \
  --chdir "$PROJECT_DIR" \
  --unshare-all --share-net \
  --die-with-parent --new-session \
  -- "$@"
