"""Synthetic line-art sequences rendered with Blender's Python module (bpy)."""
