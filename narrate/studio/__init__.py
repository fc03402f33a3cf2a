"""Studio wing: a local web app to review who speaks, fix it and hear the result (needs the [studio] extra)."""
