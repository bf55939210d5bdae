"""The manual correction tool for evaluation pairs (a local web app)."""
