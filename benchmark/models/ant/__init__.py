"""The Animation Transformer (AnT): crops, model, losses, matcher, colorization.

Heavy modules (torch) are imported by the submodules, not here.
"""
