"""``linecorr demo``: every stage that exists, on built-in data, with an HTML report.

It imports every package (render, segment, publish, baselines, AnT training), which is why it sits
in ``linecorr``, above them all.
"""
