"""``linecorr demo``: every stage that exists, on built-in data, with an HTML report."""
