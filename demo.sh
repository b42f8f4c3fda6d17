#!/usr/bin/env bash
# The one-command local demo. Not built yet: see README.md.
echo "demo: not yet - the demo (emulator + redis-server + gateway + sample clients) has not landed." >&2
exit 2
