"""The top of the package stack: what composes every stage.

``dataprep`` (the core) < ``blender_scripts`` < ``annotator`` < ``benchmark`` < ``linecorr``: a
package imports only those below it (tests/test_layers.py). The demo, which runs every stage, is
the one thing that needs them all, so it lives here (docs/ARCHITECTURE.md).
"""
